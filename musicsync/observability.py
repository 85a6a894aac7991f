"""Errors to Sentry and structured logs, both with the ids that tie them together and no secrets.

- ``init_sentry(dsn)``: called from settings when SENTRY_DSN is set.
- ``log_context(run_id=..., user_id=...)``: the ids every log line inside it carries.
- ``RequestContextMiddleware``: a request id (from X-Request-ID, or new) and the person's id.
- ``ContextFilter``, ``RedactFilter``, ``JsonFormatter``: wired in settings.LOGGING.
"""

from __future__ import annotations

import contextvars
import json
import logging
import re
import traceback
import uuid
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from datetime import UTC, datetime
from typing import Any
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

from django.http import HttpRequest, HttpResponse

FILTERED = "[Filtered]"

# --- What counts as a secret --------------------------------------------------------

# Keys whose values are never sent or logged, wherever they appear (headers, query
# strings, form data, dict extras): OAuth codes and tokens, PKCE verifiers, passwords.
SECRET_KEYS = frozenset(
    {
        "access_token",
        "refresh_token",
        "id_token",
        "token",
        "code",
        "code_verifier",
        "state",
        "client_secret",
        "secret",
        "password",
        "password1",
        "password2",
        "otp_token",
        "authorization",
        "cookie",
        "set-cookie",
        "x-csrftoken",
        "csrfmiddlewaretoken",
        "sessionid",
        "csrftoken",
        "api_key",
        "apikey",
        "key",
        "email",
        "dsn",
        "field_encryption_key",
        "secret_key",
    }
)
_SECRET_KEY_PARTS = ("token", "secret", "password", "passwd", "authorization", "cookie", "email")

_PATTERNS: tuple[tuple[re.Pattern[str], str], ...] = (
    # Authorization: Bearer abc / Basic abc
    (re.compile(r"(?i)\b(bearer|basic)\s+[A-Za-z0-9._~+/=-]{8,}"), r"\1 " + FILTERED),
    # key=value in query strings, form bodies and free text
    (
        re.compile(
            r"(?i)\b(access_token|refresh_token|id_token|code_verifier|client_secret|code|state"
            r"|password|token|api_key)=([^&\s\"',;]+)"
        ),
        r"\1=" + FILTERED,
    ),
    # "access_token": "..." in JSON fragments (platform error bodies)
    (
        re.compile(
            r"(?i)([\"'](?:access_token|refresh_token|id_token|client_secret|password|token)"
            r"[\"']\s*:\s*[\"'])[^\"']+"
        ),
        r"\1" + FILTERED,
    ),
    # Google tokens have recognisable shapes even without a key name
    (re.compile(r"\bya29\.[A-Za-z0-9._-]+"), FILTERED),
    (re.compile(r"\b1//[A-Za-z0-9._-]{10,}"), FILTERED),
    # JWTs (id tokens)
    (re.compile(r"\beyJ[A-Za-z0-9_-]{5,}\.[A-Za-z0-9_-]{5,}\.[A-Za-z0-9_-]{5,}"), FILTERED),
    # Email addresses are personal data
    (re.compile(r"[A-Za-z0-9._%+-]+@[A-Za-z0-9.-]+\.[A-Za-z]{2,}"), FILTERED),
)


def is_secret_key(key: str) -> bool:
    lowered = key.lower()
    return lowered in SECRET_KEYS or any(part in lowered for part in _SECRET_KEY_PARTS)


def redact_text(text: str) -> str:
    """The text with tokens, OAuth parameters and email addresses replaced."""
    for pattern, replacement in _PATTERNS:
        text = pattern.sub(replacement, text)
    return text


def redact_url(url: str) -> str:
    parts = urlsplit(url)
    if not parts.query:
        return redact_text(url)
    query = urlencode(
        [(k, FILTERED if is_secret_key(k) else v) for k, v in parse_qsl(parts.query, True)],
        safe="[]",
    )
    return redact_text(urlunsplit(parts._replace(query=query)))


