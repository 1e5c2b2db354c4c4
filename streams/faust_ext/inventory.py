"""Every private name (one leading underscore) of Faust, mode and aiokafka the project
uses, with the versions they were checked against.

These are not APIs: an upgrade may rename or remove any of them without notice. All of
them are used in `streams/faust_ext/` only; tests/unit/faust_ext/test_inventory.py fails
when a use is added there without an entry here, when an entry is no longer used, when
one is used elsewhere in `streams/`, and when an installed version differs from the one
below. After an upgrade, re-check every entry against the new sources (does the name
still exist, does it still mean what `why` says), then update the versions.

In a class that extends one of theirs, the single-underscore names are theirs: the
project's own additions there are public (`rewind`, `new_probe`, `in_flight`)."""

from __future__ import annotations

from dataclasses import dataclass

FAUST_STREAMING_VERSION = "0.15.3"
MODE_STREAMING_VERSION = "0.7.1"
AIOKAFKA_VERSION = "0.14.0"

# Distribution name -> the version every entry below was checked against.
CHECKED_VERSIONS = {
    "faust-streaming": FAUST_STREAMING_VERSION,
    "mode-streaming": MODE_STREAMING_VERSION,
    "aiokafka": AIOKAFKA_VERSION,
}

_CONSUMER = "streams.faust_ext.fast_consumer:BatchDrainMixin"
_DRAIN = f"{_CONSUMER}._drain_messages"
_THREAD = "streams.faust_ext.transport:ConsumerThread"
_BATCH = f"{_CONSUMER}.deliver_batch"
_ACKED = "streams.faust_ext.batch_path:mark_acked"
_NATIVE = "streams.faust_ext.native_fetch:NativeFetchMixin"


@dataclass(frozen=True)
class Internal:
    """One private name: the class or module that defines it, the name, where the
    project uses it (`module:function`) and why."""

    owner: str
    name: str
    used_in: tuple[str, ...]
    why: str


