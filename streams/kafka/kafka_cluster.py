"""Apache Kafka in KRaft combined mode, one JVM per node, for `screening broker --engine
kafka`, the tests and the benchmarks: formats each node's storage once, starts the nodes,
waits until every broker has registered, and restarts a node whose process died."""

from __future__ import annotations

import base64
import os
import re
import shutil
import subprocess
import tempfile
import time
import uuid
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

from streams.kafka.broker_error import BrokerError
from streams.kafka.broker_profile import replication_factor
from streams.kafka.child_process import die_with_parent, terminate
from streams.kafka.embedded_broker import free_port
from streams.kafka.kafka_runtime import LOG4J_CONFIG, kafka_classpath, require_java_and_maven

CLUSTER_ID_FILE = "cluster.id"
# Per node; three nodes and a worker fit a 2-core, few-GiB machine.
DEFAULT_HEAP = "512m"


def min_insync_replicas(brokers: int) -> int:
    """Replicas that must have a write before acks=all answers: 2 of 3, else all."""
    return min(2, brokers)


@dataclass(frozen=True)
class KafkaNode:
    """One combined broker-and-controller: its client port, controller port and files."""

    node_id: int
    host: str
    port: int
    controller_port: int
    directory: Path

    @property
    def address(self) -> str:
        """`host:port` of its client listener."""
        return f"{self.host}:{self.port}"

    @property
    def properties_file(self) -> Path:
        return self.directory / "server.properties"

    @property
    def log_file(self) -> Path:
        """The JVM's standard output and error (Kafka's warnings and errors)."""
        return self.directory / "kafka.log"


def node_properties(
    node: KafkaNode, nodes: list[KafkaNode], client_listener: Mapping[str, str] | None = None
) -> dict[str, str]:
    """`server.properties` of `node` in a cluster of `nodes`. `client_listener` overrides
    the client listener's security (the secure profile); plain text otherwise."""
    brokers = len(nodes)
    replicas, in_sync = str(replication_factor(brokers)), str(min_insync_replicas(brokers))
    properties = {
        "process.roles": "broker,controller",
        "node.id": str(node.node_id),
        "controller.quorum.voters": ",".join(
            f"{n.node_id}@{n.host}:{n.controller_port}" for n in nodes
        ),
        "listeners": f"CLIENT://{node.address},CONTROLLER://{node.host}:{node.controller_port}",
        "advertised.listeners": f"CLIENT://{node.address}",
        "controller.listener.names": "CONTROLLER",
        "inter.broker.listener.name": "CLIENT",
        "listener.security.protocol.map": "CLIENT:PLAINTEXT,CONTROLLER:PLAINTEXT",
        "log.dirs": str(node.directory / "log"),
        "num.partitions": "1",
        "default.replication.factor": replicas,
        "min.insync.replicas": in_sync,
        "offsets.topic.replication.factor": replicas,
        "transaction.state.log.replication.factor": replicas,
        "transaction.state.log.min.isr": in_sync,
        "share.coordinator.state.topic.replication.factor": replicas,
        "share.coordinator.state.topic.min.isr": in_sync,
        # A lone consumer (a worker, a test) joins at once instead of waiting 3 s for
        # others; groups of several still settle through their own rebalance protocol.
        "group.initial.rebalance.delay.ms": "0",
    }
    if brokers > 1:
        # Leaders move off a dead broker once the controller fences it: Kafka's 9 s
        # session makes that most of the pause in decisions. The fault test's longest gap
        # after each kill, four runs at the default: 7.9/1.1, 7.4/5.2, 7.1/8.0, 4.9/8.5 s;
        # five at 3 s: 3.2/2.6, 4.8/1.0, 4.2/4.0, 5.1/3.6, 5.7/4.1 s. A live broker fenced
        # by mistake only moves its leaders (acks=all, two in sync). A lone node has no
        # other replica to lead, so it keeps the default.
        properties["broker.session.timeout.ms"] = "3000"
        properties["broker.heartbeat.interval.ms"] = "1000"
    properties.update(client_listener or {})
    return properties


