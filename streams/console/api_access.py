"""Who may do what, checked before the desk is asked: pure functions of the principal and
the path, raising DeskError with the status the contract gives."""

from __future__ import annotations

from collections.abc import Callable, Collection
from typing import TypeVar

from streams.console.desk import DeskError
from streams.console.reason_codes import REASON_CODES
from streams.console.roles import (
    AUDITOR,
    COALITION_ANALYST,
    MEMBER_ANALYST,
    MEMBER_SUPERVISOR,
    Principal,
    may_see_member,
)
from streams.settings import MEMBER_PATTERN

# One answer for a hold that does not exist and another member's: the two look the same.
NOT_FOUND = "no such hold"
ID_MAX_CHARS = 200

READERS = frozenset({MEMBER_ANALYST, MEMBER_SUPERVISOR, COALITION_ANALYST, AUDITOR})
RESOLVERS = frozenset({MEMBER_ANALYST, MEMBER_SUPERVISOR})
SUPERVISORS = frozenset({MEMBER_SUPERVISOR})
LOOKUP_ROLES = frozenset({MEMBER_ANALYST, MEMBER_SUPERVISOR, COALITION_ANALYST})
AUDIT_ROLES = frozenset({AUDITOR, MEMBER_SUPERVISOR})
PROPOSAL_ROLES = frozenset({COALITION_ANALYST})

T = TypeVar("T")


def require_role(principal: Principal, roles: Collection[str], what: str) -> None:
    """DeskError(403) unless the principal's role is one of `roles`."""
    if principal.role not in roles:
        raise DeskError(403, f"role {principal.role} may not {what}")


def hold_in_reach(principal: Principal, member: str, txn_id: str) -> None:
    """DeskError(404, NOT_FOUND) for a path naming a hold the principal may not see, or
    one that cannot exist (a malformed member id, an overlong transaction id)."""
    if (
        not MEMBER_PATTERN.match(member)
        or not txn_id
        or len(txn_id) > ID_MAX_CHARS
        or not may_see_member(principal, member)
    ):
        raise DeskError(404, NOT_FOUND)


def same_not_found(call: Callable[[], T]) -> T:
    """The desk's answer, with any 404 given the one NOT_FOUND message."""
    try:
        return call()
    except DeskError as exc:
        if exc.status == 404:
            raise DeskError(404, NOT_FOUND) from None
        raise


def queue_member(principal: Principal, member: str | None) -> str | None:
    """The member whose holds a listing shows: a member role's own by default, 403 for
    another member; any member (None: every member) for coalition roles. 400 for a
    malformed member id."""
    if member is not None and not MEMBER_PATTERN.match(member):
        raise DeskError(400, "member: not a member id ([a-z0-9][a-z0-9-]*)")
    if not principal.is_member_role:
        return member
    if member is not None and member != principal.member:
        raise DeskError(403, "member: a member's users see only their own member's holds")
    return principal.member


def check_reason(outcome: str, reason_code: str) -> None:
    """DeskError(400) unless `reason_code` belongs to `outcome`."""
    if reason_code not in REASON_CODES.get(outcome, ()):
        allowed = ", ".join(REASON_CODES.get(outcome, ()))
        raise DeskError(
            400, f"reason_code: {reason_code} does not belong to outcome {outcome} ({allowed})"
        )
