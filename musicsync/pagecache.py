"""A person's pages and API lists, served again from the cache until the data changes.

A dashboard of fifty pairs, a playlist of ten thousand songs or a run being polled every
three seconds is asked for again and again while nothing in it changes. So the rendered
response is kept in the cache, per person (and, for pages, per browser: a page holds the
browser's CSRF token), and given back while it is still good.

Still good means:
- **nothing was written since**: every process (web, workers, scheduler, commands) bumps
  one data version whenever it writes to the database (after a statement outside a
  transaction; at a transaction's first write and again at its commit), so a page is
  never kept from before a write. The version is
  one for everybody: a self-hosted instance has a household, not a crowd, and one version
  cannot miss a write that touched several people's rows (an operator in the admin);
- **the minute has not turned**: pages say "3 minutes ago" and how much YouTube quota is
  left today, so nothing is kept past `PAGE_CACHE_SECONDS`.

Responses that set a cookie, carry a message, or are not a plain 200 are never kept. With
`PAGE_CACHE_SECONDS=0` (the embedded default: its cache is per process) nothing is cached.
"""

from __future__ import annotations

import hashlib
import logging
import re
import secrets
import threading
import time
from collections.abc import Callable
from functools import wraps
from typing import Any

import dramatiq
from django.conf import settings
from django.core.cache import cache
from django.db import connections
from django.db.backends.base.base import BaseDatabaseWrapper
from django.http import HttpRequest, HttpResponse
from django.middleware.csrf import CSRF_SECRET_LENGTH, _unmask_cipher_token, get_token

log = logging.getLogger(__name__)

VERSION_KEY = "pagecache:version"
_WRITE = re.compile(r"\s*(?:INSERT\s+INTO|UPDATE|DELETE\s+FROM|TRUNCATE)\s+\"?(\w+)", re.I)
# Writes that change no page: the job table django_dramatiq keeps for the admin. (A
# session's writes count: a page may show what the session holds, such as a verified
# second factor.)
_UNSEEN_TABLES = frozenset({"django_dramatiq_task"})


def enabled() -> bool:
    return settings.PAGE_CACHE_SECONDS > 0


# --- The data version ---------------------------------------------------------------


# While the cache is down every write fails to bump: say so once a minute, not per write.
FAILURE_LOG_SECONDS = 60
_failures = {"count": 0, "logged_at": None}

# Once the cache has failed, it is left alone for this long: a Redis host that does not
# answer would otherwise cost every write and every page the client's connect timeout.
# Meanwhile pages are made afresh, and the bump the writes are owed is made as soon as
# the cache is asked again (by the next write or page).
CACHE_DOWN_SECONDS = 5.0
_down = {"until": 0.0, "owed": False}


def _cache_down() -> bool:
    return time.monotonic() < _down["until"]


def _cache_failed() -> None:
    _down["until"] = time.monotonic() + CACHE_DOWN_SECONDS


def bump() -> bool:
    """Every kept page and list is out of date from now on (False: the cache is down)."""
    error = None
    if not _cache_down():
        try:
            cache.set(VERSION_KEY, secrets.token_hex(8), None)
        except Exception as exc:  # noqa: BLE001 - the cache being down must never fail a write
            error = exc
            _cache_failed()
        else:
            _down["owed"] = False
            return True
    _down["owed"] = True
    _failures["count"] += 1
    now = time.monotonic()
    logged_at = _failures["logged_at"]
    if logged_at is None or now - logged_at >= FAILURE_LOG_SECONDS:
        log.warning(
            "could not mark cached pages out of date (%d write(s) since the last warning)",
            _failures["count"],
            exc_info=error,
        )
        _failures["count"], _failures["logged_at"] = 0, now
    return False


# --- A worker's writes: marked out of date by a thread of their own ---------------------

# A worker's run writes outside transactions hundreds of times a second (progress, each
# change's outcome), and nobody waits on its pages the way a person waits on the page
# after a form: so in a worker's threads a write only notes that the data changed, and
# one thread per process bumps the version at once, then at most every
# DEFERRED_BUMP_SECONDS while writes keep coming. A page is then at most that much (plus
# one bump's round trip) behind a worker's write, and a worker's writes never wait on
# the cache, even when it is unreachable.
DEFERRED_BUMP_SECONDS = 0.5
_local = threading.local()


def defer_bumps_in_this_thread() -> None:
    """From now on, this thread's writes are marked out of date by the bumping thread."""
    _local.defer = True


