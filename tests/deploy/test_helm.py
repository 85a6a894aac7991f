"""The Helm chart renders with Helm's own engine and every manifest is valid Kubernetes.

helm-python-sdk binds Helm 4's Go library (no helm binary, no cluster); kubernetes-validate
checks each manifest against the Kubernetes OpenAPI schemas, strictly (no unknown fields).
"""

from __future__ import annotations

from typing import Any

import pytest
import yaml

from tests.deploy.conftest import ROOT, need

CHART = ROOT / "deploy/helm/musicsync"
KUBE_VERSIONS = ["1.30.0", "1.37.0"]
# Custom resources whose schemas live with their operators, not in Kubernetes.
CUSTOM_KINDS = {
    ("keda.sh/v1alpha1", "ScaledObject"),
    ("monitoring.coreos.com/v1", "ServiceMonitor"),
}


def render(values: dict[str, Any] | None = None) -> list[dict[str, Any]]:
    helm = need("helm_python")
    chart = helm.Chart.load(str(CHART))
    manifests = chart.render(values or {}, name="sync", namespace="music", is_install=True)
    docs = []
    for path, text in sorted(manifests.items()):
        if path.endswith(".txt"):
            continue
        docs += [doc for doc in yaml.safe_load_all(text) if doc]
    return docs


def by_kind(docs, kind: str) -> list[dict[str, Any]]:
    return [doc for doc in docs if doc["kind"] == kind]


def named(docs, kind: str, suffix: str) -> dict[str, Any]:
    (doc,) = [d for d in by_kind(docs, kind) if d["metadata"]["name"].endswith(suffix)]
    return doc


def containers(deployment) -> list[dict[str, Any]]:
    spec = deployment["spec"]["template"]["spec"]
    return spec["containers"] + spec.get("initContainers", [])


EVERYTHING_ON = {
    "secrets": {"SECRET_KEY": "s", "DATABASE_URL": "postgres://x@db/x"},
    "web": {"autoscaling": {"enabled": True}},
    "metrics": {"serviceMonitor": {"enabled": True}},
    "ingress": {"tls": [{"secretName": "tls", "hosts": ["sync.example.com"]}]},
}


def test_the_chart_passes_helm_lint_in_strict_mode():
    helm = need("helm_python")
    report = helm.lint(str(CHART), strict=True)
    assert report["errors"] == []
    assert [m for m in report["messages"] if m["severity"] >= 2] == []


@pytest.mark.parametrize("kube_version", KUBE_VERSIONS)
@pytest.mark.parametrize(
    "values", [{}, EVERYTHING_ON, {"worker": {"keda": {"enabled": True, "redisAddress": "r:6379"}}}]
)
def test_every_rendered_manifest_is_valid_kubernetes(values, kube_version):
    validator = need("kubernetes_validate.utils")
    docs = render(values)
    assert docs
    for doc in docs:
        if (doc["apiVersion"], doc["kind"]) in CUSTOM_KINDS:
            assert doc["metadata"]["name"] and doc["spec"]
            continue
        validator.validate(doc, kube_version, strict=True)


def test_it_has_web_worker_and_scheduler_deployments_a_migration_job_service_and_ingress():
    docs = render()
    names = {doc["metadata"]["name"] for doc in by_kind(docs, "Deployment")}
    assert names == {"sync-musicsync-web", "sync-musicsync-worker", "sync-musicsync-scheduler"}
    job = named(docs, "Job", "-migrate-1")
    assert job["spec"]["template"]["spec"]["containers"][0]["command"][-2:] == [
        "migrate",
        "--noinput",
    ]
    assert named(docs, "Service", "sync-musicsync")["spec"]["ports"][0]["targetPort"] == "http"
    ingress = by_kind(docs, "Ingress")[0]
    assert ingress["spec"]["rules"][0]["host"] == "sync.example.com"


def test_pods_wait_for_migrations_before_they_start():
    docs = render()
    for deployment in by_kind(docs, "Deployment"):
        (init,) = deployment["spec"]["template"]["spec"]["initContainers"]
        assert "migrate --check" in " ".join(init["command"])


