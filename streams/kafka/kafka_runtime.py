"""Apache Kafka's jars for `screening broker --engine kafka`: the release pinned in
`kafka_dist/pom.xml`, copied by Maven into a local cache on first use and reused after."""

from __future__ import annotations

import hashlib
import os
import shutil
import subprocess
import xml.etree.ElementTree as ElementTree
from collections.abc import Callable
from pathlib import Path

from streams.kafka.broker_error import BrokerError

DIST_DIR = Path(__file__).with_name("kafka_dist")
POM = DIST_DIR / "pom.xml"
LOG4J_CONFIG = DIST_DIR / "log4j2.properties"
# Where the jars go (default ~/.cache/screening/kafka): one directory per POM content.
CACHE_ENV = "SCREENING_KAFKA_CACHE"
_COMPLETE = ".complete"
_POM_NS = {"m": "http://maven.apache.org/POM/4.0.0"}


def kafka_version(pom: Path = POM) -> str:
    """The Apache Kafka version the POM pins."""
    node = ElementTree.parse(pom).getroot().find("m:properties/m:kafka.version", _POM_NS)
    if node is None or not (node.text or "").strip():
        raise BrokerError(f"{pom} pins no kafka.version")
    return (node.text or "").strip()


def require_java_and_maven() -> tuple[str, str]:
    """Paths of `java` and `mvn`; BrokerError naming what to install otherwise."""
    java, mvn = shutil.which("java"), shutil.which("mvn")
    missing = [name for name, path in (("java (17+)", java), ("mvn", mvn)) if path is None]
    if java is None or mvn is None:
        raise BrokerError(
            f"--engine kafka needs {' and '.join(missing)} on PATH (Debian: apt-get install "
            "openjdk-17-jre-headless maven); --engine tansu runs without them"
        )
    return java, mvn


def cache_dir(env: dict[str, str] | None = None) -> Path:
    """The jar cache for this POM: `$SCREENING_KAFKA_CACHE` (default
    `~/.cache/screening/kafka`) / `<version>-<digest of the POM>`."""
    env = dict(os.environ) if env is None else env
    root = Path(env.get(CACHE_ENV) or Path.home() / ".cache" / "screening" / "kafka")
    digest = hashlib.sha256(POM.read_bytes()).hexdigest()[:12]
    return root / f"{kafka_version()}-{digest}"


def kafka_classpath(progress: Callable[[str], None] = lambda _line: None) -> str:
    """The class path of the pinned Kafka; fetches the jars with Maven the first time
    (announced through `progress`), needs no network after. BrokerError when Java or
    Maven is missing or Maven fails (the message quotes its last error line)."""
    require_java_and_maven()
    target = cache_dir()
    if not (target / _COMPLETE).exists():
        _fetch(target, progress)
    jars = sorted(target.glob("*.jar"))
    return os.pathsep.join(str(jar) for jar in jars)


def _fetch(target: Path, progress: Callable[[str], None]) -> None:
    _java, mvn = require_java_and_maven()
    progress(f"fetching Apache Kafka {kafka_version()} with Maven into {target} (first use only)")
    partial = target.with_name(f"{target.name}.partial-{os.getpid()}")
    shutil.rmtree(partial, ignore_errors=True)
    command = [
        mvn,
        "-q",
        "-B",
        "-f",
        str(POM),
        "dependency:copy-dependencies",
        f"-DoutputDirectory={partial}",
        "-Dmdep.includeScope=runtime",
    ]
    result = subprocess.run(command, capture_output=True, text=True, check=False)
    if result.returncode != 0:
        shutil.rmtree(partial, ignore_errors=True)
        lines = [ln for ln in (result.stdout + result.stderr).splitlines() if "ERROR" in ln]
        detail = (lines or ["exit code " + str(result.returncode)])[0].strip()
        raise BrokerError(f"Maven could not fetch Apache Kafka {kafka_version()}: {detail}")
    (partial / _COMPLETE).write_text(kafka_version() + "\n")
    target.parent.mkdir(parents=True, exist_ok=True)
    if target.exists() and not (target / _COMPLETE).exists():
        shutil.rmtree(target, ignore_errors=True)
    try:
        partial.rename(target)
    except OSError:
        # Another process filled the cache first; its copy is as good as ours.
        shutil.rmtree(partial, ignore_errors=True)
        if not (target / _COMPLETE).exists():
            raise
    progress(f"Apache Kafka {kafka_version()} cached ({len(list(target.glob('*.jar')))} jars)")
