"""The secure profile's files and broker settings, without starting a broker: the CA and
the broker certificate (openssl), passwords kept across starts, DIR/admin.json."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import orjson
import pytest

from streams.kafka.broker_error import BrokerError
from streams.kafka.certificates import subject_alt_name
from streams.kafka.kafka_cluster import KafkaCluster
from streams.kafka.secure_profile import AUTHORIZER, SecureProfile, configure, prepare

needs_openssl = pytest.mark.skipif(shutil.which("openssl") is None, reason="needs openssl")


def mode(path: Path) -> int:
    return path.stat().st_mode & 0o777


@pytest.mark.parametrize(
    ("host", "san"),
    [
        ("127.0.0.1", "IP:127.0.0.1"),
        ("::1", "IP:::1"),
        ("[::1]", "IP:::1"),
        ("kafka.example", "DNS:kafka.example"),
        ("localhost", "DNS:localhost"),
    ],
)
def test_the_certificate_names_the_listen_host(host: str, san: str) -> None:
    assert subject_alt_name(host) == san


def test_listeners_are_sasl_ssl_with_an_authorizer_that_denies_by_default() -> None:
    profile = SecureProfile(Path("/s"), "admin-pw", "broker-pw")
    properties = profile.listener_properties()
    assert properties["listener.security.protocol.map"] == "CLIENT:SASL_SSL,CONTROLLER:SASL_SSL"
    assert properties["listener.name.client.sasl.enabled.mechanisms"] == "SCRAM-SHA-512"
    assert properties["sasl.mechanism.inter.broker.protocol"] == "SCRAM-SHA-512"
    assert properties["authorizer.class.name"] == AUTHORIZER
    assert properties["allow.everyone.if.no.acl.found"] == "false"
    assert properties["super.users"] == "User:admin;User:broker"
    assert properties["ssl.keystore.type"] == properties["ssl.truststore.type"] == "PEM"
    # The brokers log in as `broker`; the operator's password appears nowhere in them.
    assert (
        'username="broker" password="broker-pw"'
        in (properties["listener.name.client.scram-sha-512.sasl.jaas.config"])
    )
    assert not any("admin-pw" in value for value in properties.values())


def test_both_super_users_get_scram_credentials_at_format_time() -> None:
    arguments = SecureProfile(Path("/s"), "a1", "b2").format_arguments()
    assert arguments == [
        "--add-scram",
        "SCRAM-SHA-512=[name=admin,password=a1]",
        "--add-scram",
        "SCRAM-SHA-512=[name=broker,password=b2]",
    ]


@needs_openssl
def test_prepare_makes_a_ca_a_broker_certificate_and_private_files(tmp_path: Path) -> None:
    directory = tmp_path / "secure"
    profile = prepare(directory, "127.0.0.1")
    assert mode(directory) == 0o700
    for secret in (profile.ca_key, profile.keystore, profile.broker_password_file):
        assert mode(secret) == 0o600, secret
    keystore = profile.keystore.read_text()
    assert keystore.startswith("-----BEGIN PRIVATE KEY-----")
    assert keystore.count("-----BEGIN CERTIFICATE-----") == 2
    verify = subprocess.run(
        ["openssl", "verify", "-CAfile", str(profile.ca_file), str(profile.keystore)],
        capture_output=True,
        text=True,
        check=False,
    )
    assert verify.returncode == 0, verify.stderr
    text = subprocess.run(
        ["openssl", "x509", "-noout", "-ext", "subjectAltName", "-in", str(profile.keystore)],
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    assert "IP Address:127.0.0.1" in text


@needs_openssl
def test_configure_writes_the_super_users_settings_and_a_restart_keeps_them(
    tmp_path: Path,
) -> None:
    directory = tmp_path / "secure"
    cluster = KafkaCluster("127.0.0.1", port=19092)
    admin_file = configure(cluster, prepare(directory, "127.0.0.1"))
    assert admin_file == directory / "admin.json" and mode(admin_file) == 0o600
    admin = orjson.loads(admin_file.read_bytes())
    assert set(admin) == {
        "bootstrap.servers",
        "security.protocol",
        "sasl.mechanism",
        "sasl.username",
        "sasl.password",
        "ssl.ca.location",
    }
    assert admin["bootstrap.servers"] == "127.0.0.1:19092"
    assert admin["security.protocol"] == "SASL_SSL"
    assert admin["sasl.username"] == "admin"
    assert Path(admin["ssl.ca.location"]) == (directory / "ca.pem").resolve()
    assert cluster.client_config == admin
    assert cluster.client_listener["allow.everyone.if.no.acl.found"] == "false"
    assert f"name=admin,password={admin['sasl.password']}]" in " ".join(cluster.format_arguments)
    ca = (directory / "ca.pem").read_bytes()

    again = prepare(directory, "kafka.example")
    assert again.admin_password == admin["sasl.password"], "the storage holds this password"
    assert again.ca_file.read_bytes() == ca, "clients keep trusting the same CA"


def test_an_admin_file_that_is_not_the_super_users_is_a_one_line_error(tmp_path: Path) -> None:
    (tmp_path / "admin.json").write_text("{not json")
    with pytest.raises(BrokerError, match=r"^--secure: .*admin.json: not JSON"):
        prepare(tmp_path, "127.0.0.1")
    (tmp_path / "admin.json").write_text(
        '{"bootstrap.servers": "h:1", "security.protocol": "SASL_SSL", "sasl.username": "a"}'
    )
    with pytest.raises(BrokerError, match=r"^--secure: .*admin.json: not admin's credentials$"):
        prepare(tmp_path, "127.0.0.1")
