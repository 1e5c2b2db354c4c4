"""`screening acl --apply`: the ACL set made real on a SASL cluster, as its super user.

For every principal of the set (each member, the worker, the watchlist publisher, the
console) a SCRAM user with a generated password and a client properties file
`DIR/<user>.json` (mode 600); the contract's shared topics and each member's topics; then
the ACL bindings. Running it
again is safe: existing credential files keep their passwords (re-applied, so they are
current on the cluster), existing topics and ACLs are left as they are, new members are
added.
"""

from __future__ import annotations

import time
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from confluent_kafka import KafkaException
from confluent_kafka.admin import (  # type: ignore[attr-defined]
    AclBinding,
    AclBindingFilter,
    AclOperation,
    AclPermissionType,
    AdminClient,
    ResourcePatternType,
    ResourceType,
    ScramCredentialInfo,
    ScramMechanism,
    UserScramCredentialAlteration,
    UserScramCredentialUpsertion,
)

from streams.kafka import admin
from streams.kafka.acl import Acl, AclError
from streams.kafka.client_properties import (
    SCRAM_MECHANISM,
    ClientPropertiesError,
    kept_password,
    read_properties,
    write_properties,
)
from streams.settings import Settings

# Kafka's minimum is 4096; twice that costs a login a few milliseconds more.
SCRAM_ITERATIONS = 8192
REQUEST_TIMEOUT_S = 30.0
# librdkafka names the cluster resource BROKER; on the wire it is Kafka's CLUSTER (4).
_RESOURCE_TYPES = {
    "TOPIC": ResourceType.TOPIC,
    "GROUP": ResourceType.GROUP,
    "CLUSTER": ResourceType.BROKER,
    "TRANSACTIONAL_ID": ResourceType.TRANSACTIONAL_ID,
}
# What every principal's file takes from the admin's: where the cluster is, how to reach it.
SHARED = ("bootstrap.servers", "security.protocol", "ssl.ca.location")


@dataclass(frozen=True)
class Applied:
    """What `apply` did: users (new or kept password), topics created, bindings applied,
    credential files written."""

    new_users: tuple[str, ...]
    kept_users: tuple[str, ...]
    topics_created: tuple[str, ...]
    bindings: int
    files: tuple[Path, ...]


def user_of(principal: str) -> str:
    """The SCRAM user name of a `User:<name>` principal; AclError for any other type."""
    kind, _, name = principal.partition(":")
    if kind != "User" or not name:
        raise AclError(f"principal {principal!r} is not User:<name>: no SCRAM user for it")
    return name


def users_of(acls: Sequence[Acl]) -> list[str]:
    """The SCRAM users of every principal of the set, in the set's order."""
    return [user_of(p) for p in dict.fromkeys(acl.principal for acl in acls)]


def binding(acl: Acl) -> AclBinding:
    """The confluent-kafka binding of one ACL."""
    return AclBinding(
        _RESOURCE_TYPES[acl.resource_type],
        acl.resource_name,
        ResourcePatternType[acl.pattern_type],
        acl.principal,
        acl.host,
        AclOperation[acl.operation],
        AclPermissionType[acl.permission],
    )


def load_admin_config(path: Path) -> dict[str, str]:
    """The super user's librdkafka properties; AclError (one line) unless it is such a
    file for a SASL listener."""
    try:
        config = read_properties(path)
    except ClientPropertiesError as exc:
        raise AclError(f"--admin-config {exc}") from None
    protocol = config["security.protocol"].upper()
    if not protocol.startswith("SASL"):
        raise AclError(
            f"--admin-config {path}: security.protocol is {protocol}; SCRAM users need "
            "SASL_SSL or SASL_PLAINTEXT (screening broker --engine kafka --secure DIR)"
        )
    return config


def credentials(
    admin_config: dict[str, str], users: Sequence[str], directory: Path
) -> dict[str, dict[str, str]]:
    """Each user's client properties: the cluster's address, protocol and CA from the
    admin's settings, the password of its existing file in `directory` or a new one."""
    shared = {key: admin_config[key] for key in SHARED if admin_config.get(key)}
    return {
        user: {
            **shared,
            "sasl.mechanism": SCRAM_MECHANISM,
            "sasl.username": user,
            "sasl.password": _password(directory / f"{user}.json", user),
        }
        for user in users
    }


