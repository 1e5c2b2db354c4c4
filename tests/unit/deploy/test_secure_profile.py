"""The secure compose profile (deploy/secure/): TLS + SASL/SCRAM everywhere, deny-by-default
ACLs, and the ACLs its init applies are exactly `screening acl`'s for the member list. No
Docker engine is needed: the files are parsed, schema-checked, and the shell scripts run
dry against stub Kafka tools."""

from __future__ import annotations

import os
import shlex
import shutil
import stat
import subprocess
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner

from streams.cli.main import cli
from streams.kafka.acl import DEFAULT_PUBLISHER, DEFAULT_WORKER, acl_set
from streams.settings import Settings
from tests.unit.deploy.compose_file import (
    command_text,
    compose_service,
    docker_compose_config,
    environment,
    load_compose,
    schema_errors,
)
from tests.unit.deploy.deploy_files import ROOT
from tests.unit.kafka.acl_script import parse_script

SECURE = ROOT / "deploy" / "secure"
COMPOSE = SECURE / "docker-compose.secure.yml"
DEFAULT_MEMBERS = ("acme-bank", "northpay", "cardco")
needs_bash = pytest.mark.skipif(shutil.which("bash") is None, reason="bash not installed")


def compose() -> dict[str, Any]:
    return load_compose(COMPOSE)


def service(name: str) -> dict[str, Any]:
    return compose_service(COMPOSE, name)


def interpolate(value: str) -> str:
    """`${VAR:-default}` as compose resolves it with VAR unset."""
    if value.startswith("${") and ":-" in value and value.endswith("}"):
        return value[2:-1].split(":-", 1)[1]
    return value


def members_of(name: str) -> tuple[str, ...]:
    raw = interpolate(environment(service(name))["SCREENING_MEMBERS"])
    return tuple(m.strip() for m in raw.split(",") if m.strip())


def bind_mounts(svc: dict[str, Any]) -> dict[str, str]:
    """Container path -> source (relative to deploy/secure/) of a service's bind mounts."""
    found = {}
    for volume in svc.get("volumes", []):
        source, target = volume.split(":")[:2]
        if source.startswith((".", "/")):
            found[target] = source
    return found


# --- the file ----------------------------------------------------------------------------


def test_secure_compose_matches_the_compose_specification() -> None:
    errors = schema_errors(compose())
    assert errors == []


@pytest.mark.skipif(shutil.which("docker-compose") is None, reason="docker-compose not installed")
def test_docker_compose_config_accepts_the_secure_file() -> None:
    result = docker_compose_config(COMPOSE, SECURE)
    assert result.returncode == 0, result.stderr


def test_the_services_of_the_profile() -> None:
    assert {"kafka", "acl-plan", "kafka-init", "worker", "watchlist-load"} <= set(
        compose()["services"]
    )
    assert service("kafka")["image"] == "apache/kafka:3.9.0"
    assert service("kafka-init")["image"] == "apache/kafka:3.9.0"
    for name in ("acl-plan", "worker", "watchlist-load"):
        assert service(name)["build"]["context"] == "../..", "built from the repository"


# --- the broker --------------------------------------------------------------------------


def kafka_env() -> dict[str, str]:
    return environment(service("kafka"))


def listeners() -> dict[str, str]:
    """Listener name -> security protocol."""
    protocol_map = dict(
        item.split(":", 1)
        for item in kafka_env()["KAFKA_LISTENER_SECURITY_PROTOCOL_MAP"].split(",")
    )
    names = [item.split("://", 1)[0] for item in kafka_env()["KAFKA_LISTENERS"].split(",")]
    return {name: protocol_map[name] for name in names}


def test_kafka_runs_kraft_with_a_loopback_controller() -> None:
    env = kafka_env()
    assert env["KAFKA_PROCESS_ROLES"] == "broker,controller"
    assert env["KAFKA_CONTROLLER_QUORUM_VOTERS"] == "1@127.0.0.1:9093"
    controller = [
        item for item in env["KAFKA_LISTENERS"].split(",") if item.startswith("CONTROLLER://")
    ]
    assert controller == ["CONTROLLER://127.0.0.1:9093"]


