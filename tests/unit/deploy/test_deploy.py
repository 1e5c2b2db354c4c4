"""Structural checks of the production deployment files: docker-compose.yml, Dockerfile and
.dockerignore. No Docker engine is needed; these read the files only."""

from __future__ import annotations

import json
import re
import shlex

import pytest

from streams.kafka import topics
from tests.unit.deploy.compose_file import command_text, environment
from tests.unit.deploy.deploy_files import COMPOSE, ROOT, compose, service

DOCKERFILE = ROOT / "Dockerfile"
DOCKERIGNORE = ROOT / ".dockerignore"
EXAMPLE_MEMBERS = ("acme-bank", "northpay", "cardco")
PARTITIONS = 6
# The topics every member shares (and the console's own).
SHARED_TOPICS = (
    topics.WATCHLIST,
    topics.RULES,
    topics.ALERTS,
    topics.DLQ_PAYMENTS,
    topics.AUDIT,
    topics.PROPOSALS,
    topics.CONSOLE_USERS,
)


def created_topics() -> dict[str, list[str]]:
    """Topic name -> the kafka-topics.sh arguments that create it, read from the init
    service's script (one `create NAME [ARGS...]` line per topic)."""
    found: dict[str, list[str]] = {}
    for line in command_text(service("topics")).splitlines():
        if not line.strip().startswith("create "):
            continue
        words = shlex.split(line.strip())
        if words[0] == "create":
            assert len(words) >= 2, f"create without a topic: {line!r}"
            found[words[1]] = words[2:]
    return found


def contract_topics() -> list[str]:
    names = list(SHARED_TOPICS)
    for member in EXAMPLE_MEMBERS:
        names += [
            topics.payments_topic(member),
            topics.decisions_topic(member),
            topics.resolutions_topic(member),
        ]
    return names


def dockerfile_instructions() -> list[tuple[str, str]]:
    """(INSTRUCTION, arguments) with line continuations joined and comments dropped."""
    joined = re.sub(r"\\\n", " ", DOCKERFILE.read_text())
    result = []
    for line in joined.splitlines():
        stripped = line.strip()
        if not stripped or stripped.startswith("#"):
            continue
        instruction, _, arguments = stripped.partition(" ")
        result.append((instruction.upper(), arguments.strip()))
    return result


def instruction(name: str) -> list[str]:
    return [args for inst, args in dockerfile_instructions() if inst == name]


# --- docker-compose.yml -------------------------------------------------------------------


def test_compose_file_has_the_services() -> None:
    assert {"kafka", "topics", "worker"} <= set(compose()["services"])
    assert "version" not in compose(), "the compose spec has no version key"


def test_kafka_is_apache_kafka_in_kraft_mode() -> None:
    kafka = service("kafka")
    assert kafka["image"].startswith("apache/kafka:")
    env = environment(kafka)
    assert set(env["KAFKA_PROCESS_ROLES"].split(",")) == {"broker", "controller"}
    node_id = env["KAFKA_NODE_ID"]
    assert env["KAFKA_CONTROLLER_QUORUM_VOTERS"].startswith(f"{node_id}@kafka:")
    assert env["CLUSTER_ID"], "apache/kafka needs CLUSTER_ID in KRaft mode"
    assert "CONTROLLER" in env["KAFKA_CONTROLLER_LISTENER_NAMES"].split(",")
    assert "KAFKA_ZOOKEEPER_CONNECT" not in env
    advertised = env["KAFKA_ADVERTISED_LISTENERS"].split(",")
    assert "PLAINTEXT://kafka:9092" in advertised
    protocols = dict(
        p.split(":", 1) for p in env["KAFKA_LISTENER_SECURITY_PROTOCOL_MAP"].split(",")
    )
    listeners = [listener.split("://")[0] for listener in env["KAFKA_LISTENERS"].split(",")]
    assert set(listeners) <= set(protocols), "every listener needs a security protocol"
    assert env["KAFKA_OFFSETS_TOPIC_REPLICATION_FACTOR"] == "1", "a single node cannot replicate"


def test_kafka_and_worker_have_healthchecks() -> None:
    for name in ("kafka", "worker"):
        check = service(name).get("healthcheck")
        assert check and check.get("test"), f"{name} has no healthcheck"
        assert not check.get("disable", False)
    assert "/metrics" in " ".join(service("worker")["healthcheck"]["test"])


def test_topics_service_creates_every_contract_topic() -> None:
    topics_svc = service("topics")
    assert topics_svc["image"] == service("kafka")["image"], "the init service uses Kafka's tools"
    assert topics_svc["depends_on"]["kafka"]["condition"] == "service_healthy"
    assert topics_svc.get("restart", "no") == "no", "a one-shot service must not restart"
    created = created_topics()
    missing = [name for name in contract_topics() if name not in created]
    assert missing == []
    script = command_text(topics_svc)
    assert "--if-not-exists" in script, "re-running the stack must not fail on existing topics"
    assert f"--partitions {PARTITIONS}" in script


@pytest.mark.parametrize(
    "name", [topics.WATCHLIST, topics.RULES, topics.PROPOSALS, topics.CONSOLE_USERS]
)
def test_watchlist_and_rules_are_compacted(name: str) -> None:
    assert "cleanup.policy=compact" in created_topics()[name]


