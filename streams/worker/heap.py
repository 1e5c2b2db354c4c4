"""The worker's garbage collector: the state loaded at start-up kept out of its scans."""

from __future__ import annotations

import gc
import logging
from collections.abc import Sequence

from streams.agents.compacted_replica import Follower

log = logging.getLogger(__name__)


async def freeze_loaded_state(followers: Sequence[Follower]) -> None:
    """Once every follower caught up, collect once and freeze what is left (the
    watchlist index, the rules, the links, the recent decisions), so that no later
    collection walks it again; then collect automatically again (paused while loading,
    see streams/worker/followers.py)."""
    for follower in followers:
        await follower.ready.wait()
    gc.collect()
    gc.freeze()
    gc.enable()
    log.info("froze %d objects loaded at start-up", gc.get_freeze_count())