def write_properties(path: Path, properties: Mapping[str, str]) -> None:
    """A Java properties file (values here never need escaping beyond backslashes), mode
    600: the secure profile's holds the brokers' own password."""
    lines = [f"{key}={value.replace(chr(92), chr(92) * 2)}" for key, value in properties.items()]
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w") as out:
        out.write("\n".join(lines) + "\n")
    path.chmod(0o600)


class KafkaCluster:
    """`nodes` Kafka nodes on `port`, `port+1`, ... of `host` (controllers on free ports of
    their own), storage under `data_dir` (a temporary directory removed on stop when
    None). A context manager; `restart_dead()` is the supervisor's step."""

    def __init__(
        self,
        host: str = "127.0.0.1",
        port: int | None = None,
        nodes: int = 1,
        data_dir: Path | None = None,
        progress: Callable[[str], None] = lambda _line: None,
        heap: str = DEFAULT_HEAP,
        client_listener: Mapping[str, str] | None = None,
        client_config: Mapping[str, str] | None = None,
        format_arguments: Sequence[str] = (),
    ) -> None:
        if nodes < 1:
            raise BrokerError(f"--nodes {nodes}: a cluster needs at least one node")
        self.host = host
        self.port = port or free_port(host)
        self.node_count = nodes
        self.data_dir = data_dir
        self.progress = progress
        self.heap = heap
        self.client_listener = dict(client_listener or {})
        # What a client needs beyond bootstrap.servers to reach the cluster (secure profile).
        self.client_config = dict(client_config or {})
        # Extra StorageTool `format` arguments (the secure profile's SCRAM credentials).
        self.format_arguments = list(format_arguments)
        self.nodes: list[KafkaNode] = []
        self.processes: dict[int, subprocess.Popen[bytes]] = {}
        self._temporary = data_dir is None
        self._command: dict[int, list[str]] = {}

    @property
    def bootstrap_servers(self) -> str:
        """Every node's client address, comma-separated."""
        return ",".join(f"{self.host}:{self.port + i}" for i in range(self.node_count))

    def pids(self) -> dict[int, int]:
        """Node id -> pid of its running JVM."""
        return {node_id: p.pid for node_id, p in self.processes.items() if p.poll() is None}

    def start(self, timeout_s: float = 90.0) -> KafkaCluster:
        """Format what is not formatted yet, start every node and wait until all brokers
        have registered; BrokerError (and nothing left running) otherwise."""
        java, _mvn = require_java_and_maven()
        classpath = kafka_classpath(self.progress)
        root = self.data_dir or Path(tempfile.mkdtemp(prefix="screening-kafka-"))
        self.data_dir = root
        root.mkdir(parents=True, exist_ok=True)
        self.nodes = [
            KafkaNode(i + 1, self.host, self.port + i, free_port(self.host), root / f"node-{i + 1}")
            for i in range(self.node_count)
        ]
        cluster_id = self._cluster_id()
        try:
            for node in self.nodes:
                node.directory.mkdir(parents=True, exist_ok=True)
                write_properties(
                    node.properties_file, node_properties(node, self.nodes, self.client_listener)
                )
                if not (node.directory / "log" / "meta.properties").exists():
                    self._format(java, classpath, node, cluster_id)
                self._command[node.node_id] = [
                    java,
                    f"-Xmx{self.heap}",
                    f"-Xms{self.heap}",
                    "-XX:+UseG1GC",
                    "-XX:MaxGCPauseMillis=20",
                    "-Djava.awt.headless=true",
                    f"-Dlog4j2.configurationFile={LOG4J_CONFIG}",
                    "-cp",
                    classpath,
                    "kafka.Kafka",
                    str(node.properties_file),
                ]
                self._launch(node)
            self._wait_ready(timeout_s)
        except BaseException:
            self.stop()
            raise
        return self

    def restart_dead(self) -> list[tuple[KafkaNode, int | None, int]]:
        """Start again, on the same ports and data, every node whose JVM has exited;
        returns (node, its exit code, new pid) for each."""
        restarted = []
        for node in self.nodes:
            process = self.processes.get(node.node_id)
            if process is not None and process.poll() is not None:
                code = process.returncode
                self._launch(node)
                restarted.append((node, code, self.processes[node.node_id].pid))
        return restarted

    def kill(self, node_id: int) -> None:
        """SIGKILL one node's JVM (the fault tests' broker loss)."""
        process = self.processes[node_id]
        process.kill()
        process.wait()

    def stop(self) -> None:
        """Stop every node (SIGTERM, SIGKILL after 20 s); remove a temporary data dir."""
        for process in self.processes.values():
            if process.poll() is None:
                process.terminate()
        for process in self.processes.values():
            terminate(process, timeout_s=20)
        self.processes.clear()
        if self._temporary and self.data_dir is not None:
            shutil.rmtree(self.data_dir, ignore_errors=True)
            self.data_dir = None

    def __enter__(self) -> KafkaCluster:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    def _cluster_id(self) -> str:
        assert self.data_dir is not None
        stored = self.data_dir / CLUSTER_ID_FILE
        if stored.exists():
            return stored.read_text().strip()
        # Kafka wants a base64 UUID (what `kafka-storage.sh random-uuid` prints); like
        # Kafka's own, never one starting with "-", which the storage tool would take for
        # an option (one id in 64).
        cluster_id = "-"
        while cluster_id.startswith("-"):
            cluster_id = base64.urlsafe_b64encode(uuid.uuid4().bytes).decode().rstrip("=")
        stored.write_text(cluster_id + "\n")
        return cluster_id

    def _format(self, java: str, classpath: str, node: KafkaNode, cluster_id: str) -> None:
        result = subprocess.run(
            [
                java,
                f"-Dlog4j2.configurationFile={LOG4J_CONFIG}",
                "-cp",
                classpath,
                "kafka.tools.StorageTool",
                "format",
                "--cluster-id",
                cluster_id,
                "--config",
                str(node.properties_file),
                "--ignore-formatted",
                *self.format_arguments,
            ],
            capture_output=True,
            text=True,
            check=False,
        )
        if result.returncode != 0:
            detail = " ".join((result.stderr.strip() or result.stdout.strip()).splitlines()[-1:])
            # The secure profile's SCRAM arguments carry passwords; an error may echo them.
            detail = re.sub(r"password=[^,\]\s]*", "password=***", detail)
            raise BrokerError(f"formatting node {node.node_id} failed: {detail}")

    def _launch(self, node: KafkaNode) -> None:
        with node.log_file.open("ab") as log:
            self.processes[node.node_id] = subprocess.Popen(
                self._command[node.node_id],
                stdout=log,
                stderr=subprocess.STDOUT,
                stdin=subprocess.DEVNULL,
                start_new_session=True,
                preexec_fn=die_with_parent,
            )

    def _wait_ready(self, timeout_s: float) -> None:
        from confluent_kafka import KafkaException
        from confluent_kafka.admin import AdminClient

        admin = AdminClient(
            {"bootstrap.servers": self.bootstrap_servers, **self.client_config, "log_level": 0}
        )
        deadline = time.monotonic() + timeout_s
        while True:
            for node in self.nodes:
                process = self.processes[node.node_id]
                if process.poll() is not None:
                    raise BrokerError(
                        f"Kafka node {node.node_id} exited with code {process.returncode}: "
                        f"{last_error_line(node.log_file)}"
                    )
            try:
                if len(admin.list_topics(timeout=2).brokers) == self.node_count:
                    return
            except KafkaException:
                pass
            if time.monotonic() >= deadline:
                raise BrokerError(
                    f"Kafka did not register {self.node_count} broker(s) on "
                    f"{self.bootstrap_servers} within {timeout_s:.0f}s (logs: {self.data_dir})"
                )
            time.sleep(0.5)


def last_error_line(log_file: Path) -> str:
    """The last ERROR (else last) line of a node's log, for a one-line failure message."""
    try:
        lines = log_file.read_text(errors="replace").splitlines()
    except OSError:
        return "no log"
    errors = [line for line in lines if " ERROR " in line or "Exception" in line]
    return (errors or lines or ["no output"])[-1].strip()
