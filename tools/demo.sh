#!/usr/bin/env bash
# Command 1: installs what is missing, builds, makes the test PKI, starts two demo real servers
# and espd in front of them (conf.d/demo.json), and prints curl lines to try.
# Usage: tools/demo.sh [start|stop|status]
set -euo pipefail
cd "$(dirname "$0")/.."
root=$PWD
run=$root/run/demo

stop() {
  for name in espd real-server-A real-server-B; do
    if [[ -f $run/$name.pid ]]; then
      pid=$(cat "$run/$name.pid")
      if kill -0 "$pid" 2>/dev/null; then
        kill "$pid"
        for _ in $(seq 1 100); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
      fi
      rm -f "$run/$name.pid"
    fi
  done
}

wait_for_line() {  # wait_for_line FILE PATTERN SECONDS
  local deadline=$((SECONDS + $3))
  until grep -q "$2" "$1" 2>/dev/null; do
    if ((SECONDS >= deadline)); then
      echo "demo: timed out waiting for '$2' in $1:" >&2
      tail -n 20 "$1" >&2 || true
      exit 1
    fi
    sleep 0.1
  done
}

case ${1:-start} in
  stop) stop; echo "demo stopped"; exit 0 ;;
  status)
    for name in espd real-server-A real-server-B; do
      if [[ -f $run/$name.pid ]] && kill -0 "$(cat "$run/$name.pid")" 2>/dev/null; then
        echo "$name: running (pid $(cat "$run/$name.pid"))"
      else
        echo "$name: stopped"
      fi
    done
    exit 0 ;;
  start) ;;
  *) echo "usage: tools/demo.sh [start|stop|status]" >&2; exit 2 ;;
esac

tools/install-deps.sh build test
tools/build.sh >/dev/null
tools/make-test-pki.sh conf.d/pki >/dev/null
stop
mkdir -p "$run"

for name in A B; do
  address=127.0.0.$([[ $name == A ]] && echo 2 || echo 3)
  : > "$run/real-server-$name.log"
  nohup /usr/bin/python3 tools/demo_real_server.py --name "$name" --listen "$address:4443" \
    --cert conf.d/pki/realserver.pem --key conf.d/pki/realserver.key \
    >"$run/real-server-$name.log" 2>&1 &
  echo $! > "$run/real-server-$name.pid"
  wait_for_line "$run/real-server-$name.log" '"listening"' 10
done

# espd runs on a copy of conf.d, with the admin API on: changes made through it persist there
# (until the next start), never in the repository's files.
config=$run/conf.d
rm -rf "$config"
mkdir -p "$config"
cp conf.d/*.json "$config/"
cp -r conf.d/pki "$config/pki"
(umask 077; head -c 24 /dev/urandom | base64 | tr -d '/+=' > "$config/admin.token")
cat > "$config/00-admin.json" <<'JSON'
{"admin": {"listen": "127.0.0.1:9000", "token_file": "admin.token", "audit_log": "audit.log"}}
JSON

: > "$run/espd.log"
nohup build/espd --config "$config" 2>"$run/espd.log" >/dev/null &
echo $! > "$run/espd.pid"
wait_for_line "$run/espd.log" '"event":"ready"' 15

pki=conf.d/pki
cat <<TEXT

espd is running in front of two demo real servers (A on 127.0.0.2:4443, B on 127.0.0.3:4443).
Logs: run/demo/espd.log (JSON lines). Stop everything with: tools/demo.sh stop

Try:
  # a published name: answered by real server A or B (run it twice)
  curl --cacert $pki/root-ca.pem --resolve meet.mycloud.ag:8443:127.0.0.1 https://meet.mycloud.ag:8443/

  # the MS-WSMAN persistence cookie, and staying on one real server with it
  curl -i --cacert $pki/root-ca.pem --resolve meet.mycloud.ag:8443:127.0.0.1 https://meet.mycloud.ag:8443/meet/
  curl -i --cacert $pki/root-ca.pem --resolve meet.mycloud.ag:8443:127.0.0.1 -b 'MS-WSMAN=<value from above>' https://meet.mycloud.ag:8443/meet/

  # a name the certificate covers but the ESP policy does not publish: refused with 403
  curl -i --cacert $pki/root-ca.pem --resolve webext2010.mycloud.ag:8443:127.0.0.1 https://webext2010.mycloud.ag:8443/

  # the health page the real servers serve (and espd checks)
  curl --cacert $pki/root-ca.pem --resolve lyncdiscover.mycloud.ag:8443:127.0.0.1 https://lyncdiscover.mycloud.ag:8443/healthcheck.html

  # plain HTTP is redirected to HTTPS
  curl -i http://127.0.0.1:8080/meet/

  # HTTP/2 (ALPN h2), many requests on one connection
  curl --http2 --cacert $pki/root-ca.pem --resolve meet.mycloud.ag:8443:127.0.0.1 https://meet.mycloud.ag:8443/meet/a https://meet.mycloud.ag:8443/meet/b

  # the admin API and espctl (its token is in $config/admin.token)
  export ESPCTL_TOKEN_FILE=$config/admin.token
  tools/espctl status
  tools/espctl rs drain demo fe 127.0.0.2:4443     # no new clients for real server A
  curl -s -H "Authorization: Bearer \$(cat $config/admin.token)" http://127.0.0.1:9000/api/v1/status
TEXT
