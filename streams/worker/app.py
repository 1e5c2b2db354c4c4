"""The one Faust app, built from the settings object; every topic declared here by name."""

from __future__ import annotations

from typing import Any

import faust
from prometheus_client import CONTENT_TYPE_LATEST, generate_latest

from streams.faust_ext.conductor import set_resubscribe_delay
from streams.faust_ext.native_fetch import use_native_fetch
from streams.faust_ext.raw_schema import RawSchema
from streams.faust_ext.transport import (
    set_fetch_max_wait,
    set_fetch_min_bytes,
    set_idle_fetch_wait,
    set_read_past_end_offsets,
    use_native_producer,
)
from streams.kafka.broker_profile import KAFKA, BrokerProfile
from streams.settings import Settings

# Faust waits this long after a subscription change before re-subscribing; its 45 s
# default would make a new member's payments wait most of a minute.
RESUBSCRIBE_DELAY_S = 3.0
# An idle worker's fetch wait on Apache Kafka, which answers a waiting fetch as soon as data
# arrives (streams/faust_ext/fetch_wait.py); other brokers (the embedded one holds an empty
# fetch for the whole wait) keep the short one.
IDLE_FETCH_WAIT_MS = 100


def create_app(
    settings: Settings, payment_topic_names: list[str], profile: BrokerProfile
) -> tuple[faust.App, Any]:
    """Consumes settings, the member payment topics to serve and the broker's profile;
    produces the app and its payments topic (whose name list may grow as members appear)."""
    app = faust.App(
        settings.app_id,
        broker=[f"screening://{server}" for server in settings.bootstrap_servers.split(",")],
        broker_credentials=_credentials(settings),
        store="memory://",
        datadir=str(settings.data_dir),
        autodiscover=False,
        web_enabled=True,
        web_host=settings.web_host,
        web_port=settings.web_port,
        # The metrics page on a thread of its own: on the event loop it waited for the
        # drain, which under a backlog runs batch after batch (a scrape took 0.4-4.2 s,
        # measured, and the bench's CPU clock, started on a scrape, started late).
        web_in_thread=True,
        topic_partitions=settings.topic_partitions,
        topic_allow_declare=True,
        # Changelogs with fewer replicas than the cluster's min.insync.replicas would
        # refuse every acks=all write.
        topic_replication_factor=profile.replication_factor,
        # Not Faust's 60 s: a worker that died hands its partitions over within seconds
        # (a choice for failover time on every broker, not a broker workaround).
        broker_rebalance_timeout=5,
        broker_session_timeout=10,
        broker_heartbeat_interval=1,
        broker_commit_every=1000,
        broker_commit_interval=1.0,
        producer_linger_ms=2,
        producer_acks=-1,
        stream_wait_empty=True,
        consumer_auto_offset_reset="earliest",
    )
    set_resubscribe_delay(app, RESUBSCRIBE_DELAY_S)
    set_fetch_max_wait(app, settings.fetch_max_wait_ms)
    set_fetch_min_bytes(app, settings.fetch_min_bytes)
    set_idle_fetch_wait(app, IDLE_FETCH_WAIT_MS if profile.kind == KAFKA else None)
    set_read_past_end_offsets(app, profile.read_past_end_offsets)
    use_native_producer(app, settings.kafka_client_config())
    use_native_fetch(app, settings.kafka_client_config() if settings.native_fetch else None)
    payments = app.topic(*payment_topic_names, schema=RawSchema())

    @app.page("/metrics")
    async def metrics_page(web: Any, request: Any) -> Any:
        return web.bytes(generate_latest(), content_type=CONTENT_TYPE_LATEST.split(";")[0])

    return app, payments


def _credentials(settings: Settings) -> Any:
    if settings.security_protocol == "PLAINTEXT":
        return None
    ssl_context = None
    if settings.security_protocol in ("SSL", "SASL_SSL"):
        import ssl

        ssl_context = ssl.create_default_context(cafile=settings.ssl_cafile)
    if settings.security_protocol.startswith("SASL"):
        return faust.SASLCredentials(
            username=settings.sasl_username,
            password=settings.sasl_password,
            mechanism=settings.sasl_mechanism or "SCRAM-SHA-512",
            ssl_context=ssl_context,
        )
    return faust.SSLCredentials(ssl_context)
