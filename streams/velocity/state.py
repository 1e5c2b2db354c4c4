"""Sliding event-time window state of one velocity rule for one key: a short list of
events, pure functions to observe a payment against it, and its encoding for a table.

Semantics. A payment at event time t looks back over the closed interval [t - window, t]
(both ends inclusive, as Kafka Streams sliding windows). The payment itself counts; events
later in event time than t (arrived out of order) do not count for it but are kept for
later ones. The measure is the number of events (`count`), the sum of their positive
amounts (`sum_amount`: a refund or reversal does not undo payments already made, and a
seller could otherwise hide volume behind refunds), or the number of distinct payers or
members (`distinct_*`; a payment without a payer adds no payer).

Bounded state, and why decisions stay exact. Let C be the *cap*: 4 x the exact bound of
the rule (ceil(threshold) events for count, threshold for the others). Every observation
is reported clipped, `min(measure, C)`; since C >= threshold, clipping never changes
whether the rule fires, and below C the value is exact. State is thinned only in ways that
keep every such clipped observation exact:

* Age: with `newest` the latest event time seen and a grace for late events of one
  window or LATE_GRACE (an hour of event time), whichever is longer, only payments at
  t >= newest - grace are promised exact observations; their windows start at or after
  newest - grace - window, so older events are dropped. The hour is for redeliveries: a
  worker that crashed may have written a key's state well past payments whose decisions
  it never produced, and those come back when it restarts; on a live stream an hour of
  event time is far more than any restart takes.
* Dominance: let h = window // 2. Every window [t - w, t] that contains an event e (that
  is, e.ts <= t <= e.ts + w) contains all of [e.ts - h, e.ts] (when t <= e.ts + w - h) or
  all of [e.ts, e.ts + h] (otherwise). So if in *both* half-windows the other kept events
  already reach the cap on their own (count or positive sum >= C; for distinct measures:
  the same datum again, or >= C distinct data), every window containing e measures >= C
  with or without e, and e can go. Each drop is checked against the events still kept, so
  the invariant "every window's clipped measure over the kept events equals the one over
  the full history" holds after every drop; adding a new event adds it to both sides,
  which keeps it (measures only grow). A steady heavy stream thins to a skeleton of two
  to three C events. Thinning is optional for exactness, so it runs on about one insert
  in THIN_EVERY and whenever the list outgrows MAX_EVENTS.
* Why not simply keep the newest ceil(threshold) events (or per datum its newest): that
  decides every payment later than all kept events, but a payment arriving a little late
  (events at 85, 86, 100, 101 s, threshold 2 in 10 s, kept 100 and 101; a payment at 92 s
  must see 85 and 86) would be missed. Dominance keeps what such payments need.
* A hard limit, MAX_EVENTS per rule and key, keeps the newest events if a rule's cap is
  so high (a large sum of tiny amounts) that the dominance bound is not reached; beyond
  it, observations of out-of-order payments may be lower bounds.

Keys no payment visits again are deleted by the stage's sweep once the stream's event
time is past their newest event by the longest window plus grace of the stage's rules
(`streams/velocity/expiry.py`): a payment that late would be beyond the grace anyway.

Payments later than the grace (older than newest - grace in event time) are observed
against what is left: their value may be a lower bound. After a rule's threshold, window
or measure changes, its observations may be lower bounds for one window plus grace.
"""

from __future__ import annotations

import hashlib
import math
import zlib
from bisect import bisect_left, insort
from collections import Counter, deque
from collections.abc import Mapping
from datetime import UTC, datetime, timedelta
from decimal import Context, Decimal, InvalidOperation, localcontext
from operator import itemgetter
from typing import Any

import orjson

from streams.velocity.rule import DECIMAL_PRECISION, VelocityRule

Event = tuple[int, str, str]
"""(event time in ms since the epoch, txn ref, datum): datum is the amount as a decimal
string for sum_amount, a payer ref for distinct_payers, the member id for
distinct_members and "" for count."""

CAP_FACTOR = 4
LATE_GRACE_MS = 3_600_000
MAX_EVENTS = 4096
THIN_EVERY = 16
_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
_MS = timedelta(milliseconds=1)
_ZERO = Decimal(0)
# Exact for every threshold the schema allows, without entering a context per call.
_PRECISE = Context(prec=DECIMAL_PRECISION)
_NO_COLUMNS: list[list[Any]] = [[], [], []]
_INT, _STR = frozenset({int}), frozenset({str})


