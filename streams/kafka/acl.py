"""Kafka ACLs that isolate coalition members from each other, generated from the member list.

Principals (SASL/SCRAM user names, `User:<name>`):

- each member, `User:<member>` by default (the prefix is configurable, e.g. `User:member-`):
  WRITE and DESCRIBE on its own `payments.<member>`, READ and DESCRIBE on its own
  `decisions.<member>`, and READ and DESCRIBE on its own consumer groups: `decisions-<member>`
  and any group starting `decisions-<member>.` (one per consuming application; the dot
  cannot occur in a member id, so `decisions-acme.` never covers member `acme-bank`'s
  groups). Nothing else: no other member's topics, no shared topic, no cluster operation.
  Idempotent producers need no IDEMPOTENT_WRITE since Kafka 3.0 (KIP-679): WRITE on a topic
  is enough.
- the screening worker, `User:screening` by default: READ on every `payments.*`; WRITE on
  every `decisions.*` and CREATE there (a member discovered at run time gets its decisions
  topic from the worker), and READ there: a restarted worker reads back the decisions it
  made (streams/agents/recent_decisions.py), so a redelivered payment gets the same one;
  READ on `watchlist`, `rules`, `watchlist.links`; WRITE on `alerts`,
  `dlq.payments`, `watchlist.links`; everything on its internal topics (repartition, changelog
  and velocity stage topics start with the app id and with `screening`); READ on its
  consumer groups (prefixed by the app id); IDEMPOTENT_WRITE on the cluster.
- the watchlist publisher, `User:watchlist-publisher` by default: WRITE on `watchlist` and
  `rules`; READ and WRITE on `watchlist.links` (promoting or dismissing a link reads and
  rewrites it); DESCRIBE on the other shared topics, so its start-up check that the core
  topics exist sees them rather than trying to create them.

- the fraud desk console, `User:console` by default: READ on every `decisions.*`,
  `payments.*` (a hold shows its payment) and `resolutions.*`, and on `alerts`, `audit`,
  `watchlist`, `watchlist.links`, `console.proposals`, `console.users` (its view is rebuilt
  from them); WRITE on every `resolutions.*` (a fraud desk's answer), `audit`, `watchlist`
  (promotions and false-positive overrides), `console.proposals` and `console.users`, and
  CREATE on those it writes but `watchlist` (a member discovered at run time gets its
  resolutions topic from the console); DESCRIBE on all of them, so it discovers members by
  their topics; READ on its consumer groups (prefixed `console`).

A member also READs its own `resolutions.<member>`: the fraud desk's answer to a hold goes
back to the member's payment system, and to nobody else's.

Kafka lets READ and WRITE imply DESCRIBE; it is granted explicitly anyway, so the generated
set says everything it allows. The administrator (a super user) creates topics and applies
these ACLs; the broker denies everything else (`allow.everyone.if.no.acl.found=false`).
"""

from __future__ import annotations

import re
import shlex
from collections.abc import Iterable, Sequence
from dataclasses import asdict, dataclass

from streams.kafka import topics
from streams.settings import MEMBER_PATTERN

DEFAULT_MEMBER_PREFIX = "User:"
DEFAULT_WORKER = "User:screening"
DEFAULT_PUBLISHER = "User:watchlist-publisher"
DEFAULT_CONSOLE = "User:console"
CONSOLE_GROUP_PREFIX = "console"
DEFAULT_APP_ID = "screening"
# Internal topics whose names do not follow the app id (the velocity stage topics).
INTERNAL_PREFIX = "screening"
CLUSTER = "kafka-cluster"
# Principals a member must never be: the secure profile's super users and Kafka's
# unauthenticated principal (the worker's and the publisher's are checked as configured).
RESERVED_PRINCIPALS = ("User:admin", "User:broker", "User:ANONYMOUS")

