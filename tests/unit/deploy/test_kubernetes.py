"""deploy/kubernetes/: the core kinds validate against the Kubernetes OpenAPI schemas that
kubernetes-validate bundles (strict: unknown fields fail); the ServiceMonitor,
PrometheusRule and Kustomization are checked structurally; and the pieces agree with each
other and with the worker's settings.

`python -m tests.unit.deploy.test_kubernetes` rewrites prometheusrule.yaml from
deploy/prometheus/alerts.yml."""

from __future__ import annotations

import copy
from functools import cache
from pathlib import Path
from typing import Any

import kubernetes_validate
import pytest
import yaml

from streams.settings import Settings, SettingsError

ROOT = Path(__file__).resolve().parents[3]
K8S = ROOT / "deploy" / "kubernetes"
ALERTS = ROOT / "deploy" / "prometheus" / "alerts.yml"
CRD_KINDS = {"ServiceMonitor", "PrometheusRule"}
NAMESPACE = "screening"
# The newest Kubernetes release whose schemas the installed kubernetes-validate bundles.
K8S_VERSION = kubernetes_validate.latest_version()


@cache
def documents() -> tuple[tuple[str, dict[str, Any]], ...]:
    """(file name, document) of every manifest but the kustomization."""
    found = []
    for path in sorted(K8S.glob("*.yaml")):
        if path.name == "kustomization.yaml":
            continue
        for doc in yaml.safe_load_all(path.read_text()):
            if doc:
                found.append((path.name, doc))
    return tuple(found)


def one(kind: str, app: str = "screening-worker") -> dict[str, Any]:
    """The one manifest of `kind` for `app` (its app.kubernetes.io/name label; shared
    manifests such as the Namespace carry none)."""
    (doc,) = [
        d
        for _, d in documents()
        if d["kind"] == kind
        and d["metadata"].get("labels", {}).get("app.kubernetes.io/name", app) == app
    ]
    return doc


def container() -> dict[str, Any]:
    (worker,) = one("StatefulSet")["spec"]["template"]["spec"]["containers"]
    return worker


CONSOLE = "screening-console"


def console_container() -> dict[str, Any]:
    (console,) = one("Deployment", CONSOLE)["spec"]["template"]["spec"]["containers"]
    return console


def validate(doc: dict[str, Any]) -> None:
    kubernetes_validate.validate(doc, K8S_VERSION, strict=True)


@pytest.mark.parametrize(
    "doc",
    [d for _, d in documents() if d["kind"] not in CRD_KINDS],
    ids=lambda d: f"{d['kind']}/{d['metadata']['name']}",
)
def test_core_manifests_validate_against_the_kubernetes_schemas(doc: dict[str, Any]) -> None:
    validate(doc)


def test_the_schema_check_catches_mistakes() -> None:
    """Strict validation rejects a misspelt field and a wrong type."""
    misspelt = copy.deepcopy(one("StatefulSet"))
    misspelt["spec"]["template"]["spec"]["containers"][0]["livenesProbe"] = {}
    with pytest.raises(kubernetes_validate.ValidationError):
        validate(misspelt)
    wrong_type = copy.deepcopy(one("StatefulSet"))
    wrong_type["spec"]["replicas"] = "three"
    with pytest.raises(kubernetes_validate.ValidationError):
        validate(wrong_type)


def test_every_manifest_is_in_the_namespace_and_the_kustomization() -> None:
    kinds = {d["kind"] for _, d in documents()}
    assert {
        "Namespace",
        "ConfigMap",
        "Secret",
        "StatefulSet",
        "Service",
        "PodDisruptionBudget",
        "ServiceMonitor",
        "PrometheusRule",
    } <= kinds
    for _, doc in documents():
        if doc["kind"] == "Namespace":
            assert doc["metadata"]["name"] == NAMESPACE
        else:
            assert doc["metadata"]["namespace"] == NAMESPACE, doc["kind"]
    kustomization = yaml.safe_load((K8S / "kustomization.yaml").read_text())
    assert kustomization["kind"] == "Kustomization"
    assert kustomization["namespace"] == NAMESPACE
    assert sorted(kustomization["resources"]) == sorted({name for name, _ in documents()})


def test_workers_keep_the_table_store_on_a_volume() -> None:
    statefulset = one("StatefulSet")
    data_dir = one("ConfigMap")["data"]["SCREENING_DATA_DIR"]
    (claim,) = statefulset["spec"]["volumeClaimTemplates"]
    mounts = {m["name"]: m["mountPath"] for m in container()["volumeMounts"]}
    assert mounts[claim["metadata"]["name"]] == data_dir
    assert claim["spec"]["resources"]["requests"]["storage"]