def redact(value: Any, *, depth: int = 0) -> Any:
    """A copy of ``value`` with secret keys filtered and secret-looking text redacted."""
    if depth > 12:
        return value
    if isinstance(value, str):
        return redact_text(value)
    if isinstance(value, Mapping):
        return {
            k: (FILTERED if isinstance(k, str) and is_secret_key(k) else redact(v, depth=depth + 1))
            for k, v in value.items()
        }
    if isinstance(value, list | tuple):
        items = [redact(v, depth=depth + 1) for v in value]
        # Header lists come as [name, value] pairs.
        if len(items) == 2 and isinstance(items[0], str) and is_secret_key(items[0]):
            items[1] = FILTERED
        return type(value)(items) if isinstance(value, tuple) else items
    return value


# --- Context: request id, person id, run id -----------------------------------------

_request_id: contextvars.ContextVar[str | None] = contextvars.ContextVar("request_id", default=None)
_user_id: contextvars.ContextVar[int | None] = contextvars.ContextVar("user_id", default=None)
_run_id: contextvars.ContextVar[int | None] = contextvars.ContextVar("run_id", default=None)
_VARS = {"request_id": _request_id, "user_id": _user_id, "run_id": _run_id}


def current_context() -> dict[str, Any]:
    return {name: var.get() for name, var in _VARS.items()}


@contextmanager
def log_context(
    *, run_id: int | None = None, user_id: int | None = None, request_id: str | None = None
) -> Iterator[None]:
    """Within the block, every log line (and Sentry event) carries these ids.

    Only the ids given are set; the others keep their outer values. Used by the sync engine
    around a run (``with log_context(run_id=run.id, user_id=run.user_id): ...``).
    """
    given = {"run_id": run_id, "user_id": user_id, "request_id": request_id}
    tokens = [(_VARS[k], _VARS[k].set(v)) for k, v in given.items() if v is not None]
    _tag_sentry(given)
    try:
        yield
    finally:
        for var, token in reversed(tokens):
            var.reset(token)


def _tag_sentry(ids: Mapping[str, Any]) -> None:
    try:
        import sentry_sdk
    except ImportError:  # pragma: no cover - it is a pinned dependency
        return
    if not sentry_sdk.get_client().is_active():
        return
    scope = sentry_sdk.get_isolation_scope()
    for key, value in ids.items():
        if value is not None:
            scope.set_tag(key, str(value))


class RequestContextMiddleware:
    """Gives each request an id (the caller's X-Request-ID if sane, else a new one), echoes it
    in the response, and puts it and the person's id into the log context.

    Placed early so every later middleware's log lines carry the request id; the person is
    read lazily at the end, once authentication has run.
    """

    HEADER = "X-Request-ID"
    _SANE = re.compile(r"^[A-Za-z0-9._:-]{1,128}$")

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        incoming = request.headers.get(self.HEADER, "")
        request_id = incoming if self._SANE.match(incoming) else uuid.uuid4().hex
        request.request_id = request_id  # type: ignore[attr-defined]
        # Both reset at the end: server threads are reused, and one request's person must
        # not be written on the next request's lines.
        request_token = _request_id.set(request_id)
        user_token = _user_id.set(None)
        _tag_sentry({"request_id": request_id})
        try:
            response = self.get_response(request)
        finally:
            _user_id.reset(user_token)
            _request_id.reset(request_token)
        response[self.HEADER] = request_id
        return response

    def process_view(self, request: HttpRequest, view_func, view_args, view_kwargs) -> None:
        # Authentication middleware has run by now, so the person is known.
        user = getattr(request, "user", None)
        if user is not None and getattr(user, "is_authenticated", False):
            _user_id.set(user.pk)
            _tag_sentry({"user_id": user.pk})
        return None


# --- Logging: filters and formatter -------------------------------------------------


class ContextFilter(logging.Filter):
    """Adds request_id, user_id and run_id to every record (None when unknown)."""

    def filter(self, record: logging.LogRecord) -> bool:
        for name, var in _VARS.items():
            if not hasattr(record, name) or getattr(record, name) is None:
                setattr(record, name, var.get())
        return True


