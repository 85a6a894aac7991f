from __future__ import annotations

import pytest
from django.core.cache import cache

pytestmark = [pytest.mark.django_db, pytest.mark.smoke]


def test_health_is_200_when_every_store_is_up(client):
    response = client.get("/health")
    assert response.status_code == 200
    body = response.json()
    assert body["status"] == "up"
    assert set(body["checks"]) == {"database", "cache", "broker"}
    assert all(check["status"] == "up" for check in body["checks"].values())


def test_health_is_503_and_names_the_cache_when_it_is_down(client, monkeypatch):
    def broken(*args, **kwargs):
        raise ConnectionError("connection refused")

    monkeypatch.setattr(cache, "set", broken)
    response = client.get("/health")
    assert response.status_code == 503
    assert response.json()["down"] == ["cache"]
    assert "connection refused" in response.json()["checks"]["cache"]["detail"]


def test_health_is_503_and_names_the_database_when_it_is_down(client, monkeypatch):
    from django.db import connection

    def broken():
        raise RuntimeError("database is gone")

    monkeypatch.setattr(connection, "cursor", broken)
    response = client.get("/health")
    assert response.status_code == 503
    assert "database" in response.json()["down"]


@pytest.mark.redis
def test_health_names_the_broker_when_redis_is_unreachable(client, monkeypatch):
    import dramatiq

    broker = dramatiq.get_broker()

    def broken():
        raise ConnectionError("redis refused")

    monkeypatch.setattr(broker.client, "ping", broken)
    response = client.get("/health")
    assert response.status_code == 503
    assert response.json()["down"] == ["broker"]


def test_liveness_answers_while_the_database_and_cache_are_down(client, monkeypatch):
    from django.db import connection

    def broken(*args, **kwargs):
        raise RuntimeError("store is gone")

    monkeypatch.setattr(connection, "cursor", broken)
    monkeypatch.setattr(cache, "set", broken)
    monkeypatch.setattr(cache, "get", broken)

    assert client.get("/health").status_code == 503
    response = client.get("/health/live")
    assert response.status_code == 200
    assert response.json() == {"status": "alive"}


def test_the_favicon_is_found_where_browsers_look_for_it(client):
    response = client.get("/favicon.ico")

    assert response.status_code == 302
    assert response["Location"].endswith(".svg")
