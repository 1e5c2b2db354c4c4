"""Member isolation by Kafka ACLs: the generated set, evaluated here by a small matcher with
Kafka's semantics, lets each member exactly its own payments (write) and decisions (read),
and the `screening acl` command prints it as kafka-acls.sh commands or JSON."""

from __future__ import annotations

import shutil
import subprocess
from collections.abc import Iterable

import orjson
import pytest
from click.testing import CliRunner

from streams.cli.main import cli
from streams.kafka.acl import (
    Acl,
    AclError,
    Principals,
    acl_documents,
    acl_set,
    kafka_acls_commands,
    parse_members,
    shell_script,
)
from tests.unit.kafka.acl_script import parse_script

# Members whose names are prefixes of each other: a prefixed ACL for one must never
# cover another.
MEMBERS = ("acme", "acme-bank", "a", "a-b", "northpay", "0")
OUTSIDER = "stranger"  # has topics on the broker but is not in the list
WORKER = "User:screening"
PUBLISHER = "User:watchlist-publisher"
CONSOLE = "User:console"
SHARED_TOPICS = ("alerts", "watchlist", "rules", "watchlist.links", "dlq.payments")
CONSOLE_TOPICS = ("audit", "console.proposals", "console.users")
MEMBER_KINDS = ("payments", "decisions", "resolutions")
INTERNAL_TOPICS = (
    "screening-__assignor-__leader",
    "screening-velocity.payee-changelog",
    "screening.velocity.payee",
)
TOPIC_OPERATIONS = (
    "READ",
    "WRITE",
    "DESCRIBE",
    "CREATE",
    "DELETE",
    "ALTER",
    "DESCRIBE_CONFIGS",
    "ALTER_CONFIGS",
)
CLUSTER_OPERATIONS = (
    "CREATE",
    "ALTER",
    "DESCRIBE",
    "CLUSTER_ACTION",
    "IDEMPOTENT_WRITE",
    "ALTER_CONFIGS",
    "DESCRIBE_CONFIGS",
)


def all_topics() -> list[str]:
    names = [f"{kind}.{m}" for m in (*MEMBERS, OUTSIDER) for kind in MEMBER_KINDS]
    return [*names, *SHARED_TOPICS, *CONSOLE_TOPICS, *INTERNAL_TOPICS]


def all_groups() -> list[str]:
    groups = [f"decisions-{m}" for m in (*MEMBERS, OUTSIDER)]
    groups += [f"decisions-{m}.fraud-desk" for m in (*MEMBERS, OUTSIDER)]
    groups += ["screening", "screening-replica-watchlist", "decisions-", "decisions"]
    return [*groups, "console", "console-view"]


# --- a matcher with Kafka's StandardAuthorizer semantics ---------------------------------

# READ, WRITE, DELETE and ALTER imply DESCRIBE; ALTER_CONFIGS implies DESCRIBE_CONFIGS.
IMPLIED = {
    "DESCRIBE": {"READ", "WRITE", "DELETE", "ALTER"},
    "DESCRIBE_CONFIGS": {"ALTER_CONFIGS"},
}


def allowed(acls: Iterable[Acl], principal: str, resource: str, name: str, operation: str) -> bool:
    """Whether an ALLOW binding grants `operation` on the resource and no DENY takes it."""
    grants = False
    for acl in acls:
        if acl.principal not in (principal, "User:*") or acl.resource_type != resource:
            continue
        if acl.host != "*":
            continue
        if acl.pattern_type == "LITERAL":
            matches = acl.resource_name in (name, "*")
        elif acl.pattern_type == "PREFIXED":
            matches = name.startswith(acl.resource_name)
        else:
            raise AssertionError(f"unexpected pattern type {acl.pattern_type}")
        ops = {acl.operation}
        if acl.operation == "ALL":
            ops = {operation}
        covers = operation in ops or bool(ops & IMPLIED.get(operation, set()))
        if matches and covers:
            if acl.permission == "DENY":
                return False
            grants = True
    return grants


ACLS = acl_set(MEMBERS)


