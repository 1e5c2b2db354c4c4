"""Audit records of console actions, as written to the `audit` topic: pure builders."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

from streams.console.hold_state import Json
from streams.console.roles import Principal
from streams.model.timestamps import iso


def audit_record(
    principal: Principal | None,
    username: str,
    action: str,
    target: str | None,
    before: Any,
    after: Any,
    at: datetime,
    member: str | None = None,
) -> Json:
    """One audit record: `at`, `user`, `role`, `member`, `action`, `target`, `before`,
    `after`, and an `event_id` that a later record (a refusal) can name."""
    return {
        "event_id": uuid.uuid4().hex,
        "at": iso(at),
        "user": username,
        "role": principal.role if principal is not None else None,
        "member": member if member is not None else (principal.member if principal else None),
        "action": action,
        "target": target,
        "before": before,
        "after": after,
    }


def hold_target(member: str, txn_id: str) -> str:
    """The audit target of a hold, also the audit key, so one hold's records keep their
    order in one partition."""
    return f"{member}/{txn_id}"


def audit_key(record: Json) -> bytes:
    """The key of an audit record: its target, else its user."""
    return str(record.get("target") or record.get("user") or "").encode()