@pytest.mark.parametrize(
    "name",
    [topics.ALERTS, topics.DLQ_PAYMENTS, topics.AUDIT, "payments.acme-bank", "resolutions.cardco"],
)
def test_event_topics_are_not_compacted(name: str) -> None:
    assert "cleanup.policy=compact" not in created_topics()[name]


def test_created_topic_names_follow_the_contract() -> None:
    for name in created_topics():
        assert (
            name in SHARED_TOPICS
            or topics.member_of(name) is not None
            or re.fullmatch(r"(decisions|resolutions)\.[a-z0-9][a-z0-9-]*", name)
        ), name


def test_worker_is_built_from_the_repository() -> None:
    build = service("worker")["build"]
    context = build if isinstance(build, str) else build.get("context", ".")
    assert (COMPOSE.parent / context).resolve() == ROOT
    dockerfile = "Dockerfile" if isinstance(build, str) else build.get("dockerfile", "Dockerfile")
    assert (ROOT / context / dockerfile).resolve() == DOCKERFILE


def test_worker_reaches_kafka_in_the_network() -> None:
    worker = service("worker")
    assert environment(worker)["KAFKA_BOOTSTRAP_SERVERS"] == "kafka:9092"
    depends = worker["depends_on"]
    assert depends["kafka"]["condition"] == "service_healthy"
    assert depends["topics"]["condition"] == "service_completed_successfully"


def test_worker_can_be_scaled() -> None:
    """`docker compose up --scale worker=3` needs no fixed name and no published host port."""
    worker = service("worker")
    assert "container_name" not in worker
    assert "ports" not in worker, "a published host port collides when scaled"
    assert "hostname" not in worker
    assert "6066" in [str(port) for port in worker.get("expose", [])]


def test_the_console_serves_on_8080_with_its_database_on_a_volume() -> None:
    console = service("console")
    assert console["command"] == ["console", "--listen", "0.0.0.0:8080"]
    assert console["build"] == service("worker")["build"]
    env = environment(console)
    assert env["KAFKA_BOOTSTRAP_SERVERS"] == "kafka:9092"
    assert env["SCREENING_CONSOLE_DB"] == "sqlite:////data/console.db"
    volumes = [str(v).split(":") for v in console["volumes"]]
    assert ["console-data", "/data"] in volumes
    assert "console-data" in compose()["volumes"]
    assert "127.0.0.1:8080:8080" in console["ports"]
    assert "/healthz" in " ".join(console["healthcheck"]["test"])
    assert console["depends_on"]["kafka"]["condition"] == "service_healthy"
    assert "chown screening:screening /var/lib/screening /data" in DOCKERFILE.read_text(), (
        "the image's user must own the volume's mount point"
    )


def test_worker_settings_are_valid() -> None:
    from streams.settings import Settings

    env = {k: v for k, v in environment(service("worker")).items() if not v.startswith("${")}
    settings = Settings.from_env(env)
    assert settings.web_port == 6066
    assert settings.bootstrap_servers == "kafka:9092"


def test_compose_top_level_keys_are_compose_spec_keys() -> None:
    spec_keys = {"services", "networks", "volumes", "configs", "secrets", "include", "name"}
    unknown = [k for k in compose() if k not in spec_keys and not k.startswith("x-")]
    assert unknown == []
    for name, volume in (compose().get("volumes") or {}).items():
        assert volume is None or isinstance(volume, dict), name


# --- Dockerfile and .dockerignore ---------------------------------------------------------


def test_dockerfile_exists_with_screening_entrypoint() -> None:
    assert DOCKERFILE.is_file()
    (entrypoint,) = instruction("ENTRYPOINT")
    assert json.loads(entrypoint) == ["screening"]
    (cmd,) = instruction("CMD")
    assert json.loads(cmd) == ["worker"]


def test_dockerfile_base_install_user_port_and_healthcheck() -> None:
    froms = instruction("FROM")
    assert froms[-1].split()[0] == "python:3.11-slim"
    runs = " ".join(instruction("RUN"))
    assert re.search(r"pip install (--no-deps )?-e \.", runs), "schemas/ is read from the tree"
    users = instruction("USER")
    assert users and users[-1] not in ("root", "0"), "the worker must not run as root"
    assert instruction("EXPOSE") == ["6066"]
    (healthcheck,) = instruction("HEALTHCHECK")
    assert "urllib" in healthcheck and "127.0.0.1" in healthcheck and "/metrics" in healthcheck


def test_dockerfile_copies_the_repository_to_app() -> None:
    assert any(args.split()[-1] in ("/app", "/app/", ".") for args in instruction("COPY"))
    assert instruction("WORKDIR")[-1] == "/app"


def test_dockerignore_keeps_local_state_out_of_the_image() -> None:
    patterns = {line.strip() for line in DOCKERIGNORE.read_text().splitlines()}
    assert {".git", ".venv"} <= patterns
    assert any("__pycache__" in p for p in patterns)
    assert {".pytest_cache", ".mypy_cache", ".ruff_cache"} <= patterns
    # pip install needs these from the build context.
    for needed in ("pyproject.toml", "README.md", "streams", "schemas"):
        assert needed not in patterns
