"""The secure profile against Apache Kafka's real authorizer: a broker started as
`screening broker --secure` starts it (SASL_SSL, SCRAM-SHA-512, StandardAuthorizer,
`allow.everyone.if.no.acl.found=false`), `screening acl --apply` creates the users and the
ACLs, and real clients with each principal's credentials file are allowed or refused.

Every refusal is asserted as the broker's authorization error code, which arrives within
a second; a client left waiting would end in a timeout code instead and fail the test."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import orjson
import pytest
from confluent_kafka import Consumer, KafkaError, Producer
from confluent_kafka.admin import AdminClient, NewTopic

from streams.kafka import secure_profile
from streams.kafka.client_properties import environment
from streams.kafka.kafka_cluster import KafkaCluster
from streams.watchlist.entry import encode_entry
from tests.factories import LISTED_IBAN, payment_bytes, watchlist_entry
from tests.integration.harness import WorkerProcess, unique, wait_until

pytestmark = [
    pytest.mark.integration,
    pytest.mark.skipif(
        not (shutil.which("java") and shutil.which("mvn") and shutil.which("openssl")),
        reason="the secure profile runs Apache Kafka: needs java, mvn and openssl",
    ),
]

MEMBERS = ("a", "b")
# Long enough that only a broker that never answers reaches it: refusals take well under 1 s.
ANSWER_TIMEOUT_S = 60.0
# A payer key, so that the worker has nothing to warn about and its output is its error.
PAYER_KEY = "secure-profile-test-payer-key"


class Cluster:
    """The running secure cluster: its address and each principal's client properties."""

    def __init__(self, bootstrap: str, admin: dict[str, str], credentials: Path) -> None:
        self.bootstrap = bootstrap
        self.admin = admin
        self.credentials = credentials

    def config(self, user: str) -> dict[str, str]:
        properties = orjson.loads((self.credentials / f"{user}.json").read_bytes())
        assert isinstance(properties, dict)
        return properties


@pytest.fixture(scope="module")
def cluster(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Cluster]:
    root = tmp_path_factory.mktemp("secure")
    kafka = KafkaCluster("127.0.0.1", nodes=1, data_dir=root / "data")
    admin_file = secure_profile.configure(kafka, secure_profile.prepare(root / "tls", "127.0.0.1"))
    with kafka:
        credentials = root / "credentials"
        result = subprocess.run(
            [
                sys.executable, "-m", "streams.cli.main", "acl", "--members", ",".join(MEMBERS),
                "--apply", "--admin-config", str(admin_file),
                "--credentials-out", str(credentials),
            ],
            capture_output=True, timeout=120, check=False,
        )  # fmt: skip
        assert result.returncode == 0, result.stderr.decode()
        admin = orjson.loads(admin_file.read_bytes())
        yield Cluster(kafka.bootstrap_servers, admin, credentials)


def produce_error(config: dict[str, str], topic: str, key: bytes = b"k") -> KafkaError | None:
    """The delivery report's error of one record (None: written)."""
    reports: list[KafkaError | None] = []
    producer = Producer({**config, "linger.ms": 1, "log_level": 0})
    producer.produce(topic, b"{}", key=key, on_delivery=lambda err, _msg: reports.append(err))
    assert producer.flush(ANSWER_TIMEOUT_S) == 0, f"no delivery report for {topic}"
    return reports[0]


def consume_first(config: dict[str, str], topic: str, group: str) -> tuple[str, Any]:
    """Subscribe as `group` and return ("error", code) or ("record", value) for the first
    thing the consumer gets; fails when nothing comes within the answer timeout."""
    consumer = Consumer(
        {**config, "group.id": group, "auto.offset.reset": "earliest", "log_level": 0}
    )
    consumer.subscribe([topic])
    try:
        deadline = time.monotonic() + ANSWER_TIMEOUT_S
        while time.monotonic() < deadline:
            message = consumer.poll(0.5)
            if message is None:
                continue
            error = message.error()
            if error is not None:
                return "error", error.code()
            return "record", message.value()
    finally:
        consumer.close()
    raise AssertionError(f"neither a record nor an error from {topic} within {ANSWER_TIMEOUT_S}s")