def test_no_plaintext_listener() -> None:
    found = listeners()
    assert found and set(found.values()) == {"SASL_SSL"}, found
    env = kafka_env()
    for advertised in env["KAFKA_ADVERTISED_LISTENERS"].split(","):
        assert found[advertised.split("://", 1)[0]] == "SASL_SSL"
    assert "PLAINTEXT" not in env["KAFKA_LISTENER_SECURITY_PROTOCOL_MAP"]


def test_clients_authenticate_with_scram_over_tls() -> None:
    env = kafka_env()
    assert env["KAFKA_SASL_ENABLED_MECHANISMS"] == "SCRAM-SHA-512"
    assert env["KAFKA_SASL_MECHANISM_INTER_BROKER_PROTOCOL"] == "SCRAM-SHA-512"
    assert env["KAFKA_SSL_ENDPOINT_IDENTIFICATION_ALGORITHM"] == "https"
    assert "TLSv1.1" not in env["KAFKA_SSL_ENABLED_PROTOCOLS"]


def test_acls_are_enforced_and_deny_by_default() -> None:
    env = kafka_env()
    assert (
        env["KAFKA_AUTHORIZER_CLASS_NAME"]
        == "org.apache.kafka.metadata.authorizer.StandardAuthorizer"
    )
    assert env["KAFKA_ALLOW_EVERYONE_IF_NO_ACL_FOUND"] == "false"
    assert set(env["KAFKA_SUPER_USERS"].split(";")) == {"User:broker", "User:admin"}
    assert env["KAFKA_AUTO_CREATE_TOPICS_ENABLE"] == "false"


def test_only_the_host_listener_is_published_and_on_loopback() -> None:
    assert service("kafka")["ports"] == ["127.0.0.1:29092:29092"]
    for name in ("worker", "kafka-init", "acl-plan"):
        assert "ports" not in service(name)


def test_no_secret_is_written_in_the_compose_file() -> None:
    for name, svc in compose()["services"].items():
        for key, value in environment(svc).items():
            if "PASSWORD" in key or "SECRET" in key:
                assert value.startswith("${"), f"{name}: {key} is written in the file"
        mounts = bind_mounts(svc)
        assert all("ca.key" not in source for source in mounts.values()), "the CA key stays home"


# --- clients -------------------------------------------------------------------------------


def test_the_worker_connects_as_the_acl_sets_worker_principal() -> None:
    env = environment(service("worker"))
    assert f"User:{env['KAFKA_SASL_USERNAME']}" == DEFAULT_WORKER
    resolved = {key: interpolate(value) for key, value in env.items()}
    settings = Settings.from_env({**resolved, "KAFKA_SASL_PASSWORD": "from-the-file"})
    assert settings.security_protocol == "SASL_SSL"
    assert settings.sasl_mechanism == "SCRAM-SHA-512"
    assert settings.ssl_cafile in bind_mounts(service("worker"))
    assert bind_mounts(service("worker"))["/run/secrets/kafka-password"].endswith("/screening")


def test_the_watchlist_loader_connects_as_the_publisher() -> None:
    env = environment(service("watchlist-load"))
    assert f"User:{env['KAFKA_SASL_USERNAME']}" == DEFAULT_PUBLISHER
    assert env["KAFKA_SECURITY_PROTOCOL"] == "SASL_SSL"
    mounts = bind_mounts(service("watchlist-load"))
    assert mounts["/run/secrets/kafka-password"].endswith("/watchlist-publisher")


def test_passwords_reach_the_screening_processes_from_files() -> None:
    for name in ("worker", "watchlist-load"):
        entrypoint = service(name)["entrypoint"]
        assert entrypoint[:2] == ["/bin/sh", "-c"]
        assert (
            "KAFKA_SASL_PASSWORD" in entrypoint[2]
            and "/run/secrets/kafka-password" in (entrypoint[2])
        )
        assert 'exec screening "$$@"' in entrypoint[2]


# --- one member list, and the ACLs it yields -----------------------------------------------


def test_every_service_serves_the_same_members() -> None:
    assert members_of("acl-plan") == DEFAULT_MEMBERS
    assert members_of("kafka-init") == DEFAULT_MEMBERS
    assert members_of("worker") == DEFAULT_MEMBERS


