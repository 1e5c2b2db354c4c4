"""Replicas per topic partition for the size of the cluster."""

from streams.kafka.admin import replication_factor


def test_three_replicas_where_there_are_three_brokers_or_more() -> None:
    assert [replication_factor(n) for n in (1, 2, 3, 5)] == [1, 2, 3, 3]
