"""From one payment message to the records the pipeline writes: a decision (and an alert
for hold/block) or a dead letter. Shared by the worker's agent and offline screening.

`PaymentProcessor` composes the parts: admission (`streams.pipeline.admission`), the
memory of recent decisions (`redelivery`), the decision's records (`decision_records`),
velocity stages (`velocity_stages`) and failure handling (`fail_closed`)."""

from __future__ import annotations

from collections.abc import Callable, Iterable, MutableMapping, Sequence
from datetime import UTC, datetime

from streams.model.payment import Payment
from streams.pipeline import admission, velocity_stages
from streams.pipeline.decision_records import decision_records, verdict_for
from streams.pipeline.fail_closed import fail_closed
from streams.pipeline.handoff import StageHandoff, decode_record
from streams.pipeline.records import OutRecord, Source
from streams.pipeline.redelivery import RecentDecisions, fingerprint
from streams.rules.base import RuleResult, ScreeningContext, WatchlistView
from streams.settings import Settings
from streams.velocity.evaluate import evaluate_all
from streams.velocity.rule_set import RuleSet
from streams.watchlist.links import LinkIndex


class PaymentProcessor:
    """Consumes payment messages with their source; produces output records.

    Card numbers are masked before anything is decoded or written. A payment redelivered
    (same member, txn_id and bytes) within the recent-decision window gets the
    byte-identical records it got the first time. `rules` (velocity rules) is replaced
    whole when the rules topic changes; `velocity_state` holds window state when every
    stage runs in this process (offline), the worker's stages use their Faust tables.
    `members` are the coalition's members as far as this process knows them (see
    `serve_members`): reasons name an entry contributed by one of them `coalition`.
    """

    def __init__(
        self,
        watchlist: WatchlistView,
        name_threshold: float,
        clock: Callable[[], datetime] = lambda: datetime.now(UTC),
        recent_decisions: int = 100_000,
        coalition_key: bytes | None = None,
        links: LinkIndex | None = None,
        app_id: str = "screening",
        fail_open_members: frozenset[str] = frozenset(),
        payer_key: bytes | None = None,
        members: frozenset[str] = frozenset(),
    ) -> None:
        self.watchlist = watchlist
        self.members = members
        self.app_id = app_id
        self.fail_open_members = fail_open_members
        self.links = links
        self.name_threshold = name_threshold
        self.coalition_key = coalition_key
        self.payer_key = payer_key
        self.clock = clock
        self._recent = RecentDecisions(recent_decisions)
        self.rules: RuleSet = RuleSet.EMPTY
        self.velocity_state: dict[str, bytes] = {}

    @classmethod
    def from_settings(
        cls, watchlist: WatchlistView, settings: Settings, links: LinkIndex | None = None
    ) -> PaymentProcessor:
        """A processor configured as the deployment says; `links` shared with whatever
        feeds it (the worker's links replica), a fresh one otherwise."""
        return cls(
            watchlist,
            settings.name_match_threshold,
            coalition_key=settings.coalition_key,
            links=links if links is not None else LinkIndex(settings.link_ttl),
            app_id=settings.app_id,
            fail_open_members=settings.fail_open_members,
            payer_key=settings.payer_key,
            members=frozenset(settings.members),
        )

    def serve_members(self, members: Iterable[str]) -> None:
        """Add members: SCREENING_MEMBERS, the worker's discovered members, or (offline) the
        member of each payment screened. Replaced, not mutated, so a context built earlier
        keeps the set it was built with."""
        added = self.members.union(members)
        if added != self.members:
            self.members = added

    def process(self, raw: bytes, source: Source, member: str | None) -> list[OutRecord]:
        """Decide one payment with every velocity stage run here against
        `velocity_state`, or dead-letter it; `member` is the topic's member (None
        offline, where member_id is taken as given, and the payment's member is added to
        `members` before it is decided). Offline screening and backtests."""
        admitted = self._admit(raw, source, member)
        if isinstance(admitted, list):
            return admitted
        payment, masked, digest = admitted
        self.serve_members((payment.member_id,))
        hits = evaluate_all(payment, self.rules, self.velocity_state)
        return self._decide(payment, masked, [h.result() for h in hits], digest)

    def route(self, raw: bytes, source: Source, member: str) -> list[OutRecord]:
        """The worker's first step: dead letter, or the decision when no velocity stage
        applies, or the payment handed to its first velocity stage."""
        admitted = self._admit(raw, source, member)
        if isinstance(admitted, list):
            return admitted
        payment, masked, digest = admitted
        try:
            first = velocity_stages.first_stage(
                payment, masked, member, source, self.rules, self.app_id
            )
            return [first] if first is not None else self._decide(payment, masked, [], digest)
        except Exception as exc:  # a bug must hold the payment, never drop it
            return self._fail_closed(payment, "route", exc)

    def run_stage(
        self, stage: str, value: bytes, state: MutableMapping[str, bytes], source: Source
    ) -> list[OutRecord]:
        """One velocity stage for each payment a stage-topic record carries (one, or a
        batch): update the stage's window state, then hand the payment to its next stage
        or decide it. A stage that fails holds the payment."""
        records: list[OutRecord] = []
        for item in decode_record(value, self.payer_key):
            read = admission.read_handoff(item, source, self.payer_key, self.clock)
            if isinstance(read, OutRecord):
                records.append(read)
            else:
                records += self._run_handoff(stage, *read, state)
        return records

    def _run_handoff(
        self,
        stage: str,
        handoff: StageHandoff,
        payment: Payment,
        state: MutableMapping[str, bytes],
    ) -> list[OutRecord]:
        results = velocity_stages.evaluate(stage, handoff, payment, self.rules, state)
        velocity_stages.sweep_if_due(state, payment, stage, self.rules, self.clock)
        try:
            forwarded = velocity_stages.next_stage(self.app_id, stage, handoff, results, payment)
            if forwarded is not None:
                return [forwarded]
            return self.decide(payment, handoff.payment, results)
        except Exception as exc:  # a bug must hold the payment, never drop it
            return self._fail_closed(payment, f"velocity:{stage}", exc)

    def admit(
        self, raw: bytes, source: Source, member: str | None
    ) -> tuple[Payment, bytes] | list[OutRecord]:
        """Mask card numbers, then decode: the payment and its masked bytes, or the
        dead letter (or the remembered records of a redelivered payment)."""
        admitted = self._admit(raw, source, member)
        return admitted if isinstance(admitted, list) else admitted[:2]

    def _admit(
        self, raw: bytes, source: Source, member: str | None
    ) -> tuple[Payment, bytes, bytes] | list[OutRecord]:
        """`admit`, with the digest of the masked bytes for `_decide`."""
        admitted = admission.admit(raw, source, member, self.payer_key, self.clock)
        if isinstance(admitted, OutRecord):
            return [admitted]
        payment, masked = admitted
        digest = fingerprint(masked)
        cached = self._recent.recall(payment.member_id, payment.txn_id, digest)
        return cached if cached is not None else (payment, masked, digest)

    def decide(
        self, payment: Payment, raw: bytes, velocity: Sequence[RuleResult]
    ) -> list[OutRecord]:
        """The decision, its alerts and link records for an admitted payment whose
        velocity results are known; a redelivery gets what the first delivery got."""
        digest = fingerprint(raw)
        cached = self._recent.recall(payment.member_id, payment.txn_id, digest)
        return cached if cached is not None else self._decide(payment, raw, velocity, digest)

    def _decide(
        self, payment: Payment, raw: bytes, velocity: Sequence[RuleResult], digest: bytes
    ) -> list[OutRecord]:
        """`decide` for a payment whose digest was just looked up in the recent-decision
        memory and not found (by `_admit`, with nothing remembered since)."""
        version = self.watchlist.version
        context = ScreeningContext(
            self.watchlist,
            payment.ts,
            self.name_threshold,
            self.coalition_key,
            self.links,
            self.members,
        )
        fail_open = payment.member_id in self.fail_open_members
        verdict = verdict_for(payment, context, velocity, fail_open)
        records = decision_records(
            payment, verdict, velocity, self.clock(), version, self.links, digest
        )
        self._recent.remember(payment.member_id, payment.txn_id, digest, records)
        return records

    def remember_decision(self, member: str, txn_id: str, digest: bytes, value: bytes) -> None:
        """A decision read back from `decisions.<member>`: a redelivery of the payment with
        this digest gets exactly this record (alerts and links were produced with it)."""
        self._recent.remember_read_back(member, txn_id, digest, value)

    def _fail_closed(self, payment: Payment, step: str, exc: Exception) -> list[OutRecord]:
        fail_open = payment.member_id in self.fail_open_members
        return fail_closed(payment, step, exc, fail_open, self.clock, self.watchlist)
