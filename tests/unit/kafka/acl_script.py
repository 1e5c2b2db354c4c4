"""Reading `kafka-acls.sh --add` command lines back into ACLs, for tests that check what a
generated script or an init script would add."""

from __future__ import annotations

import shlex

from streams.kafka.acl import Acl

FLAG_OPERATIONS = {
    "Read": "READ",
    "Write": "WRITE",
    "Describe": "DESCRIBE",
    "Create": "CREATE",
    "All": "ALL",
    "IdempotentWrite": "IDEMPOTENT_WRITE",
}


def parse_kafka_acls(line: str) -> list[Acl]:
    """The ACLs one `kafka-acls.sh --add` command line adds."""
    words = shlex.split(line)
    assert words[0].endswith("kafka-acls.sh") and "--add" in words, line
    principal = host = resource_type = name = None
    pattern = "LITERAL"
    operations = []
    i = 1
    while i < len(words):
        flag = words[i]
        value = words[i + 1] if i + 1 < len(words) else ""
        if flag in ("--add",):
            i += 1
            continue
        if flag == "--cluster":
            resource_type, name = "CLUSTER", "kafka-cluster"
            i += 1
            continue
        if flag == "--allow-principal":
            principal = value
        elif flag == "--allow-host":
            host = value
        elif flag == "--operation":
            operations.append(FLAG_OPERATIONS[value])
        elif flag in ("--topic", "--group"):
            resource_type, name = flag[2:].upper(), value
        elif flag == "--resource-pattern-type":
            pattern = value.upper()
        elif flag not in ("--bootstrap-server", "--command-config"):
            raise AssertionError(f"unexpected flag {flag} in {line}")
        i += 2
    assert principal and host and resource_type and name and operations, line
    return [Acl(principal, resource_type, pattern, name, op, "ALLOW", host) for op in operations]


def parse_script(script: str) -> list[Acl]:
    """The ACLs a `set -eu` script of `kafka-acls.sh --add` lines adds."""
    lines = [line for line in script.splitlines() if line.strip() and not line.startswith("#")]
    assert lines[0] == "set -eu"
    return [acl for line in lines[1:] for acl in parse_kafka_acls(line)]
