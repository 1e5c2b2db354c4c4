"""`screening acl --apply` without a broker: principals to SCRAM users, bindings,
credential files (content, mode, passwords kept), the admin settings' checks, the command
line's argument errors, and the broker wait's refusal callback."""

from __future__ import annotations

from pathlib import Path

import orjson
import pytest
from click.testing import CliRunner
from confluent_kafka import KafkaError
from confluent_kafka.admin import (  # type: ignore[attr-defined]
    AclOperation,
    ResourcePatternType,
    ResourceType,
)

from streams.cli.main import cli
from streams.kafka.acl import Acl, AclError, Principals, acl_set
from streams.kafka.acl_apply import binding, credentials, load_admin_config, user_of, users_of
from streams.kafka.admin import _Refusal
from streams.kafka.client_properties import (
    ClientPropertiesError,
    environment,
    read_properties,
    write_properties,
)

ADMIN = {
    "bootstrap.servers": "127.0.0.1:9093",
    "security.protocol": "SASL_SSL",
    "sasl.mechanism": "SCRAM-SHA-512",
    "sasl.username": "admin",
    "sasl.password": "admin-secret",
    "ssl.ca.location": "/secure/ca.pem",
}


def test_every_principal_of_the_set_is_a_scram_user() -> None:
    assert users_of(acl_set(["a", "b"])) == [
        "screening",
        "watchlist-publisher",
        "console",
        "a",
        "b",
    ]
    prefixed = acl_set(["a"], Principals(member_prefix="User:member-"))
    assert users_of(prefixed)[-1] == "member-a"


@pytest.mark.parametrize("principal", ["Group:x", "User:", "CN=broker"])
def test_only_user_principals_have_scram_users(principal: str) -> None:
    with pytest.raises(AclError, match="not User:<name>"):
        user_of(principal)


def test_bindings_use_librdkafkas_names() -> None:
    cluster = binding(
        Acl("User:screening", "CLUSTER", "LITERAL", "kafka-cluster", "IDEMPOTENT_WRITE")
    )
    # librdkafka's BROKER is Kafka's CLUSTER resource on the wire.
    assert cluster.restype == ResourceType.BROKER
    assert cluster.operation == AclOperation.IDEMPOTENT_WRITE
    topic = binding(Acl("User:a", "TOPIC", "PREFIXED", "payments.", "READ"))
    assert topic.resource_pattern_type == ResourcePatternType.PREFIXED
    assert all(binding(acl) for acl in acl_set(["a", "b"]))


def test_credentials_take_the_cluster_from_the_admin_and_a_password_each(tmp_path: Path) -> None:
    documents = credentials(ADMIN, ["a", "screening"], tmp_path)
    for user, properties in documents.items():
        assert properties["sasl.username"] == user
        assert properties["sasl.mechanism"] == "SCRAM-SHA-512"
        assert properties["bootstrap.servers"] == ADMIN["bootstrap.servers"]
        assert properties["ssl.ca.location"] == ADMIN["ssl.ca.location"]
        assert properties["sasl.password"] != ADMIN["sasl.password"]
        assert len(properties["sasl.password"]) >= 32
    assert documents["a"]["sasl.password"] != documents["screening"]["sasl.password"]


def test_an_existing_credentials_file_keeps_its_password(tmp_path: Path) -> None:
    first = credentials(ADMIN, ["a"], tmp_path)["a"]
    write_properties(tmp_path / "a.json", first)
    assert credentials(ADMIN, ["a"], tmp_path)["a"]["sasl.password"] == first["sasl.password"]
    write_properties(tmp_path / "a.json", {**first, "sasl.username": "b"})
    with pytest.raises(AclError, match="not a's credentials"):
        credentials(ADMIN, ["a"], tmp_path)


def test_credentials_files_are_readable_by_their_owner_only(tmp_path: Path) -> None:
    path = tmp_path / "a.json"
    write_properties(path, {"bootstrap.servers": "h:1", "security.protocol": "SASL_SSL"})
    assert path.stat().st_mode & 0o777 == 0o600
    path.chmod(0o644)
    write_properties(path, {"bootstrap.servers": "h:2", "security.protocol": "SASL_SSL"})
    assert path.stat().st_mode & 0o777 == 0o600, "a rewrite makes it private again"
    assert read_properties(path)["bootstrap.servers"] == "h:2"
    assert [p.name for p in tmp_path.iterdir()] == ["a.json"], "no temporary file left"


