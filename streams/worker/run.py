"""`screening worker`: wires settings, topics, the watchlist replica, the screening agent
and member discovery into one Faust worker process."""

from __future__ import annotations

import asyncio
import logging
import time
from functools import partial
from typing import Any

import faust

from streams.agents.compacted_replica import Follower
from streams.agents.links_replica import LinksReplica
from streams.agents.recent_decisions import RecentDecisions
from streams.agents.rules_replica import RulesReplica
from streams.agents.screen import register_screen_agent
from streams.agents.velocity_stage import register_velocity_stages
from streams.agents.watchlist_replica import WatchlistReplica
from streams.agents.watchlist_snapshots import SnapshotKeeper
from streams.faust_ext.batch_path import last_inbound
from streams.faust_ext.conductor import resubscribe
from streams.kafka import admin, topics
from streams.ops import metrics
from streams.pipeline.processor import PaymentProcessor
from streams.settings import Settings
from streams.watchlist import snapshot
from streams.watchlist.index import WatchlistIndex
from streams.watchlist.links import LinkIndex
from streams.watchlist.parse_cache import open_cache
from streams.watchlist.snapshot_store import SnapshotStore
from streams.worker.app import create_app
from streams.worker.followers import FollowerStarter
from streams.worker.heap import freeze_loaded_state
from streams.worker.instrumentation import instrument_worker

log = logging.getLogger(__name__)


def initial_members(settings: Settings, client: Any) -> list[str]:
    """SCREENING_MEMBERS, or the members with a payments topic; waits for the first one."""
    if settings.members:
        admin.ensure_member_topics(client, settings, list(settings.members))
        return list(settings.members)
    while True:
        members = admin.discover_members(client)
        if members:
            admin.ensure_member_topics(client, settings, members)
            return members
        log.warning("no payments.<member> topic on the broker yet; waiting")
        time.sleep(settings.discovery_interval_s)


def build_worker_app(settings: Settings) -> faust.App:
    """The wired Faust app; raises admin.BrokerUnavailable when no broker answers."""
    client = admin.wait_for_broker(settings)
    profile = admin.broker_profile(client)
    log.info("broker: %s", profile.describe())
    admin.ensure_core_topics(client, settings)
    members = initial_members(settings, client)
    app, payments = create_app(settings, [topics.payments_topic(m) for m in members], profile)
    metrics.serve_members(members)

    index = WatchlistIndex()
    store = None
    if settings.watchlist_snapshot_interval_s > 0:
        ident = snapshot.identity(topics.WATCHLIST, settings.coalition_key)
        store = SnapshotStore(settings.data_dir, ident, settings.watchlist_snapshot_max_age_s)
    replica = WatchlistReplica(settings, index, open_cache(settings.data_dir), store)
    links = LinkIndex(settings.link_ttl)
    links_replica = LinksReplica(settings, links)
    processor = PaymentProcessor.from_settings(index, settings, links)
    processor.serve_members(members)
    rules_replica = RulesReplica(settings, processor)
    recent = RecentDecisions(settings, processor, settings.redelivery_window_s)
    recent.follow(members)
    replicas: list[Follower] = [replica, links_replica, rules_replica, recent]
    agent = register_screen_agent(app, payments, processor, replicas, settings.batch_max)
    register_velocity_stages(app, settings, processor, replicas)
    instrument_worker(app, agent, replica)

    app.add_dependency(FollowerStarter(replicas))

    @app.task  # type: ignore[untyped-decorator]
    async def follow_replicated_state() -> None:
        await freeze_loaded_state(replicas)

    if store is not None:
        keeper = SnapshotKeeper(
            replica, store, settings.watchlist_snapshot_interval_s, partial(last_inbound, app)
        )
        app.task(keeper.run)

        async def snapshot_at_shutdown(_app: Any, /, *_: Any, signal: Any, **__: Any) -> None:
            await keeper.snapshot()

        app.on_before_shutdown.connect(snapshot_at_shutdown)

    if not settings.members:

        @app.timer(settings.discovery_interval_s)  # type: ignore[untyped-decorator]
        async def discover_new_members() -> None:
            loop = asyncio.get_running_loop()
            found = await loop.run_in_executor(None, admin.discover_members, client)
            new = [m for m in found if topics.payments_topic(m) not in payments.topics]
            if not new:
                return
            await loop.run_in_executor(None, admin.ensure_member_topics, client, settings, new)
            recent.follow(new)
            processor.serve_members(new)
            add_payment_topics(app, payments, [topics.payments_topic(m) for m in new])
            metrics.serve_members(m for t in payments.topics if (m := topics.member_of(t)))
            log.info("serving new members: %s", ", ".join(new))

    return app


def add_payment_topics(app: faust.App, payments: Any, names: list[str]) -> None:
    """Add topics to the payments channel and every clone the agent iterates, then ask
    Faust's conductor to re-subscribe: Faust's conductor subscribes to named topics only,
    so `app.topic(pattern=...)` subscribes to nothing on any broker."""
    originals = set(payments.topics)
    for channel in [payments, *app.topics]:
        if set(getattr(channel, "topics", ())) == originals:
            channel.topics = [*channel.topics, *names]
    resubscribe(app)


def run_worker(settings: Settings, loglevel: str = "info") -> None:
    """Run a worker in the foreground until SIGTERM/SIGINT."""
    if settings.payer_key is None:
        log.warning(
            "SCREENING_PAYER_KEY is not set: payer refs in alerts and velocity state are "
            "unkeyed digests, which a guessed payer id can be tested against"
        )
    app = build_worker_app(settings)
    worker = faust.Worker(app, loglevel=loglevel, quiet=True)
    # Faust's terminal spinner sets the root logger to DEBUG for as long as the worker
    # runs, so every debug call of aiokafka (several per record produced) builds a log
    # record that no handler prints. A worker is not a terminal: no spinner.
    worker.spinner = None
    worker.execute_from_commandline()
