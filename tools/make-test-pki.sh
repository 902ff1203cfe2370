#!/usr/bin/env bash
# Makes a complete test PKI for the demo and the tests: a public-like root and intermediate for
# the front (SAN certificates, RSA and ECDSA, PEM and PKCS#12), an internal CA for the real
# servers (server, client, revoked + CRL) and an untrusted "rogue" CA.
# Usage: tools/make-test-pki.sh OUTDIR     (idempotent: does nothing if OUTDIR is complete and
#                                            its certificates stay valid for 30 more days)
set -euo pipefail

out=${1:?usage: make-test-pki.sh OUTDIR}
mkdir -p "$out"
cd "$out"

if [[ -f .complete ]] && openssl x509 -checkend $((30 * 86400)) -noout -in front-rsa.pem >/dev/null 2>&1 \
   && openssl x509 -checkend $((30 * 86400)) -noout -in realserver.pem >/dev/null 2>&1; then
  echo "test PKI in $out is complete"
  exit 0
fi
rm -f .complete

umask 077
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

FRONT_NAMES=(ws-ext.mycloud.ag fepool-ext.mycloud.ag lyncdiscover.mycloud.ag meet.mycloud.ag
             dialin.mycloud.ag scheduler.mycloud.ag webext2010.mycloud.ag webext2013.mycloud.ag
             localhost)
REAL_SERVER_SANS="DNS:fe.mycloud.local,DNS:localhost,IP:127.0.0.1,IP:127.0.0.2,IP:127.0.0.3,IP:::1"

san_list() {
  local first=1 name
  for name in "$@"; do
    if ((first)); then first=0; else printf ','; fi
    printf 'DNS:%s' "$name"
  done
}

key() {  # key FILE rsa|ec
  if [[ $2 == rsa ]]; then
    openssl genpkey -algorithm RSA -pkeyopt rsa_keygen_bits:2048 -out "$1" 2>/dev/null
  else
    openssl genpkey -algorithm EC -pkeyopt ec_paramgen_curve:P-256 -out "$1" 2>/dev/null
  fi
}

self_signed_ca() {  # self_signed_ca NAME "CN"
  key "$1.key" ec
  openssl req -x509 -new -key "$1.key" -out "$1.pem" -days 3650 -subj "/O=espd test/CN=$2" \
    -addext "basicConstraints=critical,CA:TRUE" \
    -addext "keyUsage=critical,keyCertSign,cRLSign" -addext "subjectKeyIdentifier=hash" 2>/dev/null
}

issue() {  # issue NAME ISSUER "CN" rsa|ec EXTENSIONS DAYS
  local name=$1 issuer=$2 cn=$3 type=$4 extensions=$5 days=$6
  key "$name.key" "$type"
  openssl req -new -key "$name.key" -out "$work/$name.csr" -subj "/O=espd test/CN=$cn" 2>/dev/null
  printf '%b\n' "$extensions" > "$work/$name.ext"
  openssl x509 -req -in "$work/$name.csr" -CA "$issuer.pem" -CAkey "$issuer.key" \
    -set_serial "0x$(openssl rand -hex 16)" -days "$days" -out "$name.pem" \
    -extfile "$work/$name.ext" 2>/dev/null
}

LEAF="basicConstraints=critical,CA:FALSE\nsubjectKeyIdentifier=hash\nauthorityKeyIdentifier=keyid"

# Front: root -> intermediate -> SAN leaf (RSA and ECDSA), like a public CA would issue.
self_signed_ca root-ca "espd Test Root CA"
issue intermediate-ca root-ca "espd Test Intermediate CA" ec \
  "basicConstraints=critical,CA:TRUE,pathlen:0\nkeyUsage=critical,keyCertSign,cRLSign\nsubjectKeyIdentifier=hash\nauthorityKeyIdentifier=keyid" 3650
cp intermediate-ca.pem front-chain.pem
front_sans=$(san_list "${FRONT_NAMES[@]}")
for type in rsa ecdsa; do
  issue "front-$type" intermediate-ca "ws-ext.mycloud.ag" "$([[ $type == rsa ]] && echo rsa || echo ec)" \
    "$LEAF\nkeyUsage=critical,digitalSignature,keyEncipherment\nextendedKeyUsage=serverAuth\nsubjectAltName=$front_sans" 397
done
cat front-rsa.pem front-chain.pem > front-rsa-fullchain.pem

# PKCS#12: modern encryption (AES-256) and legacy (RC2/3DES, as older Windows exports).
printf 'espd-test-pfx' > front.p12.pass
openssl pkcs12 -export -in front-rsa.pem -inkey front-rsa.key -certfile front-chain.pem \
  -name "ws-ext.mycloud.ag" -out front.p12 -passout file:front.p12.pass 2>/dev/null
openssl pkcs12 -export -legacy -in front-rsa.pem -inkey front-rsa.key -certfile front-chain.pem \
  -name "ws-ext.mycloud.ag" -out front-legacy.p12 -passout file:front.p12.pass 2>/dev/null

# Internal CA of the real servers (a Lync front end's certificates come from the enterprise CA).
self_signed_ca internal-ca "espd Test Internal CA"
issue realserver internal-ca "fe.mycloud.local" ec \
  "$LEAF\nkeyUsage=critical,digitalSignature\nextendedKeyUsage=serverAuth,clientAuth\nsubjectAltName=$REAL_SERVER_SANS" 825
issue espd-client internal-ca "espd.mycloud.local" ec \
  "$LEAF\nkeyUsage=critical,digitalSignature\nextendedKeyUsage=clientAuth\nsubjectAltName=DNS:espd.mycloud.local" 825
issue realserver-revoked internal-ca "fe.mycloud.local" ec \
  "$LEAF\nkeyUsage=critical,digitalSignature\nextendedKeyUsage=serverAuth\nsubjectAltName=$REAL_SERVER_SANS" 825

# A CRL by the internal CA that revokes realserver-revoked (openssl ca needs a small database).
mkdir -p "$work/ca"
: > "$work/ca/index.txt"
echo 01 > "$work/ca/crlnumber"
cat > "$work/ca/ca.cnf" <<CNF
[ ca ]
default_ca = test
[ test ]
database = $work/ca/index.txt
crlnumber = $work/ca/crlnumber
certificate = $PWD/internal-ca.pem
private_key = $PWD/internal-ca.key
default_md = sha256
default_crl_days = 3650
CNF
openssl ca -config "$work/ca/ca.cnf" -revoke realserver-revoked.pem 2>/dev/null
openssl ca -config "$work/ca/ca.cnf" -gencrl -out internal-ca.crl 2>/dev/null

# An untrusted CA issuing a real-server certificate with the right names.
self_signed_ca rogue-ca "espd Test Rogue CA"
issue rogue-realserver rogue-ca "fe.mycloud.local" ec \
  "$LEAF\nkeyUsage=critical,digitalSignature\nextendedKeyUsage=serverAuth\nsubjectAltName=$REAL_SERVER_SANS" 825

chmod 0644 ./*.pem internal-ca.crl
chmod 0600 ./*.key ./*.p12 front.p12.pass
touch .complete
echo "test PKI written to $out (front: ${FRONT_NAMES[*]})"
