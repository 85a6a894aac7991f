"""The sandbox's shared core: clock, knobs, counters, state and small HTTP helpers.

The sandbox is a plain werkzeug WSGI application (no Django ORM): every world lives in
memory behind one re-entrant lock and is rebuilt deterministically from a seed. Both
halves (Spotify here, Google + YouTube in ``google.py``/``youtube.py``) code against
this module.

Contract for the halves:

* A world class (``SpotifyWorld``, ``YouTubeWorld``) is constructed with no arguments.
  It may offer ``to_dict() -> dict`` and ``from_dict(data) -> World`` (a classmethod)
  so that ``create_app(persist_path=...)`` can save and reload it; a world without
  them is simply not persisted.
* Handlers take ``state.lock`` while they read or change a world, and call
  ``maybe_fault`` *before* taking it (it may sleep for the latency knob).
* Every response a handler returns, faults included, is counted once with
  ``state.counters.hit(endpoint, status)``. Endpoint names are dotted,
  ``"<platform>.<resource>.<verb>"``, e.g. ``spotify.playlist_items.get`` or
  ``youtube.playlistItems.list``; the knobs accept an exact name, a prefix written
  ``"youtube.*"``, or ``"*"`` for all.
* ``absolute_url(request, "/youtube/v3/...")`` builds links from the sandbox root, so
  they stay right whether the sandbox is mounted at ``/sandbox`` inside the Django app
  or served alone.
* ``youtube.build_app(state)``, ``google.build_app(state)`` and the optional
  ``youtube.control_routes(state)`` each return a WSGI app; ``server.create_app``
  mounts them at ``/youtube``, ``/google`` and ``/_control/youtube``.
"""

from __future__ import annotations

import json
import random
import threading
import time
from collections import defaultdict
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field, fields
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

from werkzeug.wrappers import Request, Response

PACIFIC = ZoneInfo("America/Los_Angeles")

# The environ key where server.create_app records the sandbox root URL, so that halves
# mounted below it (with their own SCRIPT_NAME) still build links from the root.
ROOT_ENVIRON_KEY = "musicsync.sandbox_root"


class Clock:
    """Wall-clock time with a settable offset, so tests can expire tokens without waiting."""

    def __init__(self, offset: float = 0.0) -> None:
        self._offset = float(offset)
        self._lock = threading.Lock()

    def now(self) -> float:
        return time.time() + self._offset

    @property
    def offset(self) -> float:
        return self._offset

    def advance(self, seconds: float) -> float:
        with self._lock:
            self._offset += float(seconds)
            return self._offset

    def set_offset(self, seconds: float) -> None:
        with self._lock:
            self._offset = float(seconds)

    def today_pacific(self) -> str:
        """The quota day as YouTube counts it: it resets at midnight Pacific time."""
        return datetime.fromtimestamp(self.now(), PACIFIC).strftime("%Y-%m-%d")


def _default_youtube_costs() -> dict[str, int]:
    return {
        "list": 1,
        "insert": 50,
        "update": 50,
        "delete": 50,
        "rate": 50,
        "getRating": 1,
        "search.list": 100,
    }


@dataclass
class Knobs:
    """What tests and benchmarks can tune. Probabilities are 0..1, latency in ms."""

    latency_ms: dict[str, float] = field(default_factory=dict)
    error_rate_5xx: dict[str, float] = field(default_factory=dict)
    error_rate_429: dict[str, float] = field(default_factory=dict)
    fail_next: dict[str, list[int]] = field(default_factory=dict)
    spotify_token_lifetime: int = 3600
    google_token_lifetime: int = 3599
    spotify_rate_limit: int = 10_000
    spotify_retry_after: int = 2
    youtube_daily_quota: int = 10_000
    youtube_costs: dict[str, int] = field(default_factory=_default_youtube_costs)
    seed: int = 0

    def update(self, **values: Any) -> None:
        """Set knobs by name; unknown names and wrong types raise ValueError.

        Dict knobs are merged (``update(latency_ms={"*": 50})`` keeps other keys), a
        ``None`` value inside a dict removes that key, and ``fail_next`` queues are
        replaced per endpoint.
        """
        known = {f.name: f for f in fields(self)}
        for name in values:
            if name not in known:
                raise ValueError(f"unknown knob {name!r}; known: {', '.join(sorted(known))}")
        for name, value in values.items():
            current = getattr(self, name)
            if isinstance(current, dict):
                if not isinstance(value, Mapping):
                    raise ValueError(f"knob {name!r} takes an object, not {value!r}")
                merged = dict(current)
                for key, item in value.items():
                    if item is None:
                        merged.pop(str(key), None)
                    elif name == "fail_next":
                        merged[str(key)] = [_as_status(code) for code in _as_list(item)]
                    else:
                        merged[str(key)] = _as_number(
                            name, item, int if name == "youtube_costs" else float
                        )
                setattr(self, name, merged)
            else:
                setattr(self, name, _as_number(name, value, int))

    def as_dict(self) -> dict[str, Any]:
        return {f.name: _copy(getattr(self, f.name)) for f in fields(self)}

    def lookup(self, name: str, endpoint: str) -> Any:
        """Dict knob ``name`` for ``endpoint``: exact key, then ``prefix.*``, then ``*``."""
        table: dict[str, Any] = getattr(self, name)
        return table.get(_match_key(table, endpoint)) if table else None