def assert_refused_write(config: dict[str, str], topic: str) -> None:
    error = produce_error(config, topic)
    assert error is not None, f"{config['sasl.username']} wrote {topic}"
    assert error.code() == KafkaError.TOPIC_AUTHORIZATION_FAILED, error


def test_credentials_files_are_the_principals_own(cluster: Cluster) -> None:
    names = sorted(p.name for p in cluster.credentials.iterdir())
    assert names == [
        "a.json",
        "b.json",
        "console.json",
        "screening.json",
        "watchlist-publisher.json",
    ]
    for path in cluster.credentials.iterdir():
        assert path.stat().st_mode & 0o777 == 0o600, path
        properties = orjson.loads(path.read_bytes())
        assert properties["sasl.username"] == path.stem
        assert properties["security.protocol"] == "SASL_SSL"
        assert properties["sasl.mechanism"] == "SCRAM-SHA-512"
        assert properties["bootstrap.servers"] == cluster.bootstrap
    assert cluster.config("a")["sasl.password"] != cluster.config("b")["sasl.password"]


def test_a_member_is_refused_another_members_topics_and_the_watchlist(cluster: Cluster) -> None:
    member = cluster.config("a")
    assert produce_error(member, "payments.a") is None
    assert_refused_write(member, "payments.b")
    assert_refused_write(member, "watchlist")
    assert_refused_write(member, "rules")
    for topic in ("decisions.b", "payments.b"):
        assert consume_first(member, topic, "decisions-a") == (
            "error",
            KafkaError.TOPIC_AUTHORIZATION_FAILED,
        ), topic
    # Its own decisions, in its own group; another member's group is refused.
    assert produce_error(cluster.config("screening"), "decisions.a", b"t-own") is None
    assert consume_first(member, "decisions.a", "decisions-a")[0] == "record"
    assert consume_first(member, "decisions.a", "decisions-b") == (
        "error",
        KafkaError.GROUP_AUTHORIZATION_FAILED,
    )


def test_the_console_reads_decisions_and_a_member_only_its_own_resolutions(
    cluster: Cluster,
) -> None:
    client = AdminClient({**cluster.admin, "log_level": 0})
    for future in client.create_topics(
        [NewTopic(f"resolutions.{m}", 1, 1) for m in MEMBERS]
    ).values():
        future.result(ANSWER_TIMEOUT_S)
    console = cluster.config("console")
    assert produce_error(cluster.config("screening"), "decisions.b", b"t-console") is None
    assert consume_first(console, "decisions.b", unique("console"))[0] == "record"
    assert produce_error(console, "resolutions.a", b"t-resolved") is None
    assert_refused_write(console, "payments.a")
    assert consume_first(cluster.config("a"), "resolutions.a", "decisions-a")[0] == "record"
    assert consume_first(cluster.config("b"), "resolutions.a", "decisions-b") == (
        "error",
        KafkaError.TOPIC_AUTHORIZATION_FAILED,
    )
    assert_refused_write(cluster.config("a"), "resolutions.a")


def test_the_coalition_operator_writes_the_watchlist_and_rules(cluster: Cluster) -> None:
    publisher = cluster.config("watchlist-publisher")
    assert produce_error(publisher, "watchlist", b"wl-operator") is None
    assert produce_error(publisher, "rules", b"r-operator") is None
    assert_refused_write(publisher, "payments.a")