def test_the_matcher_follows_kafka_semantics() -> None:
    acls = [
        Acl("User:x", "TOPIC", "PREFIXED", "payments.", "READ"),
        Acl("User:x", "TOPIC", "LITERAL", "alerts", "WRITE"),
    ]
    assert allowed(acls, "User:x", "TOPIC", "payments.anyone", "READ")
    assert allowed(acls, "User:x", "TOPIC", "payments.anyone", "DESCRIBE")
    assert not allowed(acls, "User:x", "TOPIC", "payments.anyone", "WRITE")
    assert allowed(acls, "User:x", "TOPIC", "alerts", "DESCRIBE")
    assert not allowed(acls, "User:x", "TOPIC", "alerts-2", "WRITE")
    assert not allowed(acls, "User:y", "TOPIC", "alerts", "WRITE")
    assert not allowed(acls, "User:x", "GROUP", "alerts", "WRITE")


# --- members -----------------------------------------------------------------------------


@pytest.mark.parametrize("member", MEMBERS)
def test_a_member_may_exactly_write_its_payments_and_read_its_decisions(member: str) -> None:
    principal = f"User:{member}"
    readable = (f"decisions.{member}", f"resolutions.{member}")
    for topic in all_topics():
        for operation in TOPIC_OPERATIONS:
            expected = (topic == f"payments.{member}" and operation in ("WRITE", "DESCRIBE")) or (
                topic in readable and operation in ("READ", "DESCRIBE")
            )
            assert allowed(ACLS, principal, "TOPIC", topic, operation) == expected, (
                member,
                topic,
                operation,
            )


@pytest.mark.parametrize("member", MEMBERS)
def test_a_member_may_use_only_its_own_consumer_groups(member: str) -> None:
    principal = f"User:{member}"
    own = {f"decisions-{member}", f"decisions-{member}.fraud-desk"}
    for group in all_groups():
        for operation in ("READ", "DESCRIBE", "DELETE"):
            expected = group in own and operation != "DELETE"
            assert allowed(ACLS, principal, "GROUP", group, operation) == expected, (
                member,
                group,
                operation,
            )


@pytest.mark.parametrize("member", MEMBERS)
def test_a_member_has_no_cluster_operation(member: str) -> None:
    for operation in CLUSTER_OPERATIONS:
        assert not allowed(ACLS, f"User:{member}", "CLUSTER", "kafka-cluster", operation)


def test_member_acls_name_their_own_resources_only() -> None:
    for acl in ACLS:
        member = acl.principal.removeprefix("User:")
        if member not in MEMBERS:
            continue
        assert acl.permission == "ALLOW" and acl.host == "*"
        assert acl.operation in ("READ", "WRITE", "DESCRIBE")
        assert member in acl.resource_name
        if acl.pattern_type == "PREFIXED":
            assert acl.resource_type == "GROUP" and acl.resource_name == f"decisions-{member}."


def test_an_unlisted_principal_may_do_nothing() -> None:
    for topic in all_topics():
        for operation in TOPIC_OPERATIONS:
            assert not allowed(ACLS, f"User:{OUTSIDER}", "TOPIC", topic, operation)
            assert not allowed(ACLS, "User:ANONYMOUS", "TOPIC", topic, operation)


def test_member_principal_prefix_is_configurable() -> None:
    acls = acl_set(["acme"], Principals(member_prefix="User:member-"))
    assert allowed(acls, "User:member-acme", "TOPIC", "payments.acme", "WRITE")
    assert not allowed(acls, "User:acme", "TOPIC", "payments.acme", "WRITE")


# --- the worker and the publisher ----------------------------------------------------------


def test_the_worker_reads_every_members_payments_and_writes_its_outputs() -> None:
    def can(topic: str, operation: str, resource: str = "TOPIC") -> bool:
        return allowed(ACLS, WORKER, resource, topic, operation)

    for member in (*MEMBERS, OUTSIDER, "new-member"):  # members discovered later too
        assert can(f"payments.{member}", "READ")
        assert not can(f"payments.{member}", "WRITE")
        assert can(f"decisions.{member}", "WRITE")
        # Read back after a restart, so a redelivered payment gets its earlier decision.
        assert can(f"decisions.{member}", "READ")
    for topic in ("watchlist", "rules", "watchlist.links"):
        assert can(topic, "READ")
    for topic in ("alerts", "dlq.payments", "watchlist.links"):
        assert can(topic, "WRITE")
    assert not can("watchlist", "WRITE") and not can("rules", "WRITE"), "only the publisher"
    assert not can("alerts", "READ") and not can("dlq.payments", "READ")
    for topic in INTERNAL_TOPICS:
        for operation in ("READ", "WRITE", "CREATE"):
            assert can(topic, operation)
    assert can("screening", "READ", "GROUP")
    assert can("screening-replica-watchlist", "READ", "GROUP")
    assert not can("decisions-acme", "READ", "GROUP")
    assert can("kafka-cluster", "IDEMPOTENT_WRITE", "CLUSTER")
    assert not can("kafka-cluster", "ALTER", "CLUSTER")