def _match_key(table: Mapping[str, Any], endpoint: str) -> str | None:
    if endpoint in table:
        return endpoint
    parts = endpoint.split(".")
    for cut in range(len(parts) - 1, 0, -1):
        key = ".".join(parts[:cut]) + ".*"
        if key in table:
            return key
    return "*" if "*" in table else None


def _as_list(value: Any) -> list[Any]:
    return list(value) if isinstance(value, list | tuple) else [value]


def _as_status(value: Any) -> int:
    status = _as_number("fail_next", value, int)
    if not 100 <= status <= 599:
        raise ValueError(f"fail_next takes HTTP status codes, not {value!r}")
    return status


def _as_number(name: str, value: Any, kind: type) -> Any:
    if isinstance(value, bool):
        raise ValueError(f"knob {name!r} takes a number, not {value!r}")
    try:
        number = kind(value)
    except (TypeError, ValueError):
        raise ValueError(f"knob {name!r} takes a number, not {value!r}") from None
    if number < 0:
        raise ValueError(f"knob {name!r} cannot be negative")
    return number


def _copy(value: Any) -> Any:
    if isinstance(value, dict):
        return {key: _copy(item) for key, item in value.items()}
    if isinstance(value, list):
        return list(value)
    return value


class Counters:
    """Calls and statuses by endpoint, and YouTube quota by project and Pacific day."""

    def __init__(self, clock: Clock | None = None) -> None:
        self._clock = clock or Clock()
        self._lock = threading.Lock()
        self.reset()

    def reset(self) -> None:
        with self._lock:
            self._calls: dict[str, int] = defaultdict(int)
            self._statuses: dict[str, dict[int, int]] = defaultdict(lambda: defaultdict(int))
            self._quota: dict[str, dict[str, Any]] = {}

    def hit(self, endpoint: str, status: int) -> None:
        with self._lock:
            self._calls[endpoint] += 1
            self._statuses[endpoint][int(status)] += 1

    def add_quota(self, project: str, units: int) -> int:
        """Charge ``units`` to ``project`` for today (Pacific) and return today's total."""
        day = self._clock.today_pacific()
        with self._lock:
            entry = self._quota.get(project)
            if entry is None or entry["day"] != day:
                entry = self._quota[project] = {"day": day, "used": 0}
            entry["used"] += int(units)
            return entry["used"]

    def quota_used(self, project: str) -> int:
        """Units charged to ``project`` today; a new Pacific day starts from zero."""
        day = self._clock.today_pacific()
        with self._lock:
            entry = self._quota.get(project)
            return entry["used"] if entry and entry["day"] == day else 0

    def calls(self, endpoint: str) -> int:
        with self._lock:
            return self._calls.get(endpoint, 0)

    def snapshot(self) -> dict[str, Any]:
        with self._lock:
            return {
                "calls": dict(self._calls),
                "statuses": {
                    endpoint: {str(status): n for status, n in by_status.items()}
                    for endpoint, by_status in self._statuses.items()
                },
                "quota": {project: dict(entry) for project, entry in self._quota.items()},
            }


