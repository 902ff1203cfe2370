"""Building espd configurations for tests (absolute paths into the test PKI)."""

import copy

from tests.support.ports import free_port


def base_config(pki, servers, port=None, tls=True, pool=None, service=None, certificates=("front-rsa",),
                extra=None):
    """One virtual service "web" on 127.0.0.1:<port> with pool "fe" over `servers` (RealServer
    objects). `pool`, `service` and `extra` are merged into the pool, the service and the top level."""
    pki = str(pki)
    config = {
        "workers": 2,
        "shutdown_grace_s": 10,
        "certificates": {
            "front-rsa": {"cert": pki + "/front-rsa.pem", "key": pki + "/front-rsa.key",
                          "chain": pki + "/front-chain.pem"},
            "front-ecdsa": {"cert": pki + "/front-ecdsa.pem", "key": pki + "/front-ecdsa.key",
                            "chain": pki + "/front-chain.pem"},
            "espd-client": {"cert": pki + "/espd-client.pem", "key": pki + "/espd-client.key"},
        },
        "trust_stores": {"internal": {"ca": pki + "/internal-ca.pem"}},
        "virtual_services": {
            "web": {
                "listen": "127.0.0.1:%d" % (port or free_port()),
                "pools": {
                    "fe": {
                        "reencrypt": {"enabled": tls, "trust": "internal", "server_name": "fe.mycloud.local"},
                        "real_servers": [{"address": s.address, "port": s.port} for s in servers],
                    }
                },
            }
        },
    }
    web = config["virtual_services"]["web"]
    if tls:
        web["tls"] = {"certificates": list(certificates)}
    if pool:
        deep_merge(web["pools"]["fe"], pool)
    if service:
        deep_merge(web, service)
    if extra:
        deep_merge(config, extra)
    return config


def listen_port(config, service="web"):
    return int(config["virtual_services"][service]["listen"].rsplit(":", 1)[1])


def deep_merge(target, changes):
    for key, value in changes.items():
        if isinstance(value, dict) and isinstance(target.get(key), dict):
            deep_merge(target[key], value)
        else:
            target[key] = copy.deepcopy(value)
    return target
