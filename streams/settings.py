"""One validated settings object, read from environment variables."""

from __future__ import annotations

import os
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path
from typing import TypeVar

MEMBER_PATTERN = re.compile(r"^[a-z0-9][a-z0-9-]*$")
SECURITY_PROTOCOLS = ("PLAINTEXT", "SSL", "SASL_PLAINTEXT", "SASL_SSL")

N = TypeVar("N", int, float)


class SettingsError(ValueError):
    """A configuration value is missing or malformed; the message names the variable."""


@dataclass(frozen=True)
class Settings:
    """Everything a worker or command needs to know about its deployment."""

    bootstrap_servers: str = "127.0.0.1:9092"
    members: tuple[str, ...] = ()
    web_port: int = 6066
    web_host: str = "0.0.0.0"
    app_id: str = "screening"
    data_dir: Path = Path(".screening-data")
    name_match_threshold: float = 88.0
    topic_partitions: int = 3
    discovery_interval_s: float = 10.0
    security_protocol: str = "PLAINTEXT"
    sasl_mechanism: str | None = None
    sasl_username: str | None = None
    sasl_password: str | None = None
    ssl_cafile: str | None = None
    coalition_key: bytes | None = None
    payer_key: bytes | None = None
    link_ttl: timedelta = timedelta(days=90)
    redelivery_window_s: float = 600.0
    fail_open_members: frozenset[str] = frozenset()
    fetch_max_wait_ms: int = 5
    fetch_min_bytes: int = 1
    # Routed topics read through librdkafka (streams.faust_ext.native_fetch); 0: aiokafka.
    native_fetch: bool = True
    # Payments one partition hands to the decision path in one call (streams.faust_ext.batch_path).
    batch_max: int = 500
    broker_bin: Path | None = None
    # The watchlist snapshot (0 s: none): how often it is rewritten when the list changed,
    # and how old it may be to be used: less than the watchlist topic's
    # delete.retention.ms (24 h by default), or a deletion made after it may be gone.
    watchlist_snapshot_interval_s: float = 300.0
    watchlist_snapshot_max_age_s: float = 12 * 3600.0

    @classmethod
    def from_env(cls, env: Mapping[str, str] | None = None) -> Settings:
        """Read `KAFKA_BOOTSTRAP_SERVERS` and the `SCREENING_*` variables; raise SettingsError."""
        env = os.environ if env is None else env
        members = _members(env, "SCREENING_MEMBERS")
        protocol = env.get("KAFKA_SECURITY_PROTOCOL", cls.security_protocol).strip().upper()
        if protocol not in SECURITY_PROTOCOLS:
            choices = ", ".join(SECURITY_PROTOCOLS)
            raise SettingsError(f"KAFKA_SECURITY_PROTOCOL: {protocol!r} is not one of {choices}")
        fetch_max_wait_ms = _int(
            env, "SCREENING_FETCH_MAX_WAIT_MS", cls.fetch_max_wait_ms, 0, 10_000
        )
        broker_bin = env.get("SCREENING_BROKER_BIN")
        bootstrap = env.get("KAFKA_BOOTSTRAP_SERVERS", cls.bootstrap_servers).strip()
        if not bootstrap:
            raise SettingsError("KAFKA_BOOTSTRAP_SERVERS is empty")
        return cls(
            bootstrap_servers=bootstrap,
            members=members,
            web_port=_int(env, "SCREENING_WEB_PORT", cls.web_port, 0, 65535),
            web_host=env.get("SCREENING_WEB_HOST", cls.web_host),
            app_id=env.get("SCREENING_APP_ID", cls.app_id),
            data_dir=Path(env.get("SCREENING_DATA_DIR", str(cls.data_dir))),
            name_match_threshold=_float(
                env, "SCREENING_NAME_THRESHOLD", cls.name_match_threshold, 50.0, 100.0
            ),
            topic_partitions=_int(env, "SCREENING_TOPIC_PARTITIONS", cls.topic_partitions, 1, 1024),
            discovery_interval_s=_float(
                env, "SCREENING_DISCOVERY_INTERVAL", cls.discovery_interval_s, 0.5, 3600.0
            ),
            security_protocol=protocol,
            sasl_mechanism=env.get("KAFKA_SASL_MECHANISM") or None,
            sasl_username=env.get("KAFKA_SASL_USERNAME") or None,
            sasl_password=env.get("KAFKA_SASL_PASSWORD") or None,
            ssl_cafile=env.get("KAFKA_SSL_CAFILE") or None,
            coalition_key=_secret(env, "SCREENING_COALITION_KEY"),
            payer_key=_secret(env, "SCREENING_PAYER_KEY"),
            link_ttl=timedelta(
                days=_float(env, "SCREENING_LINK_TTL_DAYS", cls.link_ttl.days, 0.001, 3650.0)
            ),
            redelivery_window_s=_float(
                env, "SCREENING_REDELIVERY_WINDOW", cls.redelivery_window_s, 0.0, 7 * 86400.0
            ),
            fail_open_members=frozenset(_members(env, "SCREENING_FAIL_OPEN_MEMBERS")),
            fetch_max_wait_ms=fetch_max_wait_ms,
            fetch_min_bytes=_int(
                env, "SCREENING_FETCH_MIN_BYTES", cls.fetch_min_bytes, 1, 64 * 1024 * 1024
            ),
            watchlist_snapshot_interval_s=_float(
                env,
                "SCREENING_WATCHLIST_SNAPSHOT_INTERVAL",
                cls.watchlist_snapshot_interval_s,
                0.0,
                86400.0,
            ),
            watchlist_snapshot_max_age_s=_float(
                env,
                "SCREENING_WATCHLIST_SNAPSHOT_MAX_AGE",
                cls.watchlist_snapshot_max_age_s,
                60.0,
                30 * 86400.0,
            ),
            batch_max=_int(env, "SCREENING_BATCH_MAX", cls.batch_max, 1, 100_000),
            native_fetch=_int(env, "SCREENING_NATIVE_FETCH", int(cls.native_fetch), 0, 1) == 1,
            # Checked where the embedded broker is started, so that only the commands
            # that start one fail on a wrong path.
            broker_bin=Path(broker_bin) if broker_bin else None,
        )

    def kafka_client_config(self) -> dict[str, str | int | float | bool]:
        """librdkafka (confluent-kafka) connection settings, security included."""
        config: dict[str, str | int | float | bool] = {"bootstrap.servers": self.bootstrap_servers}
        if self.security_protocol != "PLAINTEXT":
            config["security.protocol"] = self.security_protocol
        if self.security_protocol.startswith("SASL"):
            # The same default as the worker's Faust client, never librdkafka's GSSAPI.
            config["sasl.mechanism"] = self.sasl_mechanism or "SCRAM-SHA-512"
        if self.sasl_username is not None:
            config["sasl.username"] = self.sasl_username
        if self.sasl_password is not None:
            config["sasl.password"] = self.sasl_password
        if self.ssl_cafile:
            config["ssl.ca.location"] = self.ssl_cafile
        return config