def test_configuration_and_secrets_reach_the_worker() -> None:
    refs = container()["envFrom"]
    assert {"configMapRef": {"name": one("ConfigMap")["metadata"]["name"]}} in refs
    assert {"secretRef": {"name": one("Secret")["metadata"]["name"]}} in refs
    assert container()["args"][0] == "worker"


def test_the_configmap_is_valid_worker_settings() -> None:
    env = dict(one("ConfigMap")["data"])
    settings = Settings.from_env({**env, "SCREENING_COALITION_KEY": "k" * 32})
    assert settings.web_port == 6066
    assert str(settings.data_dir) == env["SCREENING_DATA_DIR"]
    assert settings.security_protocol == env["KAFKA_SECURITY_PROTOCOL"]


def test_the_secret_holds_only_placeholders_that_stop_a_worker() -> None:
    secret = one("Secret")
    values = secret["stringData"]
    assert values["KAFKA_SASL_PASSWORD"] == "CHANGE-ME"
    assert values["SCREENING_COALITION_KEY"] == "CHANGE-ME"
    # A worker refuses a placeholder coalition key rather than hash with a published one.
    env = {**one("ConfigMap")["data"], **values}
    with pytest.raises(SettingsError, match="SCREENING_COALITION_KEY"):
        Settings.from_env(env)


def test_probes_read_metrics_on_port_6066() -> None:
    worker = container()
    (port,) = worker["ports"]
    assert port["containerPort"] == 6066 and port["name"] == "metrics"
    assert str(port["containerPort"]) == one("ConfigMap")["data"]["SCREENING_WEB_PORT"]
    for probe in ("livenessProbe", "readinessProbe", "startupProbe"):
        http = worker[probe]["httpGet"]
        assert http["path"] == "/metrics" and http["port"] in ("metrics", 6066), probe


def test_resources_are_requested_and_limited() -> None:
    resources = container()["resources"]
    for section in ("requests", "limits"):
        assert {"cpu", "memory"} <= set(resources[section]), section


def test_the_worker_runs_unprivileged() -> None:
    pod = one("StatefulSet")["spec"]["template"]["spec"]
    assert pod["securityContext"]["runAsNonRoot"] is True
    assert pod["securityContext"]["runAsUser"] == 10001, "the image's user (Dockerfile)"
    assert container()["securityContext"]["allowPrivilegeEscalation"] is False


def test_pods_are_annotated_for_scraping() -> None:
    annotations = one("StatefulSet")["spec"]["template"]["metadata"]["annotations"]
    assert annotations == {
        "prometheus.io/scrape": "true",
        "prometheus.io/port": "6066",
        "prometheus.io/path": "/metrics",
    }


def test_headless_service_pdb_and_servicemonitor_select_the_workers() -> None:
    pod_labels = one("StatefulSet")["spec"]["template"]["metadata"]["labels"]
    service = one("Service")
    assert service["spec"]["clusterIP"] == "None"
    assert one("StatefulSet")["spec"]["serviceName"] == service["metadata"]["name"]
    assert one("StatefulSet")["spec"]["selector"]["matchLabels"].items() <= pod_labels.items()
    assert service["spec"]["selector"].items() <= pod_labels.items()
    pdb = one("PodDisruptionBudget")
    assert pdb["spec"]["selector"]["matchLabels"].items() <= pod_labels.items()
    assert pdb["spec"].get("maxUnavailable") == 1 or pdb["spec"].get("minAvailable")

    monitor = one("ServiceMonitor")
    assert monitor["apiVersion"] == "monitoring.coreos.com/v1"
    assert (
        monitor["spec"]["selector"]["matchLabels"].items() <= service["metadata"]["labels"].items()
    )
    assert monitor["spec"]["namespaceSelector"]["matchNames"] == [NAMESPACE]
    service_ports = {p["name"] for p in service["spec"]["ports"]}
    for endpoint in monitor["spec"]["endpoints"]:
        assert endpoint["port"] in service_ports
        assert endpoint["path"] == "/metrics"
    # The Operator names the job after the Service: the rules select job="screening-worker".
    assert service["metadata"]["name"] == "screening-worker"
    assert "jobLabel" not in monitor["spec"]


def test_the_console_runs_once_with_its_database_on_a_volume() -> None:
    deployment = one("Deployment", CONSOLE)
    assert deployment["spec"]["replicas"] == 1
    assert deployment["spec"]["strategy"]["type"] == "Recreate", "one process on the file"
    console = console_container()
    assert console["args"] == ["console", "--listen", "0.0.0.0:8080"]
    env = {e["name"]: e["value"] for e in console["env"]}
    database = env["SCREENING_CONSOLE_DB"]
    assert database.startswith("sqlite:////")
    mounts = {m["name"]: m["mountPath"] for m in console["volumeMounts"]}
    volumes = {v["name"]: v for v in deployment["spec"]["template"]["spec"]["volumes"]}
    (data,) = [
        n
        for n, path in mounts.items()
        if database.removeprefix("sqlite:///").startswith(path + "/")
    ]
    claim = volumes[data]["persistentVolumeClaim"]["claimName"]
    assert one("PersistentVolumeClaim", CONSOLE)["metadata"]["name"] == claim