class RedactFilter(logging.Filter):
    """Renders the message once and redacts it, so a token passed as an argument or inside
    an exception text never reaches a handler."""

    def filter(self, record: logging.LogRecord) -> bool:
        try:
            message = record.getMessage()
        except Exception:  # noqa: BLE001 - a bad format string must not lose the line
            message = str(record.msg)
        record.msg = redact_text(message)
        record.args = None
        if record.exc_info and record.exc_info[1] is not None:
            record.exc_text = redact_text("".join(traceback.format_exception(*record.exc_info)))
            record.exc_info = None
        elif record.exc_text:
            record.exc_text = redact_text(record.exc_text)
        return True


_RESERVED = frozenset(vars(logging.LogRecord("", 0, "", 0, "", None, None))) | {
    "message",
    "asctime",
    "request_id",
    "user_id",
    "run_id",
}


def _plain(value: Any) -> Any:
    # Objects (a request, a model) are logged by their text, which must be redacted too.
    if value is None or isinstance(value, bool | int | float | str | list | tuple | dict):
        return value
    return str(value)


class JsonFormatter(logging.Formatter):
    """One JSON object per line: time, level, logger, message, the ids, extras, exception."""

    def format(self, record: logging.LogRecord) -> str:
        entry: dict[str, Any] = {
            "time": datetime.fromtimestamp(record.created, tz=UTC).isoformat(
                timespec="milliseconds"
            ),
            "level": record.levelname.lower(),
            "logger": record.name,
            "message": record.getMessage(),
            "request_id": getattr(record, "request_id", None),
            "user_id": getattr(record, "user_id", None),
            "run_id": getattr(record, "run_id", None),
        }
        extras = {k: _plain(v) for k, v in vars(record).items() if k not in _RESERVED}
        if extras:
            entry["extra"] = redact(extras)
        if record.exc_info:
            entry["exception"] = redact_text(self.formatException(record.exc_info))
        elif record.exc_text:
            entry["exception"] = record.exc_text
        return json.dumps(entry, default=str, ensure_ascii=False)


class TextFormatter(logging.Formatter):
    """The DEBUG format: readable, with the ids at the end when there are any."""

    def format(self, record: logging.LogRecord) -> str:
        line = super().format(record)
        ids = " ".join(
            f"{name}={getattr(record, name)}"
            for name in ("request_id", "user_id", "run_id")
            if getattr(record, name, None) is not None
        )
        return f"{line} [{ids}]" if ids else line


# --- Sentry -------------------------------------------------------------------------


_JOB_FIELDS_KEPT = frozenset({"queue_name", "actor_name", "message_id", "message_timestamp"})


def scrub_event(event: dict[str, Any], hint: dict[str, Any] | None = None) -> dict[str, Any]:
    """before_send: no personal data, no tokens, no cookies, no OAuth parameters."""
    request = event.get("request")
    if isinstance(request, dict):
        request.pop("cookies", None)
        request.pop("data", None)  # form bodies: passwords, TOTP codes, OAuth fields
        if isinstance(request.get("url"), str):
            request["url"] = redact_url(request["url"])
        if "query_string" in request:
            qs = request["query_string"]
            if isinstance(qs, str):
                request["query_string"] = urlsplit(redact_url("?" + qs)).query
            else:
                request["query_string"] = redact(qs)
        if isinstance(request.get("headers"), dict):
            request["headers"] = {
                k: (FILTERED if is_secret_key(k) else redact_text(str(v)))
                for k, v in request["headers"].items()
            }
        if isinstance(request.get("env"), dict):
            request["env"] = {k: v for k, v in request["env"].items() if k != "REMOTE_ADDR"}
    user = event.get("user")
    if isinstance(user, dict):
        # Only the opaque id survives: it is what log lines carry too.
        event["user"] = {"id": user["id"]} if "id" in user else {}
    job = (event.get("contexts") or {}).get("dramatiq")
    if isinstance(job, dict) and isinstance(job.get("data"), dict):
        # A job's arguments are ids by convention, but nothing enforces it: keep only names.
        job["data"] = {k: v for k, v in job["data"].items() if k in _JOB_FIELDS_KEPT}
    for key in ("extra", "contexts", "tags", "breadcrumbs", "logentry", "message"):
        if key in event:
            event[key] = redact(event[key])
    for exception in (event.get("exception") or {}).get("values", []) or []:
        if isinstance(exception.get("value"), str):
            exception["value"] = redact_text(exception["value"])
        for frame in (exception.get("stacktrace") or {}).get("frames", []) or []:
            if "vars" in frame:
                frame["vars"] = redact(frame["vars"])
    for thread in (event.get("threads") or {}).get("values", []) or []:
        for frame in (thread.get("stacktrace") or {}).get("frames", []) or []:
            if "vars" in frame:
                frame["vars"] = redact(frame["vars"])
    return event