def apply(
    admin_config: dict[str, str],
    acls: Sequence[Acl],
    members: Sequence[str],
    directory: Path,
    settings: Settings,
) -> Applied:
    """Write the credential files, then create users, topics and ACLs on the cluster
    (files first: a failure half-way leaves passwords that a re-run re-applies, never
    users whose password nobody has). AclError on a broker refusal, BrokerUnavailable
    or BrokerRefused when the cluster does not answer or refuses the admin."""
    users = users_of(acls)
    existing = {user for user in users if (directory / f"{user}.json").exists()}
    documents = credentials(admin_config, users, directory)
    directory.mkdir(parents=True, exist_ok=True)
    directory.chmod(0o700)
    files = []
    for user, properties in documents.items():
        files.append(directory / f"{user}.json")
        write_properties(files[-1], properties)

    admin.wait_for_cluster(
        admin_config, 30.0, address_hint="--admin-config", security_hint="--admin-config"
    )
    client = AdminClient({**admin_config, "log_level": 0})
    _upsert_users(client, {user: p["sasl.password"] for user, p in documents.items()})
    topics_created = _create_topics(client, members, settings)
    _create_acls(client, acls)
    return Applied(
        new_users=tuple(u for u in users if u not in existing),
        kept_users=tuple(u for u in users if u in existing),
        topics_created=tuple(topics_created),
        bindings=len(acls),
        files=tuple(files),
    )


def _password(path: Path, user: str) -> str:
    """The password of an existing credentials file for `user`, else a new one."""
    try:
        return kept_password(path, user)
    except ClientPropertiesError as exc:
        raise AclError(f"{exc}; remove it to create new credentials for {user}") from None


def _upsert_users(client: AdminClient, passwords: dict[str, str]) -> None:
    info = ScramCredentialInfo(ScramMechanism.SCRAM_SHA_512, SCRAM_ITERATIONS)
    alterations: list[UserScramCredentialAlteration] = [
        UserScramCredentialUpsertion(user, info, password.encode())
        for user, password in passwords.items()
    ]
    futures = client.alter_user_scram_credentials(alterations, request_timeout=REQUEST_TIMEOUT_S)
    for user, future in futures.items():
        _result(future, f"creating SCRAM user {user}")


def _create_topics(client: AdminClient, members: Sequence[str], settings: Settings) -> list[str]:
    try:
        return [
            *admin.ensure_core_topics(client, settings),
            *admin.ensure_member_topics(client, settings, list(members)),
        ]
    except KafkaException as exc:
        raise AclError(f"creating topics: {exc.args[0].str()}") from None


def _create_acls(client: AdminClient, acls: Sequence[Acl]) -> None:
    bindings = [binding(acl) for acl in acls]
    futures = client.create_acls(bindings, request_timeout=REQUEST_TIMEOUT_S)
    for acl_binding, future in futures.items():
        _result(future, f"creating ACL {acl_binding}")
    _await_acls(client, set(bindings))


def _await_acls(client: AdminClient, bindings: set[AclBinding]) -> None:
    """Return once the broker's authorizer holds every binding: the controller answers
    CreateAcls when it has committed them, and a broker applies them a moment later (a
    member logging in at once was refused its own topic)."""
    # None matches any name, principal and host (the stubs type them as str only).
    anything: Any = None
    everything = AclBindingFilter(
        ResourceType.ANY,
        anything,
        ResourcePatternType.ANY,
        anything,
        anything,
        AclOperation.ANY,
        AclPermissionType.ANY,
    )
    deadline = time.monotonic() + REQUEST_TIMEOUT_S
    while True:
        future = client.describe_acls(everything, request_timeout=REQUEST_TIMEOUT_S)
        try:
            held = set(future.result())
        except KafkaException as exc:
            raise AclError(f"listing ACLs: {exc.args[0].str()}") from None
        missing = len(bindings - held)
        if not missing:
            return
        if time.monotonic() >= deadline:
            raise AclError(f"{missing} ACL binding(s) not in effect after {REQUEST_TIMEOUT_S}s")
        time.sleep(0.2)


def _result(future: object, what: str) -> None:
    try:
        future.result()  # type: ignore[attr-defined]
    except KafkaException as exc:
        raise AclError(f"{what}: {exc.args[0].str()}") from None
