"""Console users and their sessions in the console's database (SQLAlchemy Core): argon2
password hashes, never passwords; session tokens stored only as their SHA-256."""

from __future__ import annotations

import hashlib
import re
import secrets
import time
from collections.abc import Callable
from dataclasses import dataclass

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from sqlalchemy import (
    Column,
    Engine,
    Float,
    MetaData,
    String,
    Table,
    delete,
    insert,
    select,
    update,
)

from streams.console.roles import MEMBER_ROLES, ROLES, Principal
from streams.settings import MEMBER_PATTERN

USERNAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._@-]{0,63}$")
# argon2 is slow on purpose; a bound keeps an attacker's megabyte password from costing more.
PASSWORD_MAX_CHARS = 1024

metadata = MetaData()
users = Table(
    "console_users",
    metadata,
    Column("username", String(64), primary_key=True),
    Column("role", String(32), nullable=False),
    Column("member", String(64), nullable=True),
    Column("password_hash", String(256), nullable=False),
    Column("at", Float, nullable=False),
)
sessions = Table(
    "console_sessions",
    metadata,
    Column("token_hash", String(64), primary_key=True),
    Column("username", String(64), nullable=False, index=True),
    Column("expires_at", Float, nullable=False),
)


class AccountError(ValueError):
    """A user that cannot exist: the message names the bad argument."""


@dataclass(frozen=True)
class UserRecord:
    """A user as stored and as published on `console.users` (hash only)."""

    username: str
    role: str
    member: str | None
    password_hash: str
    at: float

    @property
    def principal(self) -> Principal:
        """The user as the HTTP layer sees them."""
        return Principal(self.username, self.role, self.member)


def validate_account(username: str, role: str, member: str | None) -> None:
    """Raise AccountError unless the name, role and member fit together: member roles
    need a valid member id, coalition roles take none."""
    if not USERNAME.match(username):
        raise AccountError(f"user name {username!r} is not [A-Za-z0-9][A-Za-z0-9._@-]{{0,63}}")
    if role not in ROLES:
        raise AccountError(f"role {role!r} is not one of {', '.join(ROLES)}")
    if role in MEMBER_ROLES and member is None:
        raise AccountError(f"role {role} needs --member")
    if role not in MEMBER_ROLES and member is not None:
        raise AccountError(f"role {role} is a coalition role: it takes no --member")
    if member is not None and not MEMBER_PATTERN.match(member):
        raise AccountError(f"member {member!r} is not a member id ([a-z0-9][a-z0-9-]*)")


def token_digest(token: str) -> str:
    """The stored form of a session token (a random token needs no slow hash)."""
    return hashlib.sha256(token.encode()).hexdigest()


class AccountStore:
    """Users and sessions over the console's engine; `clock` is seconds since the epoch."""

    def __init__(
        self,
        engine: Engine,
        token_ttl_s: float,
        clock: Callable[[], float] = time.time,
        hasher: PasswordHasher | None = None,
    ) -> None:
        self.engine = engine
        self.token_ttl_s = token_ttl_s
        self.clock = clock
        self.hasher = hasher or PasswordHasher()
        # Verified against for unknown users, so a wrong name costs what a wrong password does.
        self._decoy = self.hasher.hash(secrets.token_hex(16))

    def create_tables(self) -> None:
        """Create the users and sessions tables when missing."""
        metadata.create_all(self.engine)

    def hash_password(self, password: str) -> str:
        """A salted argon2id hash of `password`; AccountError when empty or too long."""
        if not password:
            raise AccountError("the password is empty")
        if len(password) > PASSWORD_MAX_CHARS:
            raise AccountError(f"the password is longer than {PASSWORD_MAX_CHARS} characters")
        return self.hasher.hash(password)

    def new_record(self, username: str, role: str, member: str | None, password: str) -> UserRecord:
        """A validated user record with a fresh hash, stamped now (not yet stored)."""
        validate_account(username, role, member)
        return UserRecord(username, role, member, self.hash_password(password), self.clock())

    def get(self, username: str) -> UserRecord | None:
        """The stored user, or None."""
        with self.engine.connect() as connection:
            row = connection.execute(select(users).where(users.c.username == username)).first()
        return None if row is None else UserRecord(*row)

    def all(self) -> list[UserRecord]:
        """Every stored user, by name."""
        with self.engine.connect() as connection:
            rows = connection.execute(select(users).order_by(users.c.username)).all()
        return [UserRecord(*row) for row in rows]

    def put(self, record: UserRecord) -> bool:
        """Insert or replace a user; True when the user already existed. A changed user's
        sessions end, so a new role or password takes effect at once."""
        values = {
            "role": record.role,
            "member": record.member,
            "password_hash": record.password_hash,
            "at": record.at,
        }
        with self.engine.begin() as connection:
            changed = connection.execute(
                update(users).where(users.c.username == record.username).values(**values)
            ).rowcount
            if changed:
                connection.execute(delete(sessions).where(sessions.c.username == record.username))
            else:
                connection.execute(insert(users).values(username=record.username, **values))
        return bool(changed)

    def authenticate(self, username: str, password: str) -> Principal | None:
        """The principal when the password matches the user's hash, else None."""
        record = self.get(username) if USERNAME.match(username) else None
        if len(password) > PASSWORD_MAX_CHARS:
            return None
        try:
            self.hasher.verify(record.password_hash if record else self._decoy, password)
        except (VerificationError, InvalidHashError):
            return None
        return record.principal if record else None

    def issue_token(self, principal: Principal) -> str:
        """A new random session token for the principal, valid for `token_ttl_s`."""
        token = secrets.token_urlsafe(32)
        now = self.clock()
        with self.engine.begin() as connection:
            connection.execute(delete(sessions).where(sessions.c.expires_at <= now))
            connection.execute(
                insert(sessions).values(
                    token_hash=token_digest(token),
                    username=principal.username,
                    expires_at=now + self.token_ttl_s,
                )
            )
        return token

    def revoke_token(self, token: str) -> None:
        """End the session of `token` (logging out); nothing for an unknown token."""
        if not token or len(token) > 256:
            return
        with self.engine.begin() as connection:
            connection.execute(delete(sessions).where(sessions.c.token_hash == token_digest(token)))

    def principal_for(self, token: str) -> Principal | None:
        """The principal a live token belongs to (role and member as stored now), or None
        for an unknown or expired token."""
        if not token or len(token) > 256:
            return None
        query = (
            select(users, sessions.c.expires_at)
            .join(sessions, sessions.c.username == users.c.username)
            .where(sessions.c.token_hash == token_digest(token))
        )
        with self.engine.connect() as connection:
            row = connection.execute(query).first()
        if row is None or row.expires_at <= self.clock():
            return None
        return Principal(row.username, row.role, row.member)