def test_the_web_is_probed_on_health_with_an_allowed_host():
    web = named(render(), "Deployment", "-web")
    container = web["spec"]["template"]["spec"]["containers"][0]
    paths = {}
    for probe in ("startupProbe", "readinessProbe", "livenessProbe"):
        http = container[probe]["httpGet"]
        paths[probe] = http["path"]
        assert {"name": "Host", "value": "sync.example.com"} in http["httpHeaders"]
    # Ready only while the stores are up; restarted only when the process itself is stuck.
    assert paths == {
        "startupProbe": "/health",
        "readinessProbe": "/health",
        "livenessProbe": "/health/live",
    }


def test_every_container_has_limits_and_runs_as_a_non_root_user_on_a_read_only_root():
    docs = render()
    for workload in by_kind(docs, "Deployment") + by_kind(docs, "Job"):
        pod = workload["spec"]["template"]["spec"]
        assert pod["securityContext"]["runAsNonRoot"] is True
        for container in containers(workload):
            assert container["resources"]["limits"]["memory"]
            assert container["resources"]["limits"]["cpu"]
            assert container["securityContext"]["readOnlyRootFilesystem"] is True
            assert container["securityContext"]["allowPrivilegeEscalation"] is False


def test_workers_scale_on_cpu_by_default():
    docs = render()
    (hpa,) = by_kind(docs, "HorizontalPodAutoscaler")
    assert hpa["spec"]["scaleTargetRef"]["name"] == "sync-musicsync-worker"
    assert hpa["spec"]["metrics"][0]["resource"]["name"] == "cpu"
    assert "replicas" not in named(docs, "Deployment", "-worker")["spec"]


def test_with_keda_workers_scale_on_the_depth_of_each_dramatiq_queue_instead():
    docs = render({"worker": {"keda": {"enabled": True, "redisAddress": "redis:6379"}}})
    assert by_kind(docs, "HorizontalPodAutoscaler") == []
    (scaled,) = by_kind(docs, "ScaledObject")
    lists = [t["metadata"]["listName"] for t in scaled["spec"]["triggers"]]
    assert lists == ["musicsync:default", "musicsync:sync"]


def test_keda_without_a_redis_address_fails_to_render_with_a_reason():
    helm = need("helm_python")
    with pytest.raises(helm.HelmError, match="redisAddress is required"):
        render({"worker": {"keda": {"enabled": True}}})


def test_secrets_go_into_a_secret_and_an_existing_secret_is_used_as_is():
    docs = render({"secrets": {"SECRET_KEY": "k" * 50, "METRICS_TOKEN": ""}})
    (secret,) = by_kind(docs, "Secret")
    assert secret["stringData"] == {"SECRET_KEY": "k" * 50}
    config = by_kind(docs, "ConfigMap")[0]["data"]
    assert "SECRET_KEY" not in config and config["ALLOWED_HOSTS"] == "sync.example.com"

    docs = render({"existingSecret": "musicsync-prod"})
    assert by_kind(docs, "Secret") == []
    web = named(docs, "Deployment", "-web")
    env_from = web["spec"]["template"]["spec"]["containers"][0]["envFrom"]
    assert {"secretRef": {"name": "musicsync-prod"}} in env_from


def test_workers_expose_dramatiq_metrics_for_prometheus():
    docs = render({"metrics": {"serviceMonitor": {"enabled": True}}})
    worker = named(docs, "Deployment", "-worker")["spec"]["template"]["spec"]["containers"][0]
    assert {"name": "dramatiq_prom_port", "value": "9191"} in worker["env"]
    (monitor,) = by_kind(docs, "ServiceMonitor")
    web_endpoint = monitor["spec"]["endpoints"][0]
    assert web_endpoint["path"] == "/metrics"
    assert web_endpoint["authorization"]["credentials"]["key"] == "METRICS_TOKEN"