def event_time_ms(ts: datetime) -> int:
    """An aware datetime to whole milliseconds since the epoch (exact, no float)."""
    return (ts - _EPOCH) // _MS


def txn_ref(member_id: str, txn_id: str) -> str:
    """A short stable digest of a member's transaction id (16 hex digits): what window
    state and its changelog hold instead of the txn id."""
    return _digest(b"velocity-txn", member_id, txn_id)


def _digest(person: bytes, member_id: str, value: str) -> str:
    data = f"{member_id}\x1f{value}".encode()
    return hashlib.blake2b(data, digest_size=8, person=person).hexdigest()


def observation_cap(rule: VelocityRule) -> Decimal:
    """C: observations are exact below it and reported as C at or above it."""
    if rule.measure == "count":
        return Decimal(CAP_FACTOR * math.ceil(rule.threshold))
    return _PRECISE.multiply(CAP_FACTOR, rule.threshold)


# observation_cap per rule object (math.ceil of a Decimal and a new Decimal on every
# observation otherwise); the rule is kept with its cap, so its id is not reused.
_CAPS: dict[int, tuple[VelocityRule, Decimal]] = {}


def _cap(rule: VelocityRule) -> Decimal:
    """`observation_cap(rule)`, computed once per rule object."""
    kept = _CAPS.get(id(rule))
    if kept is not None and kept[0] is rule:
        return kept[1]
    if len(_CAPS) >= 256:
        _CAPS.clear()
    cap = observation_cap(rule)
    _CAPS[id(rule)] = (rule, cap)
    return cap


def observe(events: list[Event], event: Event, rule: VelocityRule) -> tuple[list[Event], Decimal]:
    """Consumes one rule's events for one key (sorted by time) and a payment's event;
    produces the new event list (sorted by time) and the rule's measure over the payment's
    look-back, counting the payment, clipped at `observation_cap(rule)`.

    A redelivered payment (its txn ref already present) is not added again and observes
    as of its own event time, so it gets the same value when nothing else changed."""
    if rule.measure != "sum_amount":  # only sums of amounts need the precision
        return _observe(events, event, rule)
    with localcontext() as ctx:
        ctx.prec = DECIMAL_PRECISION
        return _observe(events, event, rule)


def _observe(events: list[Event], event: Event, rule: VelocityRule) -> tuple[list[Event], Decimal]:
    ordered = sorted(events)  # linear on the already sorted lists state holds
    ref = event[1]
    if ref in map(itemgetter(1), ordered):
        known = next(e for e in ordered if e[1] == ref)
        return ordered, _measure(ordered, known[0], rule)
    if _counts(event, rule.measure):
        insort(ordered, event)
    observed = _measure(ordered, event[0], rule)
    # Events no promised observation can see: older than newest - grace - window.
    horizon = ordered[-1][0] - grace_ms(rule) - rule.window_ms if ordered else 0
    # `(t,)` sorts before every event at t, as a bisect by time alone would place it (the
    # tuples are compared in C, without a key function per probe).
    first = bisect_left(ordered, (horizon,))
    if first:
        ordered = ordered[first:]
    # Thinning on about one insert in THIN_EVERY (chosen by the txn ref, so a replay
    # thins alike) keeps its linear cost off most payments.
    if len(ordered) > MAX_EVENTS or zlib.crc32(ref.encode()) % THIN_EVERY == 0:
        ordered = _thin(ordered, rule)
    return ordered, observed


def grace_ms(rule: VelocityRule) -> int:
    """How late in event time a payment may come and still observe exactly."""
    return max(rule.window_ms, LATE_GRACE_MS)


def _counts(event: Event, measure: str) -> bool:
    """Whether an event contributes to the measure (data of another measure, left from
    before a rule changed, and non-positive amounts do not)."""
    if measure == "count":
        return True
    if measure == "sum_amount":
        return _amount(event[2]) > 0
    return bool(event[2])


def _amount(datum: str) -> Decimal:
    """A positive amount, or 0 for anything else (refunds add nothing)."""
    try:
        amount = Decimal(datum)
    except InvalidOperation:
        return _ZERO
    return amount if amount.is_finite() and amount > 0 else _ZERO


