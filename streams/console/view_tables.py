"""The console view's tables (SQLAlchemy Core, portable between SQLite and PostgreSQL):
holds with their state as JSON, the payment cache, hold/block decisions and their payee keys
for lookups, watchlist entries and links, proposals, audit records, each hold/block's payment
method and day (the routes report), and the offset after the last record applied of each
partition."""

from __future__ import annotations

from typing import Any

from sqlalchemy import (
    BigInteger,
    Boolean,
    Column,
    Dialect,
    Float,
    Index,
    MetaData,
    Table,
    Text,
    TypeDecorator,
)


class ViewText(TypeDecorator[str]):
    """Text from the topics, as any member or user wrote it: unbounded (a length limit
    would make one long id stop the reader on PostgreSQL) and without NUL characters, which
    PostgreSQL text cannot hold (U+FFFD instead; the JSON documents keep the original)."""

    impl = Text
    cache_ok = True

    def process_bind_param(self, value: Any, dialect: Dialect) -> Any:
        return value.replace("\x00", "\ufffd") if isinstance(value, str) else value


metadata = MetaData()
offsets_table = Table(
    "desk_offsets",
    metadata,
    Column("topic", ViewText(), primary_key=True),
    Column("partition", BigInteger, primary_key=True, autoincrement=False),
    Column("next_offset", BigInteger, nullable=False),
)
holds_table = Table(
    "desk_holds",
    metadata,
    Column("member", ViewText(), primary_key=True),
    Column("txn_id", ViewText(), primary_key=True),
    Column("is_hold", Boolean, nullable=False),
    Column("status", ViewText(), nullable=False),
    Column("decided_at", ViewText()),
    Column("state", ViewText(), nullable=False),
    Index("desk_holds_by_status", "member", "status"),
)
payments_table = Table(
    "desk_payments",
    metadata,
    Column("member", ViewText(), primary_key=True),
    Column("txn_id", ViewText(), primary_key=True),
    Column("cached_at", Float, nullable=False, index=True),
    Column("document", ViewText(), nullable=False),
    Column("payee_keys", ViewText(), nullable=False),
)
decisions_table = Table(
    "desk_decisions",
    metadata,
    Column("member", ViewText(), primary_key=True),
    Column("txn_id", ViewText(), primary_key=True),
    Column("decision", ViewText(), nullable=False),
    Column("decided_at", ViewText(), nullable=False),
    Column("reasons", ViewText(), nullable=False),
)
decision_keys_table = Table(
    "desk_decision_keys",
    metadata,
    Column("member", ViewText(), primary_key=True),
    Column("key", ViewText(), primary_key=True),
    Column("txn_id", ViewText(), primary_key=True),
)
entries_table = Table(
    "desk_entries",
    metadata,
    Column("entry_id", ViewText(), primary_key=True),
    Column("document", ViewText(), nullable=False),
    Column("first_seen_ms", BigInteger, nullable=False),
)
entry_keys_table = Table(
    "desk_entry_keys",
    metadata,
    Column("key", ViewText(), primary_key=True),
    Column("entry_id", ViewText(), primary_key=True),
)
links_table = Table(
    "desk_links",
    metadata,
    Column("identifier", ViewText(), primary_key=True),
    Column("entry_id", ViewText(), primary_key=True),
    Column("document", ViewText(), nullable=False),
)
proposals_table = Table(
    "desk_proposals",
    metadata,
    Column("proposal_id", ViewText(), primary_key=True),
    Column("status", ViewText(), nullable=False),
    Column("document", ViewText(), nullable=False),
)
routes_table = Table(
    "desk_routes",
    metadata,
    Column("member", ViewText(), primary_key=True),
    Column("txn_id", ViewText(), primary_key=True),
    Column("decision", ViewText(), nullable=False),
    Column("method", ViewText(), nullable=False),
    Column("day", ViewText(), nullable=False, index=True),
)
audit_table = Table(
    "desk_audit",
    metadata,
    Column("partition", BigInteger, primary_key=True, autoincrement=False),
    Column("offset", BigInteger, primary_key=True, autoincrement=False),
    Column("at", ViewText(), nullable=False, index=True),
    Column("user", ViewText()),
    Column("member", ViewText()),
    Column("action", ViewText()),
    Column("target", ViewText(), index=True),
    Column("document", ViewText(), nullable=False),
)
