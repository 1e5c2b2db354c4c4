"""Console roles and who may see what: pure rules, no I/O."""

from __future__ import annotations

from dataclasses import dataclass

MEMBER_ANALYST = "member-analyst"
MEMBER_SUPERVISOR = "member-supervisor"
COALITION_ANALYST = "coalition-analyst"
AUDITOR = "auditor"

ROLES = (MEMBER_ANALYST, MEMBER_SUPERVISOR, COALITION_ANALYST, AUDITOR)
# Roles that belong to one member and see only that member's holds and decisions.
MEMBER_ROLES = frozenset({MEMBER_ANALYST, MEMBER_SUPERVISOR})


@dataclass(frozen=True)
class Principal:
    """An authenticated console user: name, role and, for member roles, their member."""

    username: str
    role: str
    member: str | None = None

    @property
    def is_member_role(self) -> bool:
        """True for the member analyst and supervisor, who are confined to their member."""
        return self.role in MEMBER_ROLES


def may_see_member(principal: Principal, member: str) -> bool:
    """Consumes a principal and a member id; True when the principal may see that
    member's holds (their own member for member roles; every member otherwise)."""
    return not principal.is_member_role or principal.member == member
