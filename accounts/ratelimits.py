"""Rate limits: one hook for every part of the app, and one way to say "try again later".

Limits are counted with django-ratelimit in the default cache (Redis in production, so
every web process shares the counts; per process in embedded mode). Named rates live in
``settings.MUSICSYNC_RATE_LIMITS`` so an operator can tune them without a code change.

For a Django view::

    @limited(group="sync-trigger", key="user", rate="sync-trigger")
    def trigger_sync(request): ...

For a DRF view or viewset::

    throttle_classes = [rate_throttle(group="api", rate="api")]

Inside any code that has a request: ``check(request, group=..., key=..., rate=...)``.
A request over its limit gets HTTP 429 with ``Retry-After``: a page in the layout for
people, ``{"detail": ..., "retry_after": seconds}`` for the API, HTMX and JSON clients.
"""

from __future__ import annotations

import datetime
import hashlib
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from functools import wraps
from typing import Any

from django.conf import settings
from django.core.cache import caches
from django.core.exceptions import ImproperlyConfigured
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import render
from django.utils import timezone
from django_ratelimit import ALL
from django_ratelimit.core import get_usage
from django_ratelimit.exceptions import Ratelimited
from rest_framework.exceptions import Throttled
from rest_framework.throttling import BaseThrottle
from rest_framework.views import exception_handler as drf_exception_handler

Key = str | Callable[[str, HttpRequest], str]

# When the cache cannot say how long is left (it failed, and we fail closed).
DEFAULT_RETRY_AFTER = 60


class RateLimited(Ratelimited):
    """Over a limit; carries how long to wait, so the 429 can say when to retry."""

    def __init__(self, *, retry_after: int, group: str = "") -> None:
        super().__init__(f"Rate limit {group!r} reached; retry after {retry_after}s")
        self.retry_after = max(1, int(retry_after))
        self.group = group


def resolve_rate(rate: str) -> str:
    """A name from MUSICSYNC_RATE_LIMITS, or a literal django-ratelimit rate such as "5/m"."""
    return settings.MUSICSYNC_RATE_LIMITS.get(rate, rate)


def usage(
    request: HttpRequest,
    *,
    group: str,
    key: Key,
    rate: str,
    method: str | list[str] = ALL,
    increment: bool = True,
    also_running: int = 0,
) -> int | None:
    """Count one hit; return the seconds to wait when over the limit, else None.

    With ``increment=False`` nothing is counted, and the answer is whether one more hit
    would be over the limit, ``also_running`` hits still under way counted as made: for
    work that counts only when it fails.
    """
    used = get_usage(
        request,
        group=group,
        key=key,
        rate=resolve_rate(rate),
        method=method,
        increment=increment,
    )
    if not used:
        return None
    over = used["should_limit"] if increment else used["count"] + also_running >= used["limit"]
    if not over:
        return None
    time_left = used["time_left"]
    return time_left if time_left > 0 else DEFAULT_RETRY_AFTER


# Longer than any log-in takes; a counter left by a process that died lapses after it.
IN_FLIGHT_SECONDS = 60


@contextmanager
def in_flight(request: HttpRequest, *, group: str, key: Key) -> Iterator[int]:
    """Marks an attempt under way for its key; gives how many are, this one included.

    Work that counts only once it has failed (a log-in) is checked before it runs and
    counted after: attempts sent at the same moment would all pass the check together.
    Each sees the others here, and counts them against the limit as if they had failed.
    """
    if callable(key):
        value = key(group, request)
    elif key == "ip":
        value = client_ip(request)
    else:
        raise ImproperlyConfigured(f"in_flight takes the key 'ip' or a function, not {key!r}")
    digest = hashlib.sha256(f"{group}\x1f{value}".encode()).hexdigest()[:40]
    cache_key = f"ratelimit-in-flight:{digest}"
    cache = caches[settings.RATELIMIT_USE_CACHE]
    try:
        cache.add(cache_key, 0, IN_FLIGHT_SECONDS)
        running = cache.incr(cache_key)
    except ValueError:  # lapsed between the two calls
        cache.add(cache_key, 1, IN_FLIGHT_SECONDS)
        running = 1
    except Exception:  # noqa: BLE001 - the cache is down: the limit's own check fails closed
        yield 1
        return
    try:
        yield running
    finally:
        try:
            cache.decr(cache_key)
        except Exception:  # noqa: BLE001, S110 - gone or lapsed: nothing left to undo
            pass


def check(
    request: HttpRequest,
    *,
    group: str,
    key: Key,
    rate: str,
    method: str | list[str] = ALL,
) -> None:
    """Count one hit and raise RateLimited when it is over the limit."""
    retry_after = usage(request, group=group, key=key, rate=rate, method=method)
    if retry_after is not None:
        raise RateLimited(retry_after=retry_after, group=group)


