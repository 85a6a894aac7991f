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


@pytest.hookimpl(trylast=True)  # after -m has deselected: count only what would run
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

    from musicsync import pagecache
    from platforms import quota

    cache.clear()
    quota._pending.clear()  # units another test spent must not land in this test's database
    quota._cached_left = None
    # A test that took the cache down must not leave the page cache leaving it alone.
    pagecache._down.update(until=0.0, owed=False)
    yield
    quota._pending.clear()
    quota._cached_left = None


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
    # The worker's hook stays on the (process-wide) broker after stop(): a queue declared
    # in a later test would get a consumer from this dead worker, which takes messages
    # that no thread then runs (a later test's run sat queued for a minute).
    broker.middleware[:] = [
        m for m in broker.middleware if getattr(m, "worker", None) is not worker
    ]


@pytest.fixture
def platform_settings(settings, sandbox_settings):
    """Every platform endpoint (allauth's too) pointed at this test's sandbox server."""
    from platforms.oauth import configure_endpoints

    google = sandbox_settings.google_oauth_url
    settings.GOOGLE_TOKEN_URL = f"{google}/token"
    settings.GOOGLE_USERINFO_URL = f"{google}/oauth2/v2/userinfo"
    settings.GOOGLE_REVOKE_URL = f"{google}/revoke"
    settings.GOOGLE_ID_TOKEN_ISSUER = google
    settings.PLATFORM_RETRY_BASE_SECONDS = 0.01
    # A test library needs more than one default day of YouTube quota; quota tests lower it.
    settings.YOUTUBE_DAILY_QUOTA = 10_000_000
    sandbox_settings.state.knobs.update(youtube_daily_quota=10_000_000)
    configure_endpoints()
    yield sandbox_settings
    configure_endpoints()


def connect(user, platform: str, sandbox, sandbox_user: str = "sandbox-alice"):
    """Connects ``user`` to ``sandbox_user``'s account with tokens from the sandbox's OAuth."""
    from datetime import timedelta

    from django.utils import timezone

    from platforms.models import Connection

    if platform == "spotify":
        from platforms.sandbox.testing import spotify_tokens

        grant = spotify_tokens(sandbox, sandbox_user)
    else:
        from platforms.sandbox.youtube import mint_tokens

        with sandbox.state.lock:
            grant = mint_tokens(
                sandbox.state, sandbox_user, scope="https://www.googleapis.com/auth/youtube",
                client_id="sandbox-google-client.apps.googleusercontent.com",
            )  # fmt: skip
    return Connection.objects.create(
        user=user,
        platform=platform,
        account_id=sandbox_user,
        account_name=sandbox_user,
        access_token=grant["access_token"],
        refresh_token=grant.get("refresh_token", ""),
        token_expires_at=timezone.now() + timedelta(seconds=int(grant.get("expires_in", 3600))),
    )


@pytest.fixture
def alice_connected(alice, platform_settings, transactional_db):
    """alice with Spotify and YouTube connected to the sandbox person sandbox-alice."""
    alice.spotify = connect(alice, "spotify", platform_settings)
    alice.youtube = connect(alice, "youtube", platform_settings)
    return alice