def test_the_console_uses_its_own_kafka_principal() -> None:
    refs = console_container()["envFrom"]
    assert {"configMapRef": {"name": one("ConfigMap")["metadata"]["name"]}} in refs
    secret = one("Secret", CONSOLE)
    assert {"secretRef": {"name": secret["metadata"]["name"]}} in refs
    assert {"secretRef": {"name": one("Secret")["metadata"]["name"]}} not in refs
    assert secret["stringData"]["KAFKA_SASL_USERNAME"] == "console"
    assert secret["stringData"]["KAFKA_SASL_PASSWORD"] == "CHANGE-ME"


def test_the_console_runs_unprivileged_and_is_probed_on_its_port() -> None:
    pod = one("Deployment", CONSOLE)["spec"]["template"]["spec"]
    assert pod["securityContext"]["runAsNonRoot"] is True
    assert pod["securityContext"]["runAsUser"] == 10001, "the image's user (Dockerfile)"
    console = console_container()
    assert console["securityContext"]["allowPrivilegeEscalation"] is False
    (port,) = console["ports"]
    assert port["containerPort"] == 8080
    assert console["readinessProbe"]["httpGet"]["path"] == "/healthz"
    for probe in ("livenessProbe", "readinessProbe", "startupProbe"):
        assert console[probe]["httpGet"]["port"] in (port["name"], 8080), probe


def test_the_console_is_scraped_as_job_screening_console() -> None:
    pod = one("Deployment", CONSOLE)["spec"]["template"]["metadata"]
    assert pod["annotations"]["prometheus.io/port"] == "8080"
    service = one("Service", CONSOLE)
    assert service["metadata"]["name"] == CONSOLE, "the Operator's job label"
    assert service["spec"]["selector"].items() <= pod["labels"].items()
    monitor = one("ServiceMonitor", CONSOLE)
    assert (
        monitor["spec"]["selector"]["matchLabels"].items() <= service["metadata"]["labels"].items()
    )
    ports = {p["name"] for p in service["spec"]["ports"]}
    assert [e["port"] for e in monitor["spec"]["endpoints"]] == [p for p in ports]
    assert [e["path"] for e in monitor["spec"]["endpoints"]] == ["/metrics"]


def render_prometheus_rule() -> str:
    """prometheusrule.yaml as generated from deploy/prometheus/alerts.yml."""
    groups = yaml.safe_load(ALERTS.read_text())["groups"]
    document = {
        "apiVersion": "monitoring.coreos.com/v1",
        "kind": "PrometheusRule",
        "metadata": {
            "name": "screening-worker",
            "namespace": NAMESPACE,
            "labels": {
                "app.kubernetes.io/name": "screening-worker",
                "app.kubernetes.io/part-of": "coalition-screening",
                "release": "kube-prometheus-stack",
            },
        },
        "spec": {"groups": groups},
    }
    header = (
        "# The alert rules of deploy/prometheus/alerts.yml for the Prometheus Operator,\n"
        "# generated: `.venv/bin/python -m tests.unit.deploy.test_kubernetes` rewrites it, and\n"
        "# tests/unit/deploy/test_kubernetes.py fails when the two drift apart.\n"
    )
    return header + yaml.safe_dump(document, sort_keys=False, width=100, allow_unicode=True)


def test_prometheus_rule_carries_the_alert_rules() -> None:
    rule = one("PrometheusRule")
    assert rule["apiVersion"] == "monitoring.coreos.com/v1"
    assert rule["spec"]["groups"] == yaml.safe_load(ALERTS.read_text())["groups"], (
        "prometheusrule.yaml drifted from alerts.yml: run "
        "`.venv/bin/python -m tests.unit.deploy.test_kubernetes`"
    )
    assert (
        rule["metadata"]["labels"]["release"]
        == one("ServiceMonitor")["metadata"]["labels"]["release"]
    )


def test_the_readme_explains_scaling_with_partitions() -> None:
    text = (K8S / "README.md").read_text()
    assert "Scaling with partitions" in text
    for name, _ in documents():
        assert f"`{name}`" in text, f"README.md does not mention {name}"


if __name__ == "__main__":
    (K8S / "prometheusrule.yaml").write_text(render_prometheus_rule())