def test_the_worker_follows_the_app_id() -> None:
    acls = acl_set(["acme"], app_id="screening-eu")
    assert allowed(acls, WORKER, "TOPIC", "screening-eu-velocity.payer-changelog", "WRITE")
    assert allowed(acls, WORKER, "TOPIC", "screening.velocity.payer", "READ")
    assert allowed(acls, WORKER, "GROUP", "screening-eu", "READ")


def test_the_publisher_writes_the_watchlist_and_rules_and_reads_no_payment_data() -> None:
    def can(topic: str, operation: str) -> bool:
        return allowed(ACLS, PUBLISHER, "TOPIC", topic, operation)

    assert can("watchlist", "WRITE") and can("rules", "WRITE")
    assert can("watchlist.links", "READ") and can("watchlist.links", "WRITE")
    for topic in all_topics():
        if topic.startswith(("payments.", "decisions.", "resolutions.")):
            assert not any(can(topic, op) for op in TOPIC_OPERATIONS), topic
    for topic in ("alerts", "dlq.payments", *INTERNAL_TOPICS):
        assert can(topic, "DESCRIBE") and not can(topic, "READ") and not can(topic, "WRITE")


def test_the_console_reads_what_its_view_needs_and_writes_only_desk_records() -> None:
    def can(topic: str, operation: str, resource: str = "TOPIC") -> bool:
        return allowed(ACLS, CONSOLE, resource, topic, operation)

    for member in (*MEMBERS, OUTSIDER, "new-member"):  # members it discovers later too
        for kind in MEMBER_KINDS:
            assert can(f"{kind}.{member}", "READ") and can(f"{kind}.{member}", "DESCRIBE")
        assert not can(f"payments.{member}", "WRITE") and not can(f"decisions.{member}", "WRITE")
        assert can(f"resolutions.{member}", "WRITE") and can(f"resolutions.{member}", "CREATE")
    for topic in ("alerts", "watchlist", "watchlist.links", *CONSOLE_TOPICS):
        assert can(topic, "READ"), topic
    for topic in ("watchlist", *CONSOLE_TOPICS):
        assert can(topic, "WRITE"), topic
    for topic in ("alerts", "watchlist.links", "rules", "dlq.payments", *INTERNAL_TOPICS):
        assert not can(topic, "WRITE"), topic
    for topic in ("rules", "dlq.payments", *INTERNAL_TOPICS):
        assert not can(topic, "READ"), topic
    assert can("console", "READ", "GROUP") and can("console-view", "READ", "GROUP")
    assert not can("screening", "READ", "GROUP") and not can("decisions-acme", "READ", "GROUP")
    for operation in CLUSTER_OPERATIONS:
        assert not can("kafka-cluster", operation, "CLUSTER")


def test_no_member_reads_the_console_topics() -> None:
    for member in MEMBERS:
        for topic in ("alerts", "watchlist", *CONSOLE_TOPICS):
            assert not allowed(ACLS, f"User:{member}", "TOPIC", topic, "READ")


# --- validation ----------------------------------------------------------------------------


@pytest.mark.parametrize(
    "members", ["Acme", "acme,Bank", "-acme", "acme.eu", "acme bank", "acme_1", "ä", ""]
)
def test_bad_member_lists_are_rejected_in_one_line(members: str) -> None:
    with pytest.raises(AclError) as info:
        parse_members(members)
    assert "\n" not in str(info.value)


def test_member_lists_are_trimmed_and_deduplicated() -> None:
    assert parse_members(" acme, northpay ,acme,,") == ("acme", "northpay")


@pytest.mark.parametrize(
    "principals",
    [
        Principals(worker="screening"),
        Principals(publisher="User:"),
        Principals(member_prefix="User"),
        Principals(worker="User:a b"),
        Principals(worker="User:x", publisher="User:x"),
        Principals(console="User:screening"),
        Principals(console="console"),
    ],
)
def test_bad_principals_are_rejected(principals: Principals) -> None:
    with pytest.raises(AclError):
        acl_set(["acme"], principals)


@pytest.mark.parametrize(
    "member", ["screening", "watchlist-publisher", "console", "admin", "broker"]
)
def test_a_member_cannot_take_a_system_principal(member: str) -> None:
    with pytest.raises(AclError, match="reserved principal"):
        acl_set([member])
    assert acl_set([member], Principals(member_prefix="User:member-"))


