"""Apache Kafka's node configuration, without starting a JVM: what each node of a cluster
is told about its listeners, quorum, replication and storage."""

from __future__ import annotations

from pathlib import Path

import pytest

from streams.kafka.kafka_cluster import (
    KafkaCluster,
    KafkaNode,
    last_error_line,
    min_insync_replicas,
    node_properties,
    replication_factor,
    write_properties,
)


def nodes(count: int, base: int = 19092) -> list[KafkaNode]:
    return [
        KafkaNode(i + 1, "127.0.0.1", base + i, 29000 + i, Path(f"/data/node-{i + 1}"))
        for i in range(count)
    ]


@pytest.mark.parametrize(
    ("brokers", "replicas", "in_sync"), [(1, 1, 1), (2, 2, 2), (3, 3, 2), (5, 3, 2)]
)
def test_replication_follows_the_cluster_size_up_to_three(
    brokers: int, replicas: int, in_sync: int
) -> None:
    assert replication_factor(brokers) == replicas
    assert min_insync_replicas(brokers) == in_sync


def test_a_three_node_cluster_replicates_three_ways_and_needs_two_in_sync() -> None:
    cluster = nodes(3)
    props = node_properties(cluster[1], cluster)
    assert props["node.id"] == "2"
    assert props["process.roles"] == "broker,controller"
    assert props["controller.quorum.voters"] == (
        "1@127.0.0.1:29000,2@127.0.0.1:29001,3@127.0.0.1:29002"
    )
    assert props["listeners"] == "CLIENT://127.0.0.1:19093,CONTROLLER://127.0.0.1:29001"
    assert props["advertised.listeners"] == "CLIENT://127.0.0.1:19093"
    assert props["log.dirs"] == "/data/node-2/log"
    for key in (
        "default.replication.factor",
        "offsets.topic.replication.factor",
        "transaction.state.log.replication.factor",
    ):
        assert props[key] == "3", key
    assert props["min.insync.replicas"] == "2"
    assert props["transaction.state.log.min.isr"] == "2"


def test_a_single_node_asks_for_no_more_replicas_than_it_has() -> None:
    (only,) = nodes(1)
    props = node_properties(only, [only])
    assert props["controller.quorum.voters"] == "1@127.0.0.1:29000"
    assert {props[k] for k in props if "replication.factor" in k} == {"1"}
    assert props["min.insync.replicas"] == "1"


def test_the_client_listener_can_be_secured_by_the_caller() -> None:
    (only,) = nodes(1)
    props = node_properties(
        only, [only], {"listener.security.protocol.map": "CLIENT:SASL_SSL,CONTROLLER:PLAINTEXT"}
    )
    assert props["listener.security.protocol.map"] == "CLIENT:SASL_SSL,CONTROLLER:PLAINTEXT"


def test_properties_files_escape_backslashes(tmp_path: Path) -> None:
    path = tmp_path / "server.properties"
    write_properties(path, {"a": "1", "b": "C:\\x"})
    assert path.read_text() == "a=1\nb=C:\\\\x\n"


def test_the_bootstrap_list_names_every_node_on_consecutive_ports() -> None:
    cluster = KafkaCluster("127.0.0.1", 19092, nodes=3)
    assert cluster.bootstrap_servers == "127.0.0.1:19092,127.0.0.1:19093,127.0.0.1:19094"


def test_a_cluster_needs_a_node() -> None:
    with pytest.raises(Exception, match="at least one node"):
        KafkaCluster(nodes=0)


def test_a_failed_node_is_reported_by_its_last_error(tmp_path: Path) -> None:
    log = tmp_path / "kafka.log"
    log.write_text("[kafka 10:00:00] WARN slow\n[kafka 10:00:01] ERROR port in use (x)\nbye\n")
    assert last_error_line(log) == "[kafka 10:00:01] ERROR port in use (x)"
    assert last_error_line(tmp_path / "missing.log") == "no log"


def test_a_cluster_fences_a_dead_broker_within_seconds_a_lone_node_keeps_the_default() -> None:
    cluster = nodes(3)
    props = node_properties(cluster[0], cluster)
    assert props["broker.session.timeout.ms"] == "3000"
    assert int(props["broker.heartbeat.interval.ms"]) < 3000
    (only,) = nodes(1)
    assert "broker.session.timeout.ms" not in node_properties(only, [only])