class _DeferredBumps:
    def __init__(self) -> None:
        self._owed = threading.Event()
        self._lock = threading.Lock()
        self._bumping = threading.Lock()
        self._thread: threading.Thread | None = None
        self._stopped = False

    def note(self) -> None:
        self._owed.set()
        thread = self._thread
        if thread is None or not thread.is_alive():  # none yet, or a forked process's copy
            with self._lock:
                if self._thread is None or not self._thread.is_alive():
                    self._thread = threading.Thread(
                        target=self._run, name="pagecache-bumps", daemon=True
                    )
                    self._thread.start()

    def _run(self) -> None:
        while True:
            self._owed.wait()
            if self._stopped:
                return
            self._bump_if_owed()
            time.sleep(DEFERRED_BUMP_SECONDS)

    def _bump_if_owed(self) -> None:
        with self._bumping:
            if self._owed.is_set():
                # Cleared before the bump: a write noted while it runs is owed another.
                self._owed.clear()
                if not bump():
                    # The cache is down: tried again until it is back, so that what it
                    # kept from before is out of date as soon as it can be read again.
                    self._owed.set()

    def flush(self) -> None:
        """Bump now if a write is owed one; a bump under way is waited for."""
        self._bump_if_owed()

    def stop(self) -> None:
        """Bump what is owed, then end the bumping thread."""
        self.flush()
        self._stopped = True
        self._owed.set()  # wakes it, to end


deferred = _DeferredBumps()


def _note_write() -> None:
    deferred.note()


class DeferBumpsInWorkers(dramatiq.Middleware):
    """Dramatiq middleware: a job's writes are bumped by the bumping thread while it
    runs, and once more as it ends, so a page asked for after a job is never older."""

    def before_process_message(self, broker: dramatiq.Broker, message: dramatiq.Message) -> None:
        defer_bumps_in_this_thread()

    def after_process_message(
        self, broker: dramatiq.Broker, message: dramatiq.Message, *, result=None, exception=None
    ) -> None:
        deferred.flush()

    def after_skip_message(self, broker: dramatiq.Broker, message: dramatiq.Message) -> None:
        deferred.flush()

    def after_worker_shutdown(self, broker: dramatiq.Broker, worker: dramatiq.Worker) -> None:
        deferred.flush()


def _current_version() -> str:
    version = cache.get(VERSION_KEY)
    if version is None:
        cache.add(VERSION_KEY, secrets.token_hex(8), None)
        version = cache.get(VERSION_KEY)
    return version


def watch_writes(sender: Any = None, connection: BaseDatabaseWrapper | None = None, **kw) -> None:
    """`connection_created` receiver: bump the version on this connection's writes."""
    if connection is not None and _after_write not in connection.execute_wrappers:
        connection.execute_wrappers.append(_after_write)


def _after_write(execute, sql, params, many, context):
    result = execute(sql, params, many, context)
    if enabled():
        found = _WRITE.match(sql) if isinstance(sql, str) else None
        if found and found.group(1).lower() not in _UNSEEN_TABLES:
            connection = context["connection"]
            if getattr(_local, "defer", False):
                _note_write()
                if connection.in_atomic_block and not any(
                    func is _note_write for _ids, func, _robust in connection.run_on_commit
                ):
                    # Noted again at commit: a bump in between would not cover the rows.
                    connection.on_commit(_note_write)
            elif not connection.in_atomic_block:
                bump()  # the write is committed already
            elif not any(func is bump for _ids, func, _robust in connection.run_on_commit):
                # At the transaction's first write, so that nothing read in it is kept
                # under the old version...
                bump()
                # ...and once more when the rows are visible to everybody, because a page
                # made in between is kept under the new one.
                connection.on_commit(bump)
            else:
                # The transaction's later writes are covered by the bump at commit for
                # everybody else, who cannot see them before; only this connection can,
                # so its next look into the cache bumps first (see _lookup). A worker's
                # run writes thousands of rows in a transaction: one bump, not thousands.
                connection.pagecache_unbumped = True
    return result


def _bump_for_own_writes() -> None:
    """Before this thread reads a kept page: its transactions' writes not yet bumped, and
    this process's writes made while the cache was down."""
    if _down["owed"]:
        bump()
    for connection in connections.all(initialized_only=True):
        if getattr(connection, "pagecache_unbumped", False):
            connection.pagecache_unbumped = False
            bump()


# --- Keeping and giving back --------------------------------------------------------