class SandboxState:
    """Everything one sandbox holds. Take ``lock`` to read or change the worlds."""

    def __init__(self, seed: int = 0, *, populate: bool = True) -> None:
        self.clock = Clock()
        self.knobs = Knobs(seed=seed)
        self.counters = Counters(self.clock)
        self.lock = threading.RLock()
        # Conformance problems found in responses (filled only when a validator is wired).
        self.conformance_failures: list[str] = []
        # Bumped on every change that should reach the persistence file.
        self.generation = 0
        self.reset(seed=seed, populate=populate)

    def reset(self, seed: int | None = None, *, populate: bool = True) -> None:
        """Forget everything and rebuild the worlds from ``seed`` (demo users when populating).

        Knobs go back to their defaults, counters and the clock offset to zero.
        """
        from platforms.sandbox.spotify_world import SpotifyWorld

        with self.lock:
            seed = self.knobs.seed if seed is None else int(seed)
            self.knobs = Knobs(seed=seed)
            self.counters.reset()
            self.clock.set_offset(0)
            self.rng = random.Random(seed)
            self.conformance_failures = []
            self.spotify = SpotifyWorld()
            self.youtube = _new_youtube_world()
            if populate:
                from platforms.sandbox import seed as seeding

                seeding.populate(self, seed=seed)
            self.touch()

    def touch(self) -> None:
        """Note a change, so a persisting server saves soon."""
        self.generation += 1

    def fault_for(self, endpoint: str) -> tuple[float, int | None]:
        """Decide (latency seconds, status or None) for one call, from the knobs and rng."""
        with self.lock:
            latency = float(self.knobs.lookup("latency_ms", endpoint) or 0) / 1000
            queue_key = _match_key(self.knobs.fail_next, endpoint)
            if queue_key is not None and self.knobs.fail_next.get(queue_key):
                queue = self.knobs.fail_next[queue_key]
                status = queue.pop(0)
                if not queue:
                    del self.knobs.fail_next[queue_key]
                return latency, status
            p5xx = float(self.knobs.lookup("error_rate_5xx", endpoint) or 0)
            p429 = float(self.knobs.lookup("error_rate_429", endpoint) or 0)
            if p5xx and self.rng.random() < p5xx:
                return latency, self.rng.choice((500, 502, 503))
            if p429 and self.rng.random() < p429:
                return latency, 429
            return latency, None


def _new_youtube_world() -> Any:
    # The YouTube half is written alongside this one; the sandbox works without it.
    try:
        from platforms.sandbox.youtube_world import YouTubeWorld
    except ImportError:
        return None
    return YouTubeWorld()


ErrorFactory = Callable[[int], Response]


def maybe_fault(state: SandboxState, endpoint: str, error: ErrorFactory) -> Response | None:
    """Apply the latency knob and return an injected error response, or None to proceed.

    ``error(status)`` builds the platform's own error body (Spotify and Google differ),
    including headers such as ``Retry-After``. Call this before taking ``state.lock``:
    it sleeps for the latency knob. The caller still counts the returned response.
    """
    latency, status = state.fault_for(endpoint)
    if latency > 0:
        time.sleep(latency)
    return error(status) if status is not None else None


def json_response(
    body: Any, status: int = 200, headers: Mapping[str, str] | None = None
) -> Response:
    """A JSON response as the platforms send it: UTF-8, non-ASCII left readable."""
    payload = json.dumps(body, ensure_ascii=False, separators=(",", ":"))
    response = Response(payload, status=status, mimetype="application/json")
    response.headers["Content-Type"] = "application/json; charset=utf-8"
    for name, value in (headers or {}).items():
        response.headers[name] = value
    return response


def sandbox_root(request: Request) -> str:
    """The sandbox's base URL (no trailing slash) as the client reached it."""
    root = request.environ.get(ROOT_ENVIRON_KEY)
    return root if root else request.url_root.rstrip("/")


def absolute_url(request: Request, path: str) -> str:
    """``path`` (from the sandbox root, e.g. ``/spotify/api/v1/me``) as an absolute URL."""
    return sandbox_root(request) + (path if path.startswith("/") else "/" + path)


def read_json(request: Request) -> Any:
    """The request body as JSON, or None when empty; ValueError when it is not JSON."""
    raw = request.get_data(cache=True)
    if not raw.strip():
        return None
    try:
        return json.loads(raw)
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise ValueError(f"body is not valid JSON: {exc}") from None