def acl_plan_arguments() -> tuple[list[str], str]:
    """The `screening acl` arguments of the acl-plan service, with the member list
    substituted, and the file it writes."""
    script = command_text(service("acl-plan")).replace("$$", "$")
    words = shlex.split(script)
    assert words[:2] == ["screening", "acl"], script
    redirect = words.index(">")
    arguments = [
        ",".join(members_of("acl-plan")) if w == "$SCREENING_MEMBERS" else w
        for w in words[2:redirect]
    ]
    return arguments, words[redirect + 1]


def plan_from_the_command() -> str:
    arguments, _ = acl_plan_arguments()
    result = CliRunner().invoke(cli, ["acl", *arguments])
    assert result.exit_code == 0, result.output
    return result.stdout


def test_the_plan_is_screening_acl_for_the_member_list() -> None:
    applied = parse_script(plan_from_the_command())
    assert sorted(applied, key=repr) == sorted(acl_set(DEFAULT_MEMBERS), key=repr)
    for member in DEFAULT_MEMBERS:
        own = {(a.resource_name, a.operation) for a in applied if a.principal == f"User:{member}"}
        assert (f"payments.{member}", "WRITE") in own
        assert (f"decisions.{member}", "READ") in own
        assert all(member in name for name, _ in own)


def test_the_init_applies_the_plan_the_acl_plan_service_writes() -> None:
    arguments, output = acl_plan_arguments()
    plan_volume = next(v for v in service("acl-plan")["volumes"] if v.startswith("acl-plan:"))
    plan_dir = plan_volume.split(":")[1]
    assert str(Path(output).parent) == plan_dir
    init_volume = next(v for v in service("kafka-init")["volumes"] if v.startswith("acl-plan:"))
    init_env = environment(service("kafka-init"))
    assert init_env["ACL_PLAN"] == f"{init_volume.split(':')[1]}/{Path(output).name}"
    # The commands reach the broker the init talks to, with the file the init writes.
    assert arguments[arguments.index("--bootstrap-server") + 1] == init_env["BOOTSTRAP_SERVER"]
    init_script = (SECURE / "kafka-init.sh").read_text()
    config = arguments[arguments.index("--command-config") + 1]
    assert "admin_config=${WORK_DIR:-/tmp}/admin.properties" in init_script
    assert config == "/tmp/admin.properties"
    depends = service("kafka-init")["depends_on"]
    assert depends["acl-plan"]["condition"] == "service_completed_successfully"
    assert depends["kafka"]["condition"] == "service_healthy"
    assert (
        service("worker")["depends_on"]["kafka-init"]["condition"]
        == "service_completed_successfully"
    )


# --- the scripts, run dry -------------------------------------------------------------------


def stub_tools(directory: Path, log: Path, names: list[str]) -> None:
    """Kafka command-line tools that only record their arguments, one line per call."""
    directory.mkdir(parents=True, exist_ok=True)
    for name in names:
        tool = directory / name
        tool.write_text(
            f'#!/usr/bin/env bash\n{{ printf "%q " "{name}" "$@"; echo; }} >> "{log}"\n'
        )
        tool.chmod(tool.stat().st_mode | stat.S_IEXEC)


def run_dry(
    script: str, tmp_path: Path, mounted: Path, tools: list[str], **env: str
) -> tuple[subprocess.CompletedProcess[str], Path]:
    """deploy/secure/SCRIPT run by bash with its secrets in `mounted`, its work directory
    `tmp_path` and stub `tools`; the finished run and the log of the tools' calls."""
    log = tmp_path / "calls"
    stub_tools(tmp_path / "bin", log, tools)
    result = subprocess.run(
        ["bash", str(SECURE / script)],
        env={
            "PATH": os.environ["PATH"],
            "SECRETS_DIR": str(mounted),
            "WORK_DIR": str(tmp_path),
            "BIN_DIR": str(tmp_path / "bin"),
            **env,
        },
        capture_output=True,
        text=True,
    )
    return result, log