def limited(
    *, group: str, key: Key, rate: str, method: str | list[str] = ALL
) -> Callable[[Callable[..., HttpResponse]], Callable[..., HttpResponse]]:
    """Decorate a view: over the limit, it answers 429 instead of running."""

    def decorator(view: Callable[..., HttpResponse]) -> Callable[..., HttpResponse]:
        @wraps(view)
        def wrapped(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
            retry_after = usage(request, group=group, key=key, rate=rate, method=method)
            if retry_after is not None:
                return too_many_requests(request, retry_after=retry_after)
            return view(request, *args, **kwargs)

        return wrapped

    return decorator


def rate_throttle(*, group: str, rate: str, key: Key = "user_or_ip") -> type[BaseThrottle]:
    """A DRF throttle class on the same counters (DRF's request knows token users)."""

    class RateThrottle(BaseThrottle):
        _wait: int | None = None

        def allow_request(self, request: Any, view: Any) -> bool:
            self._wait = usage(request, group=group, key=key, rate=rate)
            return self._wait is None

        def wait(self) -> float | None:
            return self._wait

    RateThrottle.__name__ = RateThrottle.__qualname__ = f"RateThrottle[{group}]"
    return RateThrottle


# --- Keys ---------------------------------------------------------------------------


def client_ip(request: HttpRequest) -> str:
    """RATELIMIT_IP_META_KEY: the address of the person, not of our own proxy.

    With TRUSTED_PROXIES=n, the n-th address from the right of X-Forwarded-For is the
    client (each trusted proxy appends the address it saw); the entries left of it can be
    forged by the client, so they are never used.
    """
    hops = settings.MUSICSYNC_TRUSTED_PROXIES
    remote = request.META.get("REMOTE_ADDR", "")
    if not hops:
        return remote
    forwarded = [a.strip() for a in request.META.get("HTTP_X_FORWARDED_FOR", "").split(",")]
    forwarded = [a for a in forwarded if a]
    return forwarded[-hops] if len(forwarded) >= hops else remote


def post_field_key(field: str) -> Callable[[str, HttpRequest], str]:
    """Key on a posted account name (email), normalised so case does not dodge it."""

    def key(group: str, request: HttpRequest) -> str:
        return request.POST.get(field, "").strip().lower()

    return key


def session_key(group: str, request: HttpRequest) -> str:
    """Key on the session, for steps (two-factor) that happen before a login exists."""
    if not request.session.session_key:
        request.session.save()
    return request.session.session_key or ""


# --- Responses ----------------------------------------------------------------------


def wants_json(request: HttpRequest) -> bool:
    if request.path.startswith("/api/") or request.headers.get("HX-Request"):
        return True
    accept = request.headers.get("Accept", "")
    return "application/json" in accept and "text/html" not in accept


def describe_wait(seconds: int) -> str:
    if seconds < 90:
        return f"{seconds} second{'s' if seconds != 1 else ''}"
    minutes = round(seconds / 60)
    if minutes < 90:
        return f"{minutes} minutes"
    return f"{round(minutes / 60)} hours"


def too_many_requests(request: HttpRequest, *, retry_after: int) -> HttpResponse:
    retry_after = max(1, int(retry_after))
    wait = describe_wait(retry_after)
    if wants_json(request):
        response: HttpResponse = JsonResponse(
            {"detail": f"Too many requests. Try again in {wait}.", "retry_after": retry_after},
            status=429,
        )
    else:
        retry_at = timezone.now() + datetime.timedelta(seconds=retry_after)
        response = render(
            request,
            "429.html",
            {"retry_after": retry_after, "wait": wait, "retry_at": retry_at},
            status=429,
        )
    response["Retry-After"] = str(retry_after)
    response["Cache-Control"] = "no-store"
    return response


def ratelimited(request: HttpRequest, exception: Exception) -> HttpResponse:
    """RATELIMIT_VIEW: what django-ratelimit's middleware answers for a raised limit."""
    retry_after = getattr(exception, "retry_after", DEFAULT_RETRY_AFTER)
    return too_many_requests(request, retry_after=retry_after)


def handler429(request: HttpRequest, exception: Exception | None = None) -> HttpResponse:
    """allauth's own limits (email sends, password changes) call the URLconf's handler429."""
    return too_many_requests(request, retry_after=DEFAULT_RETRY_AFTER)


def api_exception_handler(exc: Exception, context: dict) -> HttpResponse | None:
    """DRF's handler, plus ``retry_after`` in the body of every 429."""
    if isinstance(exc, RateLimited):
        # DRF would turn this PermissionDenied subclass into a 403.
        exc = Throttled(wait=exc.retry_after)
    response = drf_exception_handler(exc, context)
    if isinstance(exc, Throttled) and response is not None:
        retry_after = max(1, int(exc.wait or DEFAULT_RETRY_AFTER))
        response.data = {
            "detail": f"Too many requests. Try again in {describe_wait(retry_after)}.",
            "retry_after": retry_after,
        }
        response["Retry-After"] = str(retry_after)
    return response