# --- output --------------------------------------------------------------------------------


def test_shell_commands_add_exactly_the_acl_set() -> None:
    script = shell_script(ACLS, "kafka:9092", "/tmp/admin.properties")
    assert script.startswith("#!/bin/sh\n")
    assert sorted(parse_script(script), key=repr) == sorted(ACLS, key=repr)
    for line in kafka_acls_commands(ACLS, "kafka:9092", "/tmp/admin.properties"):
        assert "--bootstrap-server kafka:9092 --command-config /tmp/admin.properties" in line


@pytest.mark.skipif(shutil.which("sh") is None, reason="no sh")
def test_the_script_is_valid_shell() -> None:
    script = shell_script(acl_set(["acme"], Principals(worker="User:CN=w,O=x")), "kafka:9092")
    result = subprocess.run(["sh", "-n"], input=script, text=True, capture_output=True)
    assert result.returncode == 0, result.stderr


def test_json_documents_use_acl_binding_names() -> None:
    (first, *_) = acl_documents(ACLS)
    assert set(first) == {
        "principal",
        "resource_type",
        "pattern_type",
        "resource_name",
        "operation",
        "permission",
        "host",
    }


# --- the command ---------------------------------------------------------------------------


def run(args: list[str], env: dict[str, str] | None = None) -> tuple[int, str, str]:
    result = CliRunner().invoke(cli, ["acl", *args], env=env or {})
    return result.exit_code, result.stdout, result.stderr


def test_cli_shell_output_is_the_acl_set() -> None:
    code, out, _ = run(
        [
            "--members",
            ",".join(MEMBERS),
            "--bootstrap-server",
            "kafka:9092",
            "--command-config",
            "/etc/admin.properties",
        ]
    )
    assert code == 0
    assert sorted(parse_script(out), key=repr) == sorted(ACLS, key=repr)


def test_cli_json_output_is_the_acl_set() -> None:
    code, out, _ = run(["--members", "acme,northpay", "--format", "json"])
    assert code == 0
    document = orjson.loads(out)
    assert document["members"] == ["acme", "northpay"]
    assert document["principals"]["members"] == {"acme": "User:acme", "northpay": "User:northpay"}
    assert document["acls"] == acl_documents(acl_set(["acme", "northpay"]))


def test_cli_members_default_to_screening_members() -> None:
    code, out, _ = run(["--format", "json"], env={"SCREENING_MEMBERS": "acme, northpay"})
    assert code == 0 and orjson.loads(out)["members"] == ["acme", "northpay"]


def test_cli_options_reach_the_acls() -> None:
    code, out, _ = run(
        [
            "--members",
            "acme",
            "--format",
            "json",
            "--member-principal-prefix",
            "User:member-",
            "--worker-principal",
            "User:svc-screening",
            "--publisher-principal",
            "User:svc-publisher",
            "--console-principal",
            "User:svc-console",
            "--app-id",
            "screening-eu",
        ]
    )
    assert code == 0
    principals = {acl["principal"] for acl in orjson.loads(out)["acls"]}
    assert principals == {
        "User:member-acme",
        "User:svc-screening",
        "User:svc-publisher",
        "User:svc-console",
    }


@pytest.mark.parametrize(
    ("args", "env", "message"),
    [
        (["--members", "Acme"], {}, "member 'Acme'"),
        (["--members", "acme,bank_2"], {}, "member 'bank_2'"),
        ([], {}, "no members"),
        ([], {"SCREENING_MEMBERS": "ok,-bad"}, "member '-bad'"),
        (["--members", "acme", "--format", "xml"], {}, "format 'xml'"),
        (["--members", "acme", "--bootstrap-server", "kafka"], {}, "bootstrap server"),
        (["--members", "acme", "--bootstrap-server", "k:1;rm -rf /"], {}, "bootstrap server"),
        (["--members", "acme", "--worker-principal", "screening"], {}, "worker principal"),
        (["--members", "screening"], {}, "reserved principal"),
        (["--members", "acme,admin"], {}, "reserved principal"),
        (["--members", "acme", "--app-id", "a b"], {}, "app id"),
    ],
)
def test_cli_bad_arguments_give_one_line_errors(
    args: list[str], env: dict[str, str], message: str
) -> None:
    code, out, err = run(args, env)
    assert code == 1
    assert out == ""
    lines = err.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("Error: ") and message in lines[0], err
    assert "Traceback" not in err
