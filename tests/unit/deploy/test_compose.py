"""The monitoring half of docker-compose.yml: Prometheus and Grafana provisioned from
deploy/, finding every scaled worker. The whole file is also validated against the Compose
Specification's JSON Schema (tests/unit/deploy/data/compose_spec.json, the copy Debian's
docker-compose 1.29 ships, Apache-2.0), and by `docker-compose config` when installed."""

from __future__ import annotations

import shutil
from pathlib import Path
from typing import Any

import pytest
import yaml

from tests.unit.deploy.compose_file import (
    compose_validator,
    docker_compose_config,
    environment,
    schema_errors,
)
from tests.unit.deploy.deploy_files import COMPOSE, ROOT, compose, service

PROMETHEUS_YML = ROOT / "deploy" / "prometheus" / "prometheus.yml"
PROMETHEUS_K8S_YML = ROOT / "deploy" / "prometheus" / "prometheus-kubernetes.yml"
GRAFANA = ROOT / "deploy" / "grafana"


def mounts(svc: dict[str, Any]) -> dict[str, str]:
    """Container path -> host path (resolved) of a service's bind mounts."""
    found: dict[str, str] = {}
    for volume in svc.get("volumes", []):
        source, target = volume.split(":")[:2]
        if source.startswith((".", "/")):
            found[target] = str((COMPOSE.parent / source).resolve())
    return found


def flags(svc: dict[str, Any]) -> dict[str, str]:
    """--name=value command-line flags of a service."""
    return dict(arg.lstrip("-").split("=", 1) for arg in svc["command"] if "=" in arg)


def prometheus_config() -> dict[str, Any]:
    loaded: dict[str, Any] = yaml.safe_load(PROMETHEUS_YML.read_text())
    return loaded


def scrape_job(config: dict[str, Any], name: str) -> dict[str, Any]:
    (job,) = [j for j in config["scrape_configs"] if j["job_name"] == name]
    return job


def test_compose_file_matches_the_compose_specification() -> None:
    errors = schema_errors(compose())
    assert errors == []


def test_the_schema_check_catches_a_bad_service() -> None:
    broken = {"services": {"grafana": {"image": "grafana/grafana", "helthcheck": {}}}}
    assert not compose_validator().is_valid(broken)


@pytest.mark.skipif(shutil.which("docker-compose") is None, reason="docker-compose not installed")
def test_docker_compose_config_accepts_the_file() -> None:
    result = docker_compose_config(COMPOSE, ROOT)
    assert result.returncode == 0, result.stderr


def test_compose_runs_prometheus_and_grafana_from_pinned_images() -> None:
    for name, image in (("prometheus", "prom/prometheus:"), ("grafana", "grafana/grafana:")):
        svc = service(name)
        assert svc["image"].startswith(image)
        assert not svc["image"].endswith(":latest"), f"{name} must pin its image"
        check = svc["healthcheck"]
        assert check["test"] and not check.get("disable", False)
        assert svc.get("restart") == "unless-stopped"
    assert service("grafana")["depends_on"]["prometheus"]["condition"] == "service_healthy"


def test_monitoring_ports_are_published_on_loopback_only() -> None:
    for name, port in (("prometheus", 9090), ("grafana", 3000)):
        assert service(name)["ports"] == [f"127.0.0.1:{port}:{port}"]


def test_prometheus_is_provisioned_from_deploy() -> None:
    prometheus = service("prometheus")
    mounted = mounts(prometheus)
    assert mounted["/etc/prometheus"] == str(PROMETHEUS_YML.parent)
    assert flags(prometheus)["config.file"] == "/etc/prometheus/prometheus.yml"
    assert any(v.split(":")[1] == "/prometheus" for v in prometheus["volumes"]), "keeps its TSDB"
    config = prometheus_config()
    for rule_file in config["rule_files"]:
        assert (PROMETHEUS_YML.parent / rule_file).is_file(), rule_file


