"""The console view's tables (SQLAlchemy Core, portable between SQLite and PostgreSQL):
holds with their state as JSON, the payment cache, hold/block decisions and their payee keys
for lookups, watchlist entries and links, proposals, audit records, each hold/block's payment
method and day (the routes report), and the offset after the last record applied of each
partition."""

from __future__ import annotations

from sqlalchemy import (
    BigInteger,
    Boolean,
    Column,
    Float,
    Index,
    MetaData,
    String,
    Table,
    Text,
)

metadata = MetaData()
offsets_table = Table(
    "desk_offsets",
    metadata,
    Column("topic", String(255), primary_key=True),
    Column("partition", BigInteger, primary_key=True, autoincrement=False),
    Column("next_offset", BigInteger, nullable=False),
)
holds_table = Table(
    "desk_holds",
    metadata,
    Column("member", String(255), primary_key=True),
    Column("txn_id", String(512), primary_key=True),
    Column("is_hold", Boolean, nullable=False),
    Column("status", String(32), nullable=False),
    Column("decided_at", String(64)),
    Column("state", Text, nullable=False),
    Index("desk_holds_by_status", "member", "status"),
)
payments_table = Table(
    "desk_payments",
    metadata,
    Column("member", String(255), primary_key=True),
    Column("txn_id", String(512), primary_key=True),
    Column("cached_at", Float, nullable=False, index=True),
    Column("document", Text, nullable=False),
    Column("payee_keys", Text, nullable=False),
)
decisions_table = Table(
    "desk_decisions",
    metadata,
    Column("member", String(255), primary_key=True),
    Column("txn_id", String(512), primary_key=True),
    Column("decision", String(16), nullable=False),
    Column("decided_at", String(64), nullable=False),
    Column("reasons", Text, nullable=False),
)
decision_keys_table = Table(
    "desk_decision_keys",
    metadata,
    Column("member", String(255), primary_key=True),
    Column("key", String(1024), primary_key=True),
    Column("txn_id", String(512), primary_key=True),
)
entries_table = Table(
    "desk_entries",
    metadata,
    Column("entry_id", String(512), primary_key=True),
    Column("document", Text, nullable=False),
    Column("first_seen_ms", BigInteger, nullable=False),
)
entry_keys_table = Table(
    "desk_entry_keys",
    metadata,
    Column("key", String(1024), primary_key=True),
    Column("entry_id", String(512), primary_key=True),
)
links_table = Table(
    "desk_links",
    metadata,
    Column("identifier", String(1024), primary_key=True),
    Column("entry_id", String(512), primary_key=True),
    Column("document", Text, nullable=False),
)
proposals_table = Table(
    "desk_proposals",
    metadata,
    Column("proposal_id", String(1024), primary_key=True),
    Column("status", String(32), nullable=False),
    Column("document", Text, nullable=False),
)
routes_table = Table(
    "desk_routes",
    metadata,
    Column("member", String(255), primary_key=True),
    Column("txn_id", String(512), primary_key=True),
    Column("decision", String(16), nullable=False),
    Column("method", String(32), nullable=False),
    Column("day", String(10), nullable=False, index=True),
)
audit_table = Table(
    "desk_audit",
    metadata,
    Column("partition", BigInteger, primary_key=True, autoincrement=False),
    Column("offset", BigInteger, primary_key=True, autoincrement=False),
    Column("at", String(64), nullable=False, index=True),
    Column("user", String(255)),
    Column("member", String(255)),
    Column("action", String(64)),
    Column("target", String(1024), index=True),
    Column("document", Text, nullable=False),
)