INVENTORY: tuple[Internal, ...] = (
    # --- the topic conductor (app.topics) ---------------------------------------------
    Internal(
        "faust.transport.conductor.Conductor",
        "_resubscribe_sleep_lock_seconds",
        ("streams.faust_ext.conductor:set_resubscribe_delay",),
        "Faust's 45 s wait before re-subscribing would make a new member's payments wait "
        "most of a minute; it has no setting.",
    ),
    Internal(
        "faust.transport.conductor.Conductor",
        "_flag_changes",
        ("streams.faust_ext.conductor:resubscribe",),
        "Re-subscribes the consumer once a new member's payments topic is added to the "
        "agent's channel: Faust's pattern subscription subscribes to nothing on any "
        "broker (its conductor subscribes to named topics only) and there is no public "
        "call for it.",
    ),
    Internal(
        "faust.transport.conductor.Conductor",
        "_tp_to_callback",
        (_DRAIN,),
        "The partition's delivery handler, which the drain awaits inline when a delivery "
        "cannot block instead of through Faust's task pair per message.",
    ),
    Internal(
        "faust.transport.conductor.Conductor",
        "_tp_index",
        (_DRAIN,),
        "The channels (agent queues) of a partition: a full one means the delivery could "
        "block, so it takes Faust's own path.",
    ),
    Internal(
        "faust.transport.conductor.Conductor",
        "_tp_to_callback_lock",
        (_DRAIN,),
        "Held while the conductor re-subscribes, when a delivery could block.",
    ),
    # --- the consumer --------------------------------------------------------------------
    Internal(
        "faust.transport.consumer.Consumer",
        "_drain_messages",
        (_DRAIN, f"{_NATIVE}._drain_messages"),
        "Replaced by a drain without a task per message (Faust's capped an agent at ~3.5k "
        "messages/s) that also refetches offset gaps and seeks back when flow control "
        "empties the agents' queues.",
    ),
    Internal(
        "faust.transport.consumer.Consumer",
        "_committed_offset",
        ("streams.faust_ext.consumer_offsets:committed_offsets", f"{_CONSUMER}.rewind", _ACKED),
        "The group's committed offsets as Faust keeps them (updated on every commit, seeded "
        "on assignment), with no public accessor: the lag is measured from them, the "
        "drain's seek back resets them, and a batch's acks skip offsets below them as "
        "Faust's ack does.",
    ),
    Internal(
        "faust.transport.consumer.Consumer",
        "_seek",
        (f"{_NATIVE}._seek",),
        "Every seek of a partition (Faust's and the drain's) ends here: a routed one moves "
        "the native reader instead of aiokafka, which never fetches it.",
    ),
    Internal(
        "faust.transport.drivers.aiokafka.AIOKafkaConsumerThread",
        "_ensure_consumer",
        ("streams.faust_ext.native_fetch:pause_in_aiokafka",),
        "The aiokafka consumer of Faust's thread, in which the routed partitions are paused "
        "as they are assigned (the native reader reads them).",
    ),
    Internal(
        "faust.transport.consumer.Consumer",
        "_read_offset",
        (f"{_CONSUMER}.rewind", _DRAIN, _BATCH, f"{_CONSUMER}.run_route"),
        "Faust's per-partition read offsets, which the drain keeps per message (per batch "
        "on the batch path) as Faust's does and its seek back resets as Faust's "
        "perform_seek does.",
    ),
    Internal(
        "faust.transport.consumer.Consumer",
        "_commit_every",
        (_DRAIN, _BATCH),
        "The broker_commit_every count after which the drain commits, as Faust's does.",
    ),
    Internal(
        "faust.transport.consumer.Consumer",
        "_n_acked",
        (_DRAIN, _BATCH, _ACKED),
        "Acks since the last commit, which the drain compares with and resets at "
        "_commit_every, as Faust's does; a batch's acks count towards it as Faust's ack "
        "counts each.",
    ),
    Internal(
        "faust.transport.consumer.Consumer",
        "_acked",
        (_ACKED,),
        "The acked offsets of each partition, from which Faust's commit finds the offset "
        "to commit: a batch's records never become Faust messages, so their acks are "
        "recorded as Consumer.ack records a message's.",
    ),
    Internal(
        "faust.transport.consumer.Consumer",
        "_acked_index",
        (_ACKED,),
        "The set beside _acked that Consumer.ack keeps in step with it (no offset acked twice).",
    ),
    Internal(
        "faust.transport.consumer.Consumer",
        "_buffered_partitions",
        (_DRAIN,),
        "Partitions whose records are delivered although not active, as in Faust's getmany.",
    ),
    Internal(
        "faust.transport.consumer.Consumer",
        "_wait_next_records",
        (_DRAIN,),
        "Faust's fetch of the next batch and its active partitions, one batch at a time.",
    ),
    Internal(
        "faust.transport.consumer.Consumer",
        "_add_gap",
        (_DRAIN, _BATCH),
        "Counts a gap still there after a refetch (transaction markers, compaction) as "
        "acked, as Faust does for every gap.",
    ),
    Internal(
        "faust.transport.drivers.aiokafka.Consumer",
        "_to_message",
        (_DRAIN,),
        "Makes Faust's Message of an aiokafka record, as Faust's getmany does.",
    ),
    Internal(
        "faust.transport.drivers.aiokafka.Consumer",
        "_new_consumer_thread",
        ("streams.faust_ext.transport:Consumer._new_consumer_thread",),
        "Makes Faust's consumer run the project's consumer thread (short fetch wait, true "
        "end offsets for recovery, records of revoked partitions survived).",
    ),
    Internal(
        "mode.services.Service",
        "_stopped",
        (_DRAIN,),
        "The consumer's and the fetcher's stop events, which end the drain loop as they "
        "end Faust's.",
    ),
    # --- the consumer thread and aiokafka's consumer -----------------------------------
    Internal(
        "faust.transport.drivers.aiokafka.AIOKafkaConsumerThread",
        "_create_worker_consumer",
        (f"{_THREAD}._create_worker_consumer",),
        "Faust hard-codes fetch_max_wait_ms=1500 for its worker consumer, which adds up to "
        "1.5 s to a decision on a broker that holds empty fetches; the consumer it creates "
        "gets the configured wait.",
    ),
    Internal(
        "aiokafka.consumer.consumer.AIOKafkaConsumer",
        "_fetch_max_wait_ms",
        (f"{_THREAD}._create_worker_consumer",),
        "Read by aiokafka when it starts its fetcher, after creation: set there, the wait "
        "is changed without rebuilding Faust's consumer arguments.",
    ),
    Internal(
        "aiokafka.consumer.consumer.AIOKafkaConsumer",
        "_fetch_min_bytes",
        (f"{_THREAD}._create_worker_consumer",),
        "Read by aiokafka when it starts its fetcher, as the wait is: the bytes a fetch "
        "waits for (SCREENING_FETCH_MIN_BYTES), which Faust does not pass.",
    ),
    Internal(
        "faust.transport.drivers.aiokafka.AIOKafkaConsumerThread",
        "_consumer",
        (f"{_THREAD}.on_start",),
        "The aiokafka consumer Faust's thread started: its fetcher gets the idle fetch wait.",
    ),
    Internal(
        "aiokafka.consumer.consumer.AIOKafkaConsumer",
        "_fetcher",
        (f"{_THREAD}.on_start",),
        "The fetcher whose requests carry the fetch wait (streams.faust_ext.fetch_wait).",
    ),
    Internal(
        "aiokafka.consumer.fetcher.Fetcher",
        "_proc_fetch_request",
        ("streams.faust_ext.fetch_wait:adapt_fetch_wait",),
        "Sends one fetch and says whether it brought records: wrapped to choose the wait "
        "of the next fetch, which the fetcher builds right after it returns.",
    ),
    Internal(
        "aiokafka.consumer.fetcher.Fetcher",
        "_fetch_max_wait_ms",
        ("streams.faust_ext.fetch_wait:adapt_fetch_wait",),
        "The wait each fetch request is built with: longer while idle, on Apache Kafka.",
    ),
    Internal(
        "aiokafka.consumer.fetcher.Fetcher",
        "_fetch_min_bytes",
        ("streams.faust_ext.fetch_wait:adapt_fetch_wait",),
        "The bytes each fetch request waits for: one while idle, so that the idle wait "
        "never holds the first payment after a quiet spell.",
    ),
    Internal(
        "aiokafka.consumer.fetcher.Fetcher",
        "_records",
        ("streams.faust_ext.fetch_wait:adapt_fetch_wait",),
        "Records fetched and not yet handed out: their partitions are left out of the next "
        "fetch, so the wait stays short while any are buffered.",
    ),
    Internal(
        "faust.transport.drivers.aiokafka.AIOKafkaConsumerThread",
        "_highwaters",
        (f"{_THREAD}._highwaters",),
        "Table recovery stops at the reported end offset, which a broker may report short "
        "of its last batch's later records (the embedded broker does): changelog ends are "
        "read past it.",
    ),
    Internal(
        "faust.transport.drivers.aiokafka.AIOKafkaConsumerThread",
        "_create_client_consumer",
        (f"{_THREAD}.new_probe",),
        "A consumer without a group, configured as Faust's, that reads past the reported "
        "end offsets.",
    ),
    # --- the producer and agents ------------------------------------------------------
    Internal(
        "faust.transport.producer.ProducerBuffer",
        "_send_pending",
        (
            "streams.faust_ext.changelog_buffer:DrainingProducerBuffer._send_pending",
            "streams.faust_ext.changelog_buffer:DrainingProducerBuffer.flush",
        ),
        "Counts the write in flight, so that the flush before a commit waits for every "
        "changelog write: Faust's gives up after 0.1 s per write and the commit passes "
        "writes a crash then loses.",
    ),
    Internal(
        "faust.transport.drivers.aiokafka.Producer",
        "_send_on_produce_message",
        ("streams.faust_ext.transport:Producer.send",),
        "Fires Faust's on_produce_message signal for a record sent through librdkafka, as "
        "Faust's own send does.",
    ),
    Internal(
        "faust.agents.agent.Agent",
        "_on_error",
        (
            "streams.faust_ext.agent_hooks:has_error_handler",
            "streams.faust_ext.agent_hooks:run_before_error_handler",
        ),
        "Faust's app.agent() passes its own on_error and accepts no second one, so the "
        "handler it stored is wrapped to count agent crashes.",
    ),
)