def _measure(events: list[Event], at: int, rule: VelocityRule) -> Decimal:
    """The measure over events in [at - window, at], clipped at the cap; newest first, so
    a busy key stops counting once the cap is reached."""
    cap = _cap(rule)
    lo = bisect_left(events, (at - rule.window_ms,))
    hi = bisect_left(events, (at + 1,))  # event times are whole ms: after `at` is >= at + 1
    if rule.measure == "count":
        return min(Decimal(hi - lo), cap)
    if rule.measure == "sum_amount":
        total = _ZERO
        for i in range(hi - 1, lo - 1, -1):
            total += _amount(events[i][2])
            if total >= cap:
                return cap
        return total
    seen: set[str] = set()
    for i in range(hi - 1, lo - 1, -1):
        datum = events[i][2]
        if datum:
            seen.add(datum)
            if len(seen) >= cap:
                return cap
    return Decimal(len(seen))


class _Half:
    """The other kept events in one half-window: their count, positive sum and data."""

    def __init__(self) -> None:
        self.count = 0
        self.total = _ZERO
        self.data: Counter[str] = Counter()

    def add(self, event: Event, measure: str) -> None:
        self.count += 1
        if measure == "sum_amount":
            self.total += _amount(event[2])
        elif measure != "count":
            self.data[event[2]] += 1

    def remove(self, event: Event, measure: str) -> None:
        self.count -= 1
        if measure == "sum_amount":
            self.total -= _amount(event[2])
        elif measure != "count":
            self.data[event[2]] -= 1
            if not self.data[event[2]]:
                del self.data[event[2]]

    def covers(self, event: Event, measure: str, cap: Decimal) -> bool:
        """Whether this half-window decides the clipped measure without `event`."""
        if measure == "count":
            return self.count >= cap
        if measure == "sum_amount":
            return self.total >= cap
        return event[2] in self.data or len(self.data) >= cap


def _thin(events: list[Event], rule: VelocityRule) -> list[Event]:
    """Drop what no promised observation needs (see the module docstring)."""
    measure, cap, half = rule.measure, _cap(rule), rule.window_ms // 2
    events = [e for e in events if _counts(e, measure)]
    kept: list[Event] = []
    before, after = _Half(), _Half()
    # `before`: kept events in [ts - h, ts] already decided (a subset of the half-window,
    # which can only make dropping rarer); `after`: undecided events in [ts, ts + h], all
    # still kept at this point.
    recent: deque[Event] = deque()
    ahead = 0
    for i, event in enumerate(events):
        ts = event[0]
        while recent and recent[0][0] < ts - half:
            before.remove(recent.popleft(), measure)
        if i < ahead:
            after.remove(event, measure)
        else:
            ahead = i + 1
        while ahead < len(events) and events[ahead][0] <= ts + half:
            after.add(events[ahead], measure)
            ahead += 1
        if before.covers(event, measure, cap) and after.covers(event, measure, cap):
            continue
        kept.append(event)
        recent.append(event)
        before.add(event, measure)
    return kept[-MAX_EVENTS:]


def encode_state(state: Mapping[str, list[Event]]) -> bytes:
    """One key's window state as table bytes: rule id -> the events as three columns
    `[[ts, ...], [txn ref, ...], [datum, ...]]` (compact, and converted in C rather than
    item by item); sorted keys, so equal states encode equally."""
    columns = {
        rule_id: list(zip(*events, strict=True)) if events else _NO_COLUMNS
        for rule_id, events in state.items()
    }
    return orjson.dumps(columns, option=orjson.OPT_SORT_KEYS)


def decode_state(raw: bytes | None) -> dict[str, list[Event]]:
    """Table bytes back to rule id -> events (sorted by time); None or empty gives {}; a
    value that is not such a state raises ValueError."""
    if not raw:
        return {}
    try:
        document: Any = orjson.loads(raw)
    except orjson.JSONDecodeError as exc:
        raise ValueError(f"velocity state is not JSON: {exc}") from None
    if not isinstance(document, dict):
        raise ValueError("velocity state is not an object of rule ids")
    state: dict[str, list[Event]] = {}
    for rule_id, columns in document.items():
        # Checked column by column without a generator: this runs on every visit of a key.
        if not (
            type(columns) is list
            and len(columns) == 3
            and type(columns[0]) is list
            and type(columns[1]) is list
            and type(columns[2]) is list
            and len(columns[0]) == len(columns[1]) == len(columns[2])
            and set(map(type, columns[0])) <= _INT
            and set(map(type, columns[1])) <= _STR
            and set(map(type, columns[2])) <= _STR
        ):
            raise ValueError(f"velocity state of rule {rule_id!r} is not three event columns")
        events: list[Event] = list(zip(*columns, strict=True))
        events.sort()
        state[rule_id] = events
    return state
