from __future__ import annotations

import pytest
from django.conf import settings
from django.contrib.sessions.models import Session
from django.core.cache import cache

from accounts.tests.conftest import log_in

pytestmark = pytest.mark.django_db


@pytest.mark.redis
def test_with_redis_sessions_live_in_redis_and_the_database(client, alice):
    assert settings.SESSION_ENGINE == "django.contrib.sessions.backends.cached_db"
    log_in(client, alice.email)
    key = client.cookies[settings.SESSION_COOKIE_NAME].value

    assert cache.get(f"django.contrib.sessions.cached_db{key}") is not None
    # The database copy is the fallback when Redis is flushed or restarted.
    assert Session.objects.filter(session_key=key).exists()
    cache.clear()
    assert client.get("/").status_code == 200


def test_without_redis_sessions_live_in_the_database(client, alice):
    if settings.REDIS_URL:
        pytest.skip("REDIS_URL is set: sessions are cache-backed")
    assert settings.SESSION_ENGINE == "django.contrib.sessions.backends.db"
    log_in(client, alice.email)
    key = client.cookies[settings.SESSION_COOKIE_NAME].value
    assert Session.objects.filter(session_key=key).exists()


def test_logging_out_ends_the_session_on_the_server(client, alice):
    log_in(client, alice.email)
    key = client.cookies[settings.SESSION_COOKIE_NAME].value
    client.post("/accounts/logout/")
    assert not Session.objects.filter(session_key=key).exists()
    assert client.get("/").status_code == 302