def _key(*parts: object) -> str:
    bucket = int(time.time() // settings.PAGE_CACHE_SECONDS)
    digest = hashlib.sha256("\x1f".join(map(str, (*parts, bucket))).encode()).hexdigest()
    return f"pagecache:{digest[:40]}"


def _lookup(key: str) -> tuple[str, dict | None]:
    """The current data version and, if it was kept under that version, the response."""
    try:
        _bump_for_own_writes()
        if _cache_down():
            return "", None  # made afresh, and not kept
        found = cache.get_many([VERSION_KEY, key])
        version = found.get(VERSION_KEY) or _current_version()
    except Exception:  # noqa: BLE001 - a cache that is down means making the page afresh
        _cache_failed()
        log.warning(
            "page cache unavailable: pages are made afresh for %ss",
            CACHE_DOWN_SECONDS,
            exc_info=True,
        )
        return "", None
    kept = found.get(key)
    return version, kept if kept and kept["version"] == version else None


def _keep(key: str, version: str, response: HttpResponse, token: str = "") -> None:
    if response.status_code != 200 or response.streaming or response.cookies or not version:
        return
    kept = {
        "version": version,
        "content": response.content,
        # The view's own headers (content type, HTMX's); the middleware adds the rest again.
        "headers": dict(response.items()),
        "token": token,
    }
    try:
        cache.set(key, kept, settings.PAGE_CACHE_SECONDS)
    except Exception:  # noqa: BLE001
        _cache_failed()
        log.warning("could not keep a page", exc_info=True)


_MASKED = re.compile(rb"[A-Za-z0-9]{%d}" % (2 * CSRF_SECRET_LENGTH))


def _page_token(content: bytes, secret: str) -> str:
    """The masked CSRF token the page's forms carry (the template masked it when rendering)."""
    for found in _MASKED.finditer(content):
        token = found.group().decode()
        if _unmask_cipher_token(token) == secret:
            return token
    return ""


def _give_back(kept: dict, token: str = "") -> HttpResponse:
    content = kept["content"]
    if token and kept["token"]:
        # The page's forms carry a fresh mask of the same CSRF secret, as a page made now would.
        content = content.replace(kept["token"].encode(), token.encode())
    response = HttpResponse(content)
    for header, value in kept["headers"].items():
        response[header] = value
    return response


def _has_messages(request: HttpRequest) -> bool:
    storage = getattr(request, "_messages", None)
    return storage is not None and len(storage) > 0


def cache_page_per_person(view: Callable[..., HttpResponse]) -> Callable[..., HttpResponse]:
    """Keep a person's GET page (and its HTMX fragments) until the data changes."""

    @wraps(view)
    def wrapper(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        csrf_secret = request.META.get("CSRF_COOKIE", "")
        if (
            not enabled()
            or request.method != "GET"
            or not request.user.is_authenticated
            or not csrf_secret
            or not request.session.session_key
            or _has_messages(request)
        ):
            return view(request, *args, **kwargs)
        key = _key(
            "page",
            request.user.pk,
            request.session.session_key,
            csrf_secret,
            request.get_full_path(),
            request.headers.get("HX-Request", ""),
            request.headers.get("HX-Target", ""),
            request.headers.get("HX-Boosted", ""),
        )
        version, kept = _lookup(key)
        if kept is not None:
            return _give_back(kept, get_token(request))
        response = view(request, *args, **kwargs)
        if hasattr(response, "render") and not response.is_rendered:
            response.render()
        if not _has_messages(request) and not response.streaming:
            _keep(key, version, response, _page_token(response.content, csrf_secret))
        return response

    return wrapper


class CachedListMixin:
    # For a DRF viewset: keep a person's JSON lists until the data changes. (A comment,
    # not a docstring: drf-spectacular would describe every viewset with it.) It acts
    # inside `list()`, so authentication, permissions and rate limits still apply to every
    # request. The browsable API (HTML with forms) is never kept.

    def list(self, request, *args, **kwargs):
        if not enabled() or request.accepted_renderer.format != "json":
            return super().list(request, *args, **kwargs)
        key = _key("api", request.user.pk, request.get_full_path(), request.accepted_media_type)
        version, kept = _lookup(key)
        if kept is not None:
            return _give_back(kept)
        response = super().list(request, *args, **kwargs)
        response.accepted_renderer = request.accepted_renderer
        response.accepted_media_type = request.accepted_media_type
        response.renderer_context = self.get_renderer_context()
        response.render()
        _keep(key, version, response)
        return response