def test_properties_map_to_the_workers_variables() -> None:
    assert environment(ADMIN) == {
        "KAFKA_BOOTSTRAP_SERVERS": "127.0.0.1:9093",
        "KAFKA_SECURITY_PROTOCOL": "SASL_SSL",
        "KAFKA_SASL_MECHANISM": "SCRAM-SHA-512",
        "KAFKA_SASL_USERNAME": "admin",
        "KAFKA_SASL_PASSWORD": "admin-secret",
        "KAFKA_SSL_CAFILE": "/secure/ca.pem",
    }


@pytest.mark.parametrize(
    ("content", "message"),
    [
        (None, "cannot read"),
        (b"nope", "not JSON"),
        (b"[1]", "not a JSON object of string properties"),
        (b'{"bootstrap.servers": 1}', "not a JSON object of string properties"),
        (b'{"security.protocol": "SASL_SSL"}', "no bootstrap.servers"),
        (b'{"bootstrap.servers": "h:1", "security.protocol": "PLAINTEXT"}', "need SASL_SSL"),
    ],
)
def test_a_bad_admin_config_is_a_one_line_error(
    tmp_path: Path, content: bytes | None, message: str
) -> None:
    path = tmp_path / "admin.json"
    if content is not None:
        path.write_bytes(content)
    with pytest.raises((AclError, ClientPropertiesError)) as caught:
        load_admin_config(path)
    assert message in str(caught.value) and "\n" not in str(caught.value)
    assert str(caught.value).startswith("--admin-config")


def test_a_password_in_a_bad_file_is_never_quoted(tmp_path: Path) -> None:
    path = tmp_path / "admin.json"
    path.write_bytes(orjson.dumps({**ADMIN, "security.protocol": "PLAINTEXT"}))
    with pytest.raises(AclError) as caught:
        load_admin_config(path)
    assert "admin-secret" not in str(caught.value)


@pytest.mark.parametrize(
    ("arguments", "message"),
    [
        (["--apply"], "--apply needs --admin-config FILE and --credentials-out DIR"),
        (["--apply", "--admin-config", "x.json"], "--apply needs"),
        (["--admin-config", "x.json"], "go with --apply"),
        (["--credentials-out", "d"], "go with --apply"),
    ],
)
def test_acl_apply_arguments_are_checked(arguments: list[str], message: str) -> None:
    result = CliRunner().invoke(cli, ["acl", "--members", "a,b", *arguments])
    assert result.exit_code == 2
    assert message in result.output


def test_acl_apply_with_a_missing_admin_config_fails_in_one_line(tmp_path: Path) -> None:
    result = CliRunner().invoke(
        cli,
        ["acl", "--members", "a", "--apply", "--admin-config", str(tmp_path / "none.json"),
         "--credentials-out", str(tmp_path / "out")],
    )  # fmt: skip
    assert result.exit_code == 1
    assert result.output.strip().splitlines() == [
        f"Error: --admin-config {tmp_path / 'none.json'}: cannot read: No such file or directory"
    ]
    assert not (tmp_path / "out").exists()


def test_secure_needs_the_kafka_engine() -> None:
    result = CliRunner().invoke(cli, ["broker", "--secure", "/tmp/never"])
    assert result.exit_code == 2
    assert "--secure needs --engine kafka" in result.output


class FakeError:
    def __init__(self, code: int, text: str) -> None:
        self._code, self._text = code, text

    def name(self) -> str:
        return KafkaError(self._code).name()

    def str(self) -> str:
        return self._text


def test_the_broker_wait_keeps_the_first_refusal_and_ignores_transient_errors() -> None:
    refusal = _Refusal()
    refusal(FakeError(KafkaError._TRANSPORT, "h:1/bootstrap: Connection refused"))  # type: ignore[arg-type]
    refusal(FakeError(KafkaError._ALL_BROKERS_DOWN, "1/1 brokers are down"))  # type: ignore[arg-type]
    assert refusal.reason is None
    refusal(
        FakeError(  # type: ignore[arg-type]
            KafkaError._AUTHENTICATION,
            "sasl_ssl://h:1/bootstrap: SASL authentication error: invalid credentials",
        )
    )
    refusal(FakeError(KafkaError._SSL, "sasl_ssl://h:1/bootstrap: later"))  # type: ignore[arg-type]
    assert refusal.reason is not None
    what, detail = refusal.reason
    assert what.startswith("authentication failed")
    assert detail == "SASL authentication error: invalid credentials"
