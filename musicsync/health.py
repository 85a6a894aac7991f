"""/health: is each store this process depends on reachable? /health/live: is it alive?"""

from __future__ import annotations

import uuid

import dramatiq
from django.core.cache import cache
from django.db import connection
from django.http import HttpRequest, JsonResponse
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET

from musicsync import embedded


def _check_database() -> str:
    with connection.cursor() as cursor:
        cursor.execute("SELECT 1")
        cursor.fetchone()
    return connection.vendor


def _check_cache() -> str:
    key = f"health:{uuid.uuid4().hex}"
    cache.set(key, "1", timeout=5)
    if cache.get(key) != "1":
        raise RuntimeError("value written was not read back")
    cache.delete(key)
    return cache.__class__.__name__


def _check_broker() -> str:
    broker = dramatiq.get_broker()
    client = getattr(broker, "client", None)
    if client is not None:
        client.ping()
        return "redis"
    if not embedded.is_running() and embedded.should_run():
        raise RuntimeError("the in-process worker is not running")
    return "in-process"


CHECKS = {"database": _check_database, "cache": _check_cache, "broker": _check_broker}


@never_cache
@require_GET
def health(request: HttpRequest) -> JsonResponse:
    report: dict[str, dict[str, str]] = {}
    down = []
    for name, check in CHECKS.items():
        try:
            report[name] = {"status": "up", "detail": check()}
        except Exception as exc:  # noqa: BLE001 - any failure means "down", said plainly
            report[name] = {"status": "down", "detail": f"{type(exc).__name__}: {exc}"[:300]}
            down.append(name)
    body = {"status": "down" if down else "up", "down": down, "checks": report}
    return JsonResponse(body, status=503 if down else 200)


@never_cache
@require_GET
def live(request: HttpRequest) -> JsonResponse:
    """The process answers: all a liveness probe should ask.

    Restarting web pods does not bring a database back, and a probe on /health would
    restart every pod during an outage of PostgreSQL or Redis; readiness uses /health.
    """
    return JsonResponse({"status": "alive"})
