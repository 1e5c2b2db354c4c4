"""What `screening tail` and the readers say of a topic the metadata does not list."""

from __future__ import annotations

from dataclasses import replace

from streams.kafka.client import unknown_topic
from streams.settings import Settings


def test_on_a_plain_cluster_a_missing_topic_does_not_exist() -> None:
    settings = Settings.from_env({})
    assert unknown_topic(settings, "nope") == "topic 'nope' does not exist"


def test_on_a_secured_cluster_absence_may_be_the_authorizer_hiding_it() -> None:
    # Apache Kafka's authorizer leaves out of the metadata what a principal may not
    # describe: member a asking for decisions.b sees no such topic.
    settings = replace(Settings.from_env({}), security_protocol="SASL_SSL")
    assert unknown_topic(settings, "decisions.b") == (
        "topic 'decisions.b' does not exist or these credentials may not see it"
    )