def test_the_workers_principal_screens_a_members_payments(cluster: Cluster, tmp_path: Path) -> None:
    """A real worker as User:screening: reads payments.a, writes decisions.a and alerts,
    through its consumer group and its changelog topics."""
    listed = watchlist_entry(unique("wl"))
    entry_id = str(listed["entry_id"])
    publisher = cluster.config("watchlist-publisher")
    producer = Producer({**publisher, "log_level": 0})
    producer.produce("watchlist", encode_entry(listed), key=entry_id.encode())
    assert producer.flush(ANSWER_TIMEOUT_S) == 0
    worker_env = {**environment(cluster.config("screening")), "SCREENING_PAYER_KEY": PAYER_KEY}
    worker = WorkerProcess(cluster.bootstrap, tmp_path, list(MEMBERS), **worker_env).start()
    try:
        txn_id = unique("txn")
        member = cluster.config("a")
        member_producer = Producer({**member, "log_level": 0})
        admin = cluster.admin
        decisions = Reader(admin, ["decisions.a", "alerts"])
        deadline = time.monotonic() + 120
        # Paid until decided: the worker screens once its replicas caught up.
        while time.monotonic() < deadline and not decisions.has(txn_id):
            payment = payment_bytes(txn_id, "a", payee={"iban": LISTED_IBAN})
            member_producer.produce("payments.a", payment, key=txn_id.encode())
            assert member_producer.flush(ANSWER_TIMEOUT_S) == 0
            worker.assert_alive()
            decisions.poll(3.0)
        decided = decisions.records("decisions.a", txn_id)
        assert decided, worker.log()
        assert decided[0]["decision"] == "block", decided[0]
        assert wait_until(lambda: decisions.poll(0.5) or decisions.records("alerts", txn_id), 60)
        assert wait_until(lambda: committed(admin, worker.env["SCREENING_APP_ID"]), 60), (
            "the worker's consumer group committed nothing"
        )
        changelogs = [t for t in topic_names(admin) if t.endswith("-changelog")]
        assert any(t.startswith(worker.env["SCREENING_APP_ID"]) for t in changelogs), changelogs
        assert "Authorization" not in worker.log(), worker.log()
    finally:
        worker.stop()


def test_a_worker_with_a_wrong_password_stops_in_one_line(cluster: Cluster, tmp_path: Path) -> None:
    env = {
        **os.environ,
        **environment(cluster.config("screening")),
        "KAFKA_SASL_PASSWORD": "not-the-password",
        "SCREENING_MEMBERS": ",".join(MEMBERS),
        "SCREENING_PAYER_KEY": PAYER_KEY,
        "SCREENING_DATA_DIR": str(tmp_path / "state"),
    }
    started = time.monotonic()
    result = subprocess.run(
        [sys.executable, "-m", "streams.cli.main", "worker"],
        capture_output=True,
        env=env,
        timeout=60,
        check=False,
    )
    elapsed = time.monotonic() - started
    output = (result.stdout + result.stderr).decode()
    lines = [line for line in output.splitlines() if line.strip()]
    assert result.returncode != 0
    assert elapsed < 30, f"took {elapsed:.0f}s: a retry loop?"
    assert len(lines) == 1, output
    assert lines[0].startswith("Error: authentication failed"), output
    assert "Traceback" not in output
    assert "not-the-password" not in output
    assert cluster.config("screening")["sasl.password"] not in output


# --- reading as the super user -------------------------------------------------------------


class Reader:
    """Follows topics from the beginning as the admin and keeps JSON values by topic."""

    def __init__(self, config: dict[str, str], topics: list[str]) -> None:
        self.consumer = Consumer(
            {
                **config,
                "group.id": unique("secure-reader"),
                "auto.offset.reset": "earliest",
                "enable.auto.commit": False,
                "log_level": 0,
            }
        )
        self.consumer.subscribe(topics)
        self.seen: list[tuple[str, dict[str, Any]]] = []

    def poll(self, seconds: float) -> bool:
        deadline = time.monotonic() + seconds
        while time.monotonic() < deadline:
            message = self.consumer.poll(0.2)
            if message is not None and message.error() is None and message.value():
                self.seen.append((message.topic() or "", orjson.loads(message.value() or b"")))
        return False

    def records(self, topic: str, txn_id: str) -> list[dict[str, Any]]:
        return [
            value
            for name, value in self.seen
            if name == topic and orjson.dumps(value).find(txn_id.encode()) >= 0
        ]

    def has(self, txn_id: str) -> bool:
        return bool(self.records("decisions.a", txn_id))


def topic_names(config: dict[str, str]) -> list[str]:
    from confluent_kafka.admin import AdminClient

    return list(AdminClient({**config, "log_level": 0}).list_topics(timeout=10).topics)


def committed(config: dict[str, str], group: str) -> bool:
    """True when `group` has a committed offset on payments.a."""
    from confluent_kafka import ConsumerGroupTopicPartitions
    from confluent_kafka.admin import AdminClient

    client = AdminClient({**config, "log_level": 0})
    future = client.list_consumer_group_offsets([ConsumerGroupTopicPartitions(group)])[group]
    partitions = future.result().topic_partitions or []
    return any(tp.topic == "payments.a" and tp.offset >= 0 for tp in partitions)