def _scrub_redis(entry: dict[str, Any], text_key: str) -> None:
    # Redis keys carry session keys and cached tokens: keep the command, drop the key.
    data = entry.get("data") or {}
    command = data.get("redis.command") or data.get("db.operation") or "redis"
    entry[text_key] = str(command)
    entry["data"] = {k: v for k, v in data.items() if k in {"redis.command", "db.operation"}}


def scrub_breadcrumb(crumb: dict[str, Any], hint: dict[str, Any] | None = None) -> dict[str, Any]:
    if crumb.get("category") == "redis" or crumb.get("type") == "redis":
        _scrub_redis(crumb, "message")
    return redact(crumb)


def scrub_transaction(event: dict[str, Any], hint: dict[str, Any] | None = None) -> dict[str, Any]:
    """before_send_transaction (only with SENTRY_TRACES_SAMPLE_RATE > 0): spans too."""
    for span in event.get("spans") or []:
        if str(span.get("op", "")).startswith(("db.redis", "cache")):
            _scrub_redis(span, "description")
    return scrub_event(event, hint)


def _add_log_context(event: dict[str, Any], hint: dict[str, Any] | None = None) -> dict[str, Any]:
    tags = event.setdefault("tags", {})
    for name, value in current_context().items():
        if value is not None:
            tags.setdefault(name, str(value))
    return event


def _before_send(event: dict[str, Any], hint: dict[str, Any] | None) -> dict[str, Any]:
    return scrub_event(_add_log_context(event, hint), hint)


def init_sentry(
    dsn: str,
    *,
    environment: str | None = None,
    release: str | None = None,
    traces_sample_rate: float = 0.0,
) -> None:
    """Starts Sentry with the Django and Dramatiq integrations, sending no personal data."""
    import sentry_sdk
    from sentry_sdk.integrations.django import DjangoIntegration
    from sentry_sdk.integrations.dramatiq import DramatiqIntegration
    from sentry_sdk.integrations.logging import LoggingIntegration

    sentry_sdk.init(
        dsn=dsn,
        environment=environment or None,
        release=release or None,
        integrations=[
            DjangoIntegration(),
            DramatiqIntegration(),
            # Log records become breadcrumbs; errors are sent by the integrations above.
            LoggingIntegration(level=logging.INFO, event_level=None),
        ],
        # sentry-sdk 2.7x's successor of send_default_pii=False (which it deprecates): no
        # user identity, cookies, bodies or frame variables; the scrubber below also runs.
        data_collection={
            "user_info": False,
            "cookies": {"mode": "off"},
            "http_headers": {"request": {"mode": "denylist", "terms": sorted(SECRET_KEYS)}},
            "http_bodies": [],
            "url_query_params": {"mode": "denylist", "terms": sorted(SECRET_KEYS)},
            "database_query_data": False,
            "queues": False,
            "stack_frame_variables": False,
        },
        max_request_body_size="never",
        traces_sample_rate=traces_sample_rate,
        before_send=_before_send,
        before_breadcrumb=scrub_breadcrumb,
        before_send_transaction=scrub_transaction,
    )
