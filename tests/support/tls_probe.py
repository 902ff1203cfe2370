"""What a TLS listener serves, seen with `openssl s_client` (the full chain, OCSP, key type)."""

import re
import subprocess


class Served:
    def __init__(self, output):
        self.output = output
        # "-showcerts" prints each certificate of the chain as " i:... s:..." lines and PEM blocks.
        self.subjects = re.findall(r"^ *\d+ s:(.*)$", output, re.M)
        self.issuers = re.findall(r"^ *i:(.*)$", output, re.M)
        self.pems = re.findall(r"-----BEGIN CERTIFICATE-----.*?-----END CERTIFICATE-----", output, re.S)
        match = re.search(r"Peer signature type: (\S+)", output)
        self.signature_type = match.group(1) if match else None
        match = re.search(r"Server public key is (\d+) bit", output)
        self.key_bits = int(match.group(1)) if match else None
        self.ocsp_stapled = "OCSP Response Status: successful" in output
        self.verified = "Verify return code: 0 (ok)" in output

    def leaf_text(self):
        done = subprocess.run(["openssl", "x509", "-noout", "-text"], input=self.pems[0],
                              capture_output=True, text=True)
        return done.stdout


def served(port, server_name=None, cafile=None, extra=()):
    args = ["openssl", "s_client", "-connect", "127.0.0.1:%d" % port, "-showcerts"]
    if server_name:
        args += ["-servername", server_name]
    else:
        args += ["-noservername"]
    if cafile:
        args += ["-CAfile", str(cafile)]
    args += list(extra)
    done = subprocess.run(args, input="", capture_output=True, text=True, timeout=20)
    return Served(done.stdout + done.stderr)
