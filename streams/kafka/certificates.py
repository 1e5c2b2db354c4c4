"""A private certificate authority and a broker certificate for the secure profile, made
with the `openssl` command (OpenSSL 1.1.1 or later): P-256 keys, PEM files, the broker's
certificate naming its listen host in subjectAltName, so clients verify the host name."""

from __future__ import annotations

import ipaddress
import os
import shutil
import subprocess
import tempfile
from pathlib import Path

from streams.kafka.broker_error import BrokerError

# Days a certificate is valid: 825 is the longest that Apple's and browsers' TLS stacks
# accept for a server certificate; a development CA lasts ten years.
CA_DAYS = 3650
SERVER_DAYS = 825
CA_SUBJECT = "/O=coalition screening/CN=screening development CA"


def subject_alt_name(host: str) -> str:
    """`IP:<host>` for an address, `DNS:<host>` for a name (the SAN that names it)."""
    try:
        ipaddress.ip_address(host.strip("[]"))
    except ValueError:
        return f"DNS:{host}"
    return f"IP:{host.strip('[]')}"


def make_ca(cert_file: Path, key_file: Path) -> None:
    """A self-signed CA: its certificate in `cert_file`, its key in `key_file` (mode 600)."""
    _openssl(
        "req", "-x509", "-new", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256",
        "-sha256", "-nodes", "-days", str(CA_DAYS), "-subj", CA_SUBJECT,
        "-addext", "basicConstraints=critical,CA:TRUE",
        "-addext", "keyUsage=critical,keyCertSign,cRLSign",
        "-keyout", str(key_file), "-out", str(cert_file),
    )  # fmt: skip
    key_file.chmod(0o600)


def make_server_keystore(host: str, ca_cert: Path, ca_key: Path, keystore: Path) -> None:
    """A key and a certificate for `host` signed by the CA, written as one PEM file (the
    unencrypted PKCS#8 key, then the certificate and the CA's: Kafka's PEM key store),
    mode 600."""
    with tempfile.TemporaryDirectory(prefix="screening-cert-") as work:
        key, csr, cert = (Path(work) / name for name in ("server.key", "server.csr", "server.pem"))
        extensions = Path(work) / "server.ext"
        extensions.write_text(
            f"subjectAltName={subject_alt_name(host)}\n"
            "basicConstraints=critical,CA:FALSE\n"
            "keyUsage=critical,digitalSignature,keyEncipherment\n"
            # clientAuth too: the broker is a TLS client of the other brokers.
            "extendedKeyUsage=serverAuth,clientAuth\n"
        )
        _openssl(
            "req", "-new", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256",
            "-nodes", "-subj", f"/O=coalition screening/CN={host}",
            "-keyout", str(key), "-out", str(csr),
        )  # fmt: skip
        _openssl(
            "x509", "-req", "-sha256", "-days", str(SERVER_DAYS), "-in", str(csr),
            "-CA", str(ca_cert), "-CAkey", str(ca_key),
            "-set_serial", str(int.from_bytes(os.urandom(16), "big") >> 1),
            "-extfile", str(extensions), "-out", str(cert),
        )  # fmt: skip
        fd = os.open(keystore, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        with os.fdopen(fd, "w") as out:
            out.write(key.read_text() + cert.read_text() + ca_cert.read_text())
        keystore.chmod(0o600)


def _openssl(*args: str) -> None:
    openssl = shutil.which("openssl")
    if openssl is None:
        raise BrokerError("--secure needs the openssl command (Debian: apt-get install openssl)")
    result = subprocess.run([openssl, *args], capture_output=True, text=True, check=False)
    if result.returncode != 0:
        detail = (result.stderr.strip() or result.stdout.strip()).splitlines()[-1:]
        raise BrokerError(f"openssl {args[0]} failed: {' '.join(detail)}")