# Kafka principal: `Type:name`, the name without whitespace or control characters (a
# certificate DN is written with commas, not spaces, e.g. `User:CN=kafka,O=coalition`).
_PRINCIPAL = re.compile(r"^[A-Za-z][A-Za-z0-9]*:[^\s\x00-\x1f\x7f]+$")
_BOOTSTRAP = re.compile(r"^[A-Za-z0-9.\-\[\]:]+:[0-9]{1,5}(,[A-Za-z0-9.\-\[\]:]+:[0-9]{1,5})*$")
_APP_ID = re.compile(r"^[A-Za-z0-9._\-]+$")


class AclError(ValueError):
    """A member id, principal or option is not acceptable; the message is one line."""


@dataclass(frozen=True, slots=True)
class Acl:
    """One ALLOW binding, in Kafka's own vocabulary (AclBinding's enum names)."""

    principal: str
    resource_type: str  # TOPIC, GROUP or CLUSTER
    pattern_type: str  # LITERAL or PREFIXED
    resource_name: str
    operation: str  # READ, WRITE, DESCRIBE, CREATE, ALL, IDEMPOTENT_WRITE
    permission: str = "ALLOW"
    host: str = "*"


@dataclass(frozen=True, slots=True)
class Principals:
    """How principals are named: members by a prefix and their id, the worker, the
    watchlist publisher and the console by name."""

    member_prefix: str = DEFAULT_MEMBER_PREFIX
    worker: str = DEFAULT_WORKER
    publisher: str = DEFAULT_PUBLISHER
    console: str = DEFAULT_CONSOLE

    def member(self, member_id: str) -> str:
        """The principal of a member id."""
        return self.member_prefix + member_id


def parse_members(text: str) -> tuple[str, ...]:
    """Comma-separated member ids to a tuple without duplicates; AclError on a bad id or
    on none at all."""
    members = tuple(dict.fromkeys(m.strip() for m in text.split(",") if m.strip()))
    if not members:
        raise AclError("no members: pass --members m1,m2 or set SCREENING_MEMBERS")
    for member in members:
        validate_member(member)
    return members


def validate_member(member: str) -> str:
    """The member id itself; AclError unless it matches `[a-z0-9][a-z0-9-]*`."""
    if not MEMBER_PATTERN.match(member):
        raise AclError(f"member {member!r} is not a member id ([a-z0-9][a-z0-9-]*)")
    return member


def validate_principal(principal: str, what: str) -> str:
    """The principal itself; AclError unless it is `Type:name`."""
    if not _PRINCIPAL.match(principal):
        raise AclError(f"{what} {principal!r} is not a Kafka principal such as User:name")
    return principal


def acl_set(
    members: Iterable[str],
    principals: Principals | None = None,
    app_id: str = DEFAULT_APP_ID,
) -> tuple[Acl, ...]:
    """Every ACL of the system: the worker's, the publisher's, the console's, then each
    member's, in a stable order. Raises AclError on a bad member id, principal or app id,
    or when a member's principal would be the worker's, the publisher's, the console's or
    a reserved one."""
    principals = principals or Principals()
    validate_principal(principals.worker, "worker principal")
    validate_principal(principals.publisher, "publisher principal")
    validate_principal(principals.console, "console principal")
    validate_principal(principals.member("x"), "member principal prefix")
    services = (principals.worker, principals.publisher, principals.console)
    if len(set(services)) < len(services):
        raise AclError("the worker, the publisher and the console need different principals")
    if not _APP_ID.match(app_id):
        raise AclError(f"app id {app_id!r} is not a valid topic name prefix")
    member_ids = tuple(dict.fromkeys(validate_member(m) for m in members))
    taken = (*services, *RESERVED_PRINCIPALS)
    for member in member_ids:
        if principals.member(member) in taken:
            raise AclError(
                f"member {member!r} would be the reserved principal {principals.member(member)};"
                " use --member-principal-prefix"
            )
    acls = [
        *worker_acls(principals.worker, app_id),
        *publisher_acls(principals.publisher),
        *console_acls(principals.console),
    ]
    for member in member_ids:
        acls.extend(member_acls(member, principals.member(member)))
    return tuple(dict.fromkeys(acls))


