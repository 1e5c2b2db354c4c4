"""Which velocity state keys to look at for expiry, partition by partition.

A key's window state is trimmed when the key is paid again; a payee never paid again
would keep its state for ever, and the tables would grow with the number of distinct
payees. The index remembers the keys of each partition in the order they were last
written (a key written again moves to the end), so the keys at the front are the ones
written longest ago and the likeliest to be stale. Whoever sweeps reads a front key's
state, deletes it if it is stale, and otherwise sends it to the back, so one key with an
odd event time cannot hold the others up.

Tombstones of deleted keys must go to the key's own changelog partition, the partition of
the stage event being processed (the stage topic and the table are partitioned alike): so
a partition is swept only while one of its own events is processed, and the index keeps
partitions apart."""

from __future__ import annotations

from abc import abstractmethod
from collections import OrderedDict
from collections.abc import Callable, Iterator, MutableMapping

# A stage sweeps on one event in SWEEP_EVERY (the partition of that event), looking at up
# to SWEEP_LIMIT keys: the cost stays off most payments, and each partition can lose up
# to two keys per event of its own, as many as an event can create (one per key kind;
# the payee stage has two kinds).
SWEEP_EVERY = 16
SWEEP_LIMIT = 32


class ExpiringState(MutableMapping[str, bytes]):
    """Window state that can drop stale keys of the partition being processed. A base
    class rather than a protocol: the check runs on every payment of a velocity stage,
    and a protocol's isinstance is slow."""

    @abstractmethod
    def sweep_due(self) -> bool:
        """Whether this event should sweep."""

    @abstractmethod
    def sweep(self, is_stale: Callable[[bytes], bool]) -> int:
        """Delete the current partition's stale keys among the longest unwritten;
        returns how many were deleted."""


class KeyExpiry:
    """Keys per partition in last-written order."""

    def __init__(self) -> None:
        self._partitions: dict[int, OrderedDict[str, None]] = {}

    def written(self, partition: int, key: str) -> None:
        """`key` was written (or recovered) in `partition`: it goes to the back."""
        keys = self._partitions.get(partition)
        if keys is None:  # not setdefault: it would build an OrderedDict on every write
            keys = self._partitions[partition] = OrderedDict()
        keys[key] = None
        keys.move_to_end(key)

    def deleted(self, partition: int, key: str) -> None:
        """`key` is gone from `partition`."""
        keys = self._partitions.get(partition)
        if keys is not None:
            keys.pop(key, None)

    def oldest(self, partition: int, limit: int) -> Iterator[str]:
        """Up to `limit` keys of `partition`, longest unwritten first; each is sent to the
        back as it is handed out (the sweeper deletes the stale ones)."""
        keys = self._partitions.get(partition)
        if not keys:
            return
        for _ in range(min(limit, len(keys))):
            key = next(iter(keys))
            keys.move_to_end(key)
            yield key

    def forget_partition(self, partition: int) -> None:
        """`partition` is no longer served here."""
        self._partitions.pop(partition, None)

    def __len__(self) -> int:
        return sum(map(len, self._partitions.values()))