def make_secrets(tmp_path: Path, members: tuple[str, ...]) -> Path:
    secrets = tmp_path / "secrets"
    result = subprocess.run(
        ["bash", str(SECURE / "make-certs.sh"), *members],
        env={**os.environ, "SECRETS_DIR": str(secrets)},
        capture_output=True,
        text=True,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    return secrets


@pytest.fixture(scope="module")
def secrets(tmp_path_factory: pytest.TempPathFactory) -> Path:
    if shutil.which("openssl") is None or shutil.which("bash") is None:
        pytest.skip("openssl and bash are needed")
    return make_secrets(tmp_path_factory.mktemp("secure"), DEFAULT_MEMBERS)


def test_make_certs_writes_every_file_the_compose_file_mounts(secrets: Path) -> None:
    for name, svc in compose()["services"].items():
        for source in bind_mounts(svc).values():
            if source.startswith("./secrets/"):
                assert (secrets / source.removeprefix("./secrets/")).exists(), (name, source)
            else:
                assert (SECURE / source).exists(), (name, source)
    assert stat.S_IMODE(secrets.stat().st_mode) == 0o700
    assert stat.S_IMODE((secrets / "ca.key").stat().st_mode) == 0o600
    for member in DEFAULT_MEMBERS:
        env = dict(
            line.split("=", 1)
            for line in (secrets / "clients" / f"{member}.env").read_text().splitlines()
        )
        assert Settings.from_env(env).sasl_username == member


def test_make_certs_signs_the_broker_for_its_names(secrets: Path) -> None:
    password = (secrets / "keystore.password").read_text().strip()
    certificate = subprocess.run(
        [
            *("openssl", "pkcs12", "-in", str(secrets / "kafka.p12"), "-nokeys", "-clcerts"),
            *("-passin", f"pass:{password}"),
        ],
        capture_output=True,
        check=True,
    ).stdout
    names = subprocess.run(
        ["openssl", "x509", "-noout", "-ext", "subjectAltName"],
        input=certificate,
        capture_output=True,
        check=True,
    ).stdout.decode()
    for name in ("DNS:kafka", "DNS:localhost", "IP Address:127.0.0.1"):
        assert name in names
    verified = subprocess.run(
        ["openssl", "verify", "-CAfile", str(secrets / "ca.pem")],
        input=certificate,
        capture_output=True,
        check=False,
    )
    assert verified.returncode == 0, verified.stderr


@needs_bash
def test_make_certs_rejects_bad_member_ids(tmp_path: Path) -> None:
    for bad in ("Acme", "admin", "a_b"):
        result = subprocess.run(
            ["bash", str(SECURE / "make-certs.sh"), bad],
            env={**os.environ, "SECRETS_DIR": str(tmp_path / "s")},
            capture_output=True,
            text=True,
            check=False,
        )
        assert result.returncode == 2 and bad in result.stderr


def properties(path: Path) -> dict[str, str]:
    return dict(
        line.split("=", 1) for line in path.read_text().splitlines() if line and line[0] != "#"
    )


def test_the_broker_start_script_renders_a_secure_configuration(
    secrets: Path, tmp_path: Path
) -> None:
    mounted = tmp_path / "run-secrets"
    mounted.mkdir()
    for target, source in bind_mounts(service("kafka")).items():
        if target.startswith("/run/secrets/"):
            shutil.copy(secrets / source.removeprefix("./secrets/"), mounted / Path(target).name)
    result, log = run_dry(
        "kafka-start.sh",
        tmp_path,
        mounted,
        ["kafka-storage.sh", "kafka-server-start.sh"],
        **kafka_env(),
    )
    assert result.returncode == 0, result.stderr
    config = properties(tmp_path / "server.properties")
    assert config["authorizer.class.name"].endswith("StandardAuthorizer")
    assert config["allow.everyone.if.no.acl.found"] == "false"
    assert (
        config["listener.security.protocol.map"]
        == kafka_env()["KAFKA_LISTENER_SECURITY_PROTOCOL_MAP"]
    )
    assert config["listener.name.controller.sasl.enabled.mechanisms"] == "PLAIN"
    assert config["ssl.keystore.password"] == (mounted / "keystore.password").read_text().strip()
    broker_password = (mounted / "broker.password").read_text().strip()
    assert (
        f'password="{broker_password}"'
        in (config["listener.name.client.scram-sha-512.sasl.jaas.config"])
    )
    assert "cluster.id" not in config and "bin" not in config and "work" not in config
    assert stat.S_IMODE((tmp_path / "server.properties").stat().st_mode) == 0o600
    calls = [shlex.split(line) for line in log.read_text().splitlines()]
    assert calls[0][:2] == ["kafka-storage.sh", "format"]
    assert "--ignore-formatted" in calls[0]
    scram = [calls[0][i + 1] for i, w in enumerate(calls[0]) if w == "--add-scram"]
    assert [s.split("name=")[1].split(",")[0] for s in scram] == ["broker", "admin"]
    assert calls[1] == ["kafka-server-start.sh", str(tmp_path / "server.properties")]


def test_the_init_creates_users_topics_and_applies_exactly_the_plan(
    secrets: Path, tmp_path: Path
) -> None:
    mounted = tmp_path / "run-secrets"
    mounted.mkdir()
    shutil.copytree(secrets / "passwords", mounted / "passwords")
    shutil.copy(secrets / "ca.pem", mounted / "ca.pem")
    plan = tmp_path / "acls.sh"
    plan.write_text(plan_from_the_command())
    env = {
        **environment(service("kafka-init")),
        "SCREENING_MEMBERS": ",".join(members_of("kafka-init")),
        "ACL_PLAN": str(plan),
    }
    result, log = run_dry(
        "kafka-init.sh",
        tmp_path,
        mounted,
        ["kafka-configs.sh", "kafka-topics.sh", "kafka-acls.sh"],
        **env,
    )
    assert result.returncode == 0, result.stderr
    calls = [shlex.split(line) for line in log.read_text().splitlines()]

    users = [c[c.index("--entity-name") + 1] for c in calls if c[0] == "kafka-configs.sh"]
    assert users == ["screening", "watchlist-publisher", "console", *DEFAULT_MEMBERS]
    created = {c[c.index("--topic") + 1] for c in calls if c[0] == "kafka-topics.sh"}
    for member in DEFAULT_MEMBERS:
        assert {f"payments.{member}", f"decisions.{member}"} <= created
    assert {"watchlist", "rules", "watchlist.links", "alerts", "dlq.payments"} <= created

    applied = [
        " ".join(shlex.quote(w) for w in c)
        for c in calls
        if c[0] == "kafka-acls.sh" and "--add" in c
    ]
    script = "set -eu\n" + "\n".join(applied)
    assert sorted(parse_script(script), key=repr) == sorted(acl_set(DEFAULT_MEMBERS), key=repr)
    admin = properties(tmp_path / "admin.properties")
    assert admin["security.protocol"] == "SASL_SSL"
    assert 'username="admin"' in admin["sasl.jaas.config"]


def test_the_init_stops_when_a_members_password_is_missing(secrets: Path, tmp_path: Path) -> None:
    mounted = tmp_path / "run-secrets"
    shutil.copytree(secrets / "passwords", mounted / "passwords")
    result, _ = run_dry(
        "kafka-init.sh",
        tmp_path,
        mounted,
        ["kafka-configs.sh", "kafka-topics.sh"],
        SCREENING_MEMBERS="acme-bank,newcomer",
    )
    assert result.returncode == 1
    assert "newcomer" in result.stderr and "make-certs.sh" in result.stderr


@pytest.mark.parametrize("members", ["acme-bank,admin", "broker", "Acme", "screening", "console"])
def test_the_init_refuses_members_that_would_take_a_system_user(
    secrets: Path, tmp_path: Path, members: str
) -> None:
    mounted = tmp_path / "run-secrets"
    shutil.copytree(secrets / "passwords", mounted / "passwords")
    result, log = run_dry(
        "kafka-init.sh",
        tmp_path,
        mounted,
        ["kafka-configs.sh", "kafka-topics.sh"],
        SCREENING_MEMBERS=members,
    )
    assert result.returncode == 1, result.stderr
    assert not log.exists(), "nothing is changed on the broker"


@needs_bash
def test_the_scripts_are_valid_bash() -> None:
    for script in ("make-certs.sh", "kafka-start.sh", "kafka-init.sh"):
        path = SECURE / script
        assert path.stat().st_mode & stat.S_IXUSR, f"{script} is executable"
        result = subprocess.run(["bash", "-n", str(path)], capture_output=True, text=True)
        assert result.returncode == 0, result.stderr


def test_generated_secrets_are_ignored_by_git() -> None:
    assert "secrets/" in (SECURE / ".gitignore").read_text().split()