def member_acls(member: str, principal: str) -> list[Acl]:
    """A member's own topics (payments in; decisions and resolutions out) and consumer
    groups, and nothing else."""
    group = f"decisions-{member}"
    return [
        *_grant(principal, "TOPIC", "LITERAL", topics.payments_topic(member), "WRITE", "DESCRIBE"),
        *_grant(principal, "TOPIC", "LITERAL", topics.decisions_topic(member), "READ", "DESCRIBE"),
        *_grant(
            principal, "TOPIC", "LITERAL", topics.resolutions_topic(member), "READ", "DESCRIBE"
        ),
        *_grant(principal, "GROUP", "LITERAL", group, "READ", "DESCRIBE"),
        *_grant(principal, "GROUP", "PREFIXED", f"{group}.", "READ", "DESCRIBE"),
    ]


def worker_acls(principal: str, app_id: str = DEFAULT_APP_ID) -> list[Acl]:
    """What a screening worker reads and writes (see the module docstring)."""
    internal = dict.fromkeys([app_id, INTERNAL_PREFIX])
    return [
        *_grant(principal, "TOPIC", "PREFIXED", topics.PAYMENTS_PREFIX, "READ", "DESCRIBE"),
        *_grant(
            principal,
            "TOPIC",
            "PREFIXED",
            topics.DECISIONS_PREFIX,
            "READ",
            "WRITE",
            "DESCRIBE",
            "CREATE",
        ),
        *_grant(principal, "TOPIC", "LITERAL", topics.WATCHLIST, "READ", "DESCRIBE"),
        *_grant(principal, "TOPIC", "LITERAL", topics.RULES, "READ", "DESCRIBE"),
        *_grant(principal, "TOPIC", "LITERAL", topics.LINKS, "READ", "WRITE", "DESCRIBE"),
        *_grant(principal, "TOPIC", "LITERAL", topics.ALERTS, "WRITE", "DESCRIBE"),
        *_grant(principal, "TOPIC", "LITERAL", topics.DLQ_PAYMENTS, "WRITE", "DESCRIBE"),
        *(
            acl
            for prefix in internal
            for acl in _grant(
                principal, "TOPIC", "PREFIXED", prefix, "READ", "WRITE", "CREATE", "DESCRIBE"
            )
        ),
        *_grant(principal, "GROUP", "PREFIXED", app_id, "READ", "DESCRIBE"),
        *_grant(principal, "CLUSTER", "LITERAL", CLUSTER, "IDEMPOTENT_WRITE"),
    ]


def publisher_acls(principal: str) -> list[Acl]:
    """What the watchlist publisher (watchlist and rules commands) needs."""
    return [
        *_grant(principal, "TOPIC", "LITERAL", topics.WATCHLIST, "WRITE", "DESCRIBE"),
        *_grant(principal, "TOPIC", "LITERAL", topics.RULES, "WRITE", "DESCRIBE"),
        *_grant(principal, "TOPIC", "LITERAL", topics.LINKS, "READ", "WRITE", "DESCRIBE"),
        *_grant(principal, "TOPIC", "LITERAL", topics.ALERTS, "DESCRIBE"),
        *_grant(principal, "TOPIC", "LITERAL", topics.DLQ_PAYMENTS, "DESCRIBE"),
        *_grant(principal, "TOPIC", "PREFIXED", INTERNAL_PREFIX, "DESCRIBE"),
    ]