def test_prometheus_discovers_every_scaled_worker() -> None:
    """DNS service discovery on the compose service name: `--scale worker=N` adds N
    targets without configuration changes."""
    job = scrape_job(prometheus_config(), "screening-worker")
    (sd,) = job["dns_sd_configs"]
    assert sd["names"] == ["worker"] and "worker" in compose()["services"]
    assert sd["type"] == "A"
    worker = service("worker")
    assert str(sd["port"]) == environment(worker)["SCREENING_WEB_PORT"]
    assert str(sd["port"]) in [str(p) for p in worker["expose"]]
    assert job.get("metrics_path", "/metrics") == "/metrics"
    assert "static_configs" not in job, "a fixed target list breaks scaling"


def test_kubernetes_scrape_config_keeps_the_job_label() -> None:
    config = yaml.safe_load(PROMETHEUS_K8S_YML.read_text())
    (job,) = [j for j in config["scrape_configs"] if j["job_name"] == "screening-worker-pods"]
    assert job["kubernetes_sd_configs"][0]["role"] == "pod"
    relabel = job["relabel_configs"]
    assert {"target_label": "job", "replacement": "screening-worker"} in relabel
    annotations = {
        label
        for rule in relabel
        for label in rule.get("source_labels", [])
        if "annotation" in label
    }
    assert annotations == {
        "__meta_kubernetes_pod_annotation_prometheus_io_scrape",
        "__meta_kubernetes_pod_annotation_prometheus_io_path",
        "__meta_kubernetes_pod_annotation_prometheus_io_port",
    }
    assert config["rule_files"] == ["alerts.yml"]


def test_both_scrape_configs_find_the_console_as_job_screening_console() -> None:
    kubernetes = yaml.safe_load(PROMETHEUS_K8S_YML.read_text())["scrape_configs"]
    (pods,) = [j for j in kubernetes if j["job_name"] == "screening-console-pods"]
    relabel = pods["relabel_configs"]
    assert {"target_label": "job", "replacement": "screening-console"} in relabel
    keep = [r for r in relabel if r.get("action") == "keep" and "app_kubernetes_io_name" in str(r)]
    assert [r["regex"] for r in keep] == ["screening-console"]
    compose_jobs = yaml.safe_load(PROMETHEUS_YML.read_text())["scrape_configs"]
    (console,) = [j for j in compose_jobs if j["job_name"] == "screening-console"]
    assert console["static_configs"] == [{"targets": ["console:8080"]}]
    assert console["metrics_path"] == "/metrics"


def test_grafana_is_provisioned_with_the_datasource_and_dashboards() -> None:
    grafana = service("grafana")
    mounted = mounts(grafana)
    assert mounted["/etc/grafana/provisioning"] == str(GRAFANA / "provisioning")
    dashboards_in_container = [
        target for target, source in mounted.items() if source == str(GRAFANA / "dashboards")
    ]
    assert len(dashboards_in_container) == 1

    provider = yaml.safe_load((GRAFANA / "provisioning/dashboards/screening.yml").read_text())
    (entry,) = provider["providers"]
    assert entry["type"] == "file"
    assert entry["options"]["path"] == dashboards_in_container[0]
    home = environment(grafana)["GF_DASHBOARDS_DEFAULT_HOME_DASHBOARD_PATH"]
    assert home.startswith(dashboards_in_container[0] + "/")
    assert (GRAFANA / "dashboards" / Path(home).name).is_file()

    datasources = yaml.safe_load((GRAFANA / "provisioning/datasources/prometheus.yml").read_text())
    (source,) = datasources["datasources"]
    assert source["type"] == "prometheus" and source["isDefault"] is True
    assert source["url"] == "http://prometheus:9090", "the compose service name and port"
    scrape = prometheus_config()["global"]["scrape_interval"]
    assert source["jsonData"]["timeInterval"] == scrape, "$__rate_interval follows the scrape"


def test_grafana_admin_password_is_not_hard_coded() -> None:
    env = environment(service("grafana"))
    assert env["GF_SECURITY_ADMIN_PASSWORD"].startswith("${GRAFANA_ADMIN_PASSWORD")
    assert env["GF_AUTH_ANONYMOUS_ORG_ROLE"] == "Viewer"


def test_monitoring_state_lives_in_named_volumes() -> None:
    volumes = compose()["volumes"]
    assert {"prometheus-data", "grafana-data"} <= set(volumes)