def _members(env: Mapping[str, str], name: str) -> tuple[str, ...]:
    """A comma-separated list of member ids; SettingsError naming the variable."""
    members = tuple(m.strip() for m in env.get(name, "").split(",") if m.strip())
    for member in members:
        if not MEMBER_PATTERN.match(member):
            raise SettingsError(f"{name}: {member!r} is not a member id ([a-z0-9][a-z0-9-]*)")
    return members


def _int(env: Mapping[str, str], name: str, default: int, low: int, high: int) -> int:
    return _number(env, name, default, low, high, int, "an integer")


def _float(env: Mapping[str, str], name: str, default: float, low: float, high: float) -> float:
    return _number(env, name, default, low, high, float, "a number")


def _number(
    env: Mapping[str, str],
    name: str,
    default: N,
    low: N,
    high: N,
    parse: Callable[[str], N],
    kind: str,
) -> N:
    """`parse` of the variable, `default` when unset or empty; SettingsError naming the
    variable when it is not `kind` or outside low..high."""
    raw = env.get(name)
    if raw is None or raw == "":
        return default
    try:
        value = parse(raw)
    except ValueError:
        raise SettingsError(f"{name}: {raw!r} is not {kind}") from None
    if not low <= value <= high:
        raise SettingsError(f"{name}: {value} is outside {low}..{high}")
    return value


def _secret(env: Mapping[str, str], name: str) -> bytes | None:
    raw = env.get(name)
    if not raw:
        return None
    if len(raw) < 16:
        raise SettingsError(f"{name}: a key needs at least 16 characters")
    return raw.encode()