def console_acls(principal: str) -> list[Acl]:
    """What the fraud desk console reads, writes and creates (see the module docstring)."""
    read_only = (topics.DECISIONS_PREFIX, topics.PAYMENTS_PREFIX)
    return [
        *(
            acl
            for prefix in read_only
            for acl in _grant(principal, "TOPIC", "PREFIXED", prefix, "READ", "DESCRIBE")
        ),
        *_grant(
            principal,
            "TOPIC",
            "PREFIXED",
            topics.RESOLUTIONS_PREFIX,
            "READ",
            "WRITE",
            "CREATE",
            "DESCRIBE",
        ),
        *_grant(principal, "TOPIC", "LITERAL", topics.ALERTS, "READ", "DESCRIBE"),
        *_grant(principal, "TOPIC", "LITERAL", topics.LINKS, "READ", "DESCRIBE"),
        *_grant(principal, "TOPIC", "LITERAL", topics.WATCHLIST, "READ", "WRITE", "DESCRIBE"),
        *(
            acl
            for name in (topics.AUDIT, topics.PROPOSALS, topics.CONSOLE_USERS)
            for acl in _grant(
                principal, "TOPIC", "LITERAL", name, "READ", "WRITE", "CREATE", "DESCRIBE"
            )
        ),
        *_grant(principal, "GROUP", "PREFIXED", CONSOLE_GROUP_PREFIX, "READ", "DESCRIBE"),
    ]


def _grant(
    principal: str, resource_type: str, pattern_type: str, name: str, *operations: str
) -> list[Acl]:
    return [Acl(principal, resource_type, pattern_type, name, op) for op in operations]


# ----------------------------------------------------------------------------- output

_OPERATION_FLAGS = {
    "READ": "Read",
    "WRITE": "Write",
    "DESCRIBE": "Describe",
    "CREATE": "Create",
    "ALL": "All",
    "IDEMPOTENT_WRITE": "IdempotentWrite",
}


def validate_bootstrap(servers: str) -> str:
    """`HOST:PORT[,HOST:PORT...]` itself; AclError otherwise."""
    if not _BOOTSTRAP.match(servers):
        raise AclError(f"bootstrap server {servers!r} is not HOST:PORT[,HOST:PORT...]")
    return servers


def kafka_acls_commands(
    acls: Sequence[Acl], bootstrap_server: str, command_config: str | None = None
) -> list[str]:
    """One `kafka-acls.sh --add` command line per principal and resource, all its
    operations on it together; idempotent (adding an existing ACL changes nothing)."""
    validate_bootstrap(bootstrap_server)
    grouped: dict[tuple[str, str, str, str, str, str], list[str]] = {}
    for acl in acls:
        key = (
            acl.principal,
            acl.resource_type,
            acl.pattern_type,
            acl.resource_name,
            acl.permission,
            acl.host,
        )
        grouped.setdefault(key, []).append(acl.operation)
    lines = []
    for (principal, resource_type, pattern, name, permission, host), ops in grouped.items():
        words = ["kafka-acls.sh", "--bootstrap-server", bootstrap_server]
        if command_config:
            words += ["--command-config", command_config]
        verb = "--allow" if permission == "ALLOW" else "--deny"
        words += ["--add", f"{verb}-principal", principal, f"{verb}-host", host]
        for op in ops:
            words += ["--operation", _OPERATION_FLAGS[op]]
        if resource_type == "CLUSTER":
            words.append("--cluster")
        else:
            words += [f"--{resource_type.lower()}", name]
            words += ["--resource-pattern-type", pattern.lower()]
        lines.append(" ".join(shlex.quote(w) for w in words))
    return lines


def shell_script(
    acls: Sequence[Acl], bootstrap_server: str, command_config: str | None = None
) -> str:
    """An executable `sh` script applying the ACLs (kafka-acls.sh must be on PATH)."""
    header = [
        "#!/bin/sh",
        "# Kafka ACLs generated by `screening acl`: members may write only their own",
        "# payments.<member> and read only their own decisions.<member>.",
        "set -eu",
    ]
    return "\n".join([*header, *kafka_acls_commands(acls, bootstrap_server, command_config)]) + "\n"


def acl_documents(acls: Sequence[Acl]) -> list[dict[str, str]]:
    """The ACLs as JSON-ready objects with AclBinding's field and enum names."""
    return [asdict(acl) for acl in acls]
