"""Request and response bodies of the console's JSON API, as /openapi.json describes them.

Requests forbid unknown fields: a misspelt `reason_code` or `notes` answers 400 naming the
field instead of being dropped silently. Responses allow extra fields (the desk may add
more evidence than is listed here)."""

from __future__ import annotations

from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field

from streams.console.reason_codes import NOTE_MAX_CHARS


class _Request(BaseModel):
    model_config = ConfigDict(extra="forbid", strict=True)


class _Response(BaseModel):
    model_config = ConfigDict(extra="allow")


class TokenRequest(_Request):
    """`POST /api/token`."""

    username: str = Field(min_length=1, max_length=64)
    password: str = Field(min_length=1, max_length=1024)


class ResolutionRequest(_Request):
    """`POST /api/holds/{member}/{txn_id}/resolution`: `reason_code` must belong to the
    outcome (release: FALSE_POSITIVE, VERIFIED_LEGITIMATE; block: CONFIRMED_SELLER,
    SUSPECTED_SELLER)."""

    outcome: Literal["release", "block"]
    reason_code: Literal[
        "FALSE_POSITIVE", "VERIFIED_LEGITIMATE", "CONFIRMED_SELLER", "SUSPECTED_SELLER"
    ]
    note: str | None = Field(default=None, max_length=NOTE_MAX_CHARS)


class ApprovalRequest(_Request):
    """`POST /api/holds/{member}/{txn_id}/approval`."""

    approve: bool


class ErrorOut(_Response):
    """Every refusal: a message naming the problem."""

    error: str


class TokenOut(_Response):
    """A bearer token for `Authorization: Bearer <token>`."""

    token: str


class HealthOut(_Response):
    """The view has caught up with the topics."""

    status: str


class HoldOut(_Response):
    """A hold in a queue: payer only as its pseudonymous reference, never a card number."""

    txn_id: str
    member_id: str
    decided_at: str | None = None
    amount: str | None = None
    currency: str | None = None
    payee: dict[str, Any] = Field(default_factory=dict)
    payer_ref: str | None = None
    reasons: list[dict[str, Any]] = Field(default_factory=list)
    status: Literal["open", "pending_approval", "resolved"]
    age_s: float | None = None
    claimed_by: str | None = None


class HoldDetailOut(HoldOut):
    """One hold with its history, its payment (masked), a pending resolution and the
    final resolution; after a resolution possibly a `proposal` or `override_offer`."""

    history: list[dict[str, Any]] = Field(default_factory=list)
    payment: dict[str, Any] | None = None
    pending: dict[str, Any] | None = None
    resolution: dict[str, Any] | None = None


class HoldsOut(_Response):
    """`GET /api/holds`."""

    holds: list[HoldOut]


class LookupOut(_Response):
    """What the coalition knows about one payee identifier."""

    canonical: str | None = None
    entries: list[dict[str, Any]] = Field(default_factory=list)
    links: list[dict[str, Any]] = Field(default_factory=list)
    decisions: list[dict[str, Any]] = Field(default_factory=list)


class AuditRecordOut(_Response):
    """One console action."""

    at: Any = None
    user: str | None = None
    role: str | None = None
    member: str | None = None
    action: str
    target: str | None = None
    before: Any = None
    after: Any = None


class AuditOut(_Response):
    """`GET /api/audit`, newest first."""

    audit: list[AuditRecordOut]


class ProposalOut(_Response):
    """A proposal for the coalition with its evidence."""

    proposal_id: str
    status: str | None = None


class ProposalsOut(_Response):
    """`GET /api/proposals`."""

    proposals: list[ProposalOut]


ERRORS: dict[int | str, dict[str, Any]] = {
    status: {"model": ErrorOut, "description": text}
    for status, text in (
        (400, "bad input, naming the field; nothing written"),
        (401, "no valid bearer token"),
        (403, "the role may not do this"),
        (404, "no such hold, or not the caller's"),
        (409, "the hold's state does not allow it"),
    )
}
