"""The suite's shared fixtures: named people, a real job worker, and the skip policy.

alice owns things, bob is another person, charlie has nothing.
Where PostgreSQL, Redis or chromium is missing, their tests are skipped and the run
says so at the end; under CI (CI=true) a skipped part fails the run instead.
"""

from __future__ import annotations

import os
import shutil

import dramatiq
import pytest

try:  # the sandbox fixtures; absent only while the sandbox is being built
    import platforms.sandbox.pytest_plugin  # noqa: F401

    pytest_plugins = ["platforms.sandbox.pytest_plugin"]
except ImportError:
    pytest_plugins = []

CI = os.environ.get("CI", "").lower() in {"1", "true", "yes"}
CHROMIUM = "/usr/bin/chromium"
PASSWORD = "correct horse battery staple 42"

os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")


def _missing_parts(config) -> dict[str, str]:
    from django.conf import settings

    missing = {}
    if settings.DATABASES["default"]["ENGINE"].endswith("sqlite3"):
        missing["postgres"] = "DATABASE_URL does not point at PostgreSQL"
    if not settings.REDIS_URL:
        missing["redis"] = "REDIS_URL is not set"
    if not (os.path.exists(CHROMIUM) or shutil.which("chromium")):
        missing["browser"] = f"{CHROMIUM} is not installed (apt-get install chromium)"
    return missing


def pytest_collection_modifyitems(config, items):
    missing = _missing_parts(config)
    config._musicsync_skipped = {}
    for item in items:
        for marker, why in missing.items():
            if marker in item.keywords:
                item.add_marker(pytest.mark.skip(reason=f"{marker}: {why}"))
                config._musicsync_skipped[marker] = config._musicsync_skipped.get(marker, 0) + 1


def pytest_terminal_summary(terminalreporter, exitstatus, config):
    skipped = getattr(config, "_musicsync_skipped", {})
    if not skipped:
        return
    terminalreporter.section("parts skipped on this machine")
    for marker, count in skipped.items():
        why = _missing_parts(config).get(marker, "")
        terminalreporter.write_line(f"{marker}: {count} tests skipped ({why})")
    if CI:
        terminalreporter.write_line("CI=true: nothing may be skipped, so this run fails.")


def pytest_sessionfinish(session, exitstatus):
    if CI and getattr(session.config, "_musicsync_skipped", {}):
        session.exitstatus = 1


@pytest.fixture(autouse=True)
def _fresh_cache():
    from django.core.cache import cache

    cache.clear()
    yield


@pytest.fixture
def alice(django_user_model):
    return django_user_model.objects.create_user(email="alice@example.com", password=PASSWORD)


@pytest.fixture
def bob(django_user_model):
    return django_user_model.objects.create_user(email="bob@example.com", password=PASSWORD)


@pytest.fixture
def charlie(django_user_model):
    return django_user_model.objects.create_user(email="charlie@example.com", password=PASSWORD)


@pytest.fixture
def alice_client(client, alice):
    client.force_login(alice)
    return client


@pytest.fixture
def broker():
    broker = dramatiq.get_broker()
    broker.flush_all()
    yield broker
    broker.flush_all()


@pytest.fixture
def worker(broker, transactional_db):
    """A real Dramatiq worker on the configured broker (stub embedded, Redis in CI)."""
    worker = dramatiq.Worker(broker, worker_threads=2, worker_timeout=100)
    worker.start()
    yield worker
    worker.stop()
