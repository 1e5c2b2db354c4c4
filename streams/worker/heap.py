"""The worker's garbage collector: the state loaded at start-up kept out of its scans."""

from __future__ import annotations

import gc
import logging
from collections.abc import Sequence

from streams.agents.compacted_replica import Follower

log = logging.getLogger(__name__)

# Collections of the youngest generation once this many more container objects were
# allocated than freed (CPython's default: 700). Deciding a payment allocates dozens of
# dicts and lists that die by reference count; at the default the collector ran every
# few payments and, with the older generations it sets off, walked the recent-decision
# memory again and again: 15-30 % of the processor's CPU on the bench's payments
# (offline, 30,000 payments). Cyclic garbage waits a little longer for its collection.
YOUNG_THRESHOLD = 20_000


async def freeze_loaded_state(followers: Sequence[Follower]) -> None:
    """Once every follower caught up, collect once and freeze what is left (the
    watchlist index, the rules, the links, the recent decisions), so that no later
    collection walks it again; then collect automatically again (paused while loading,
    see streams/worker/followers.py), less often than CPython's default
    (`YOUNG_THRESHOLD`)."""
    for follower in followers:
        await follower.ready.wait()
    gc.collect()
    gc.freeze()
    gc.set_threshold(YOUNG_THRESHOLD, *gc.get_threshold()[1:])
    gc.enable()
    log.info("froze %d objects loaded at start-up", gc.get_freeze_count())
