"""The sandbox as one WSGI application: both platforms, the control routes, an index page.

``create_app()`` composes ``/spotify`` (Accounts + Web API), ``/google`` and
``/youtube`` (when those modules exist), ``/_control/...`` for tests and benchmarks,
and ``/`` (a page listing the sandbox people). It optionally validates every JSON
body against the platform specs, and saves the worlds to a file so a restarted demo
keeps what the app synced.
"""

from __future__ import annotations

import html
import importlib
import json
import logging
import os
import tempfile
import threading
import time
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import Any

from werkzeug.exceptions import HTTPException
from werkzeug.middleware.dispatcher import DispatcherMiddleware
from werkzeug.routing import Map, Rule
from werkzeug.wrappers import Request, Response
from werkzeug.wsgi import get_current_url

from platforms.sandbox import spotify
from platforms.sandbox.core import ROOT_ENVIRON_KEY, SandboxState, json_response, read_json

log = logging.getLogger(__name__)

_UNSET: Any = object()
STATE_FORMAT = 1


def _setting(name: str, default: Any) -> Any:
    """A Django setting when Django is configured (the app and manage.py), else the default."""
    try:
        from django.conf import settings

        if settings.configured:
            return getattr(settings, name, default)
    except ImportError:
        pass
    return default


def _optional(module: str, attribute: str) -> Callable[..., Any] | None:
    """``module.attribute`` if the module exists: the YouTube half may not have landed yet."""
    try:
        loaded = importlib.import_module(f"platforms.sandbox.{module}")
    except ModuleNotFoundError as exc:
        if exc.name != f"platforms.sandbox.{module}":
            raise
        return None
    return getattr(loaded, attribute, None)


class SandboxApp:
    """The composed WSGI app. ``state`` is shared with whoever created it (tests, servers)."""

    def __init__(self, state: SandboxState, *, validate: bool = False) -> None:
        self.state = state
        self.validate = validate
        mounts: dict[str, Any] = {
            "/spotify": spotify.build_app(state),
            "/_control/spotify": spotify.control_routes(state),
        }
        for mount, module, attribute in (
            ("/google", "google", "build_app"),
            ("/youtube", "youtube", "build_app"),
            ("/_control/youtube", "youtube", "control_routes"),
        ):
            factory = _optional(module, attribute)
            if factory is not None:
                mounts[mount] = factory(state)
        self.mounted = sorted(mounts)
        self._inner = DispatcherMiddleware(self._root, mounts)
        self.persister: Persister | None = None

    def __call__(self, environ: dict[str, Any], start_response: Callable) -> Iterable[bytes]:
        # Record the sandbox root once, so halves mounted below it build the same links.
        # (The dispatcher moves the mount point from PATH_INFO to SCRIPT_NAME: read it first.)
        environ.setdefault(ROOT_ENVIRON_KEY, get_current_url(environ, root_only=True).rstrip("/"))
        path = environ.get("PATH_INFO", "")
        if path.startswith("/youtube/"):
            from platforms.sandbox.youtube import method_override

            environ = method_override(environ)
        method = environ.get("REQUEST_METHOD", "GET").upper()
        captured: dict[str, Any] = {}

        def capture(status: str, headers: list[tuple[str, str]], exc_info: Any = None) -> Any:
            captured["status"] = int(status.split()[0])
            captured["headers"] = headers
            return start_response(status, headers, exc_info)

        result = self._inner(environ, capture)
        status = captured.get("status", 200)
        if method not in ("GET", "HEAD") and status < 400 and not path.startswith("/_control/"):
            # Any successful write by a platform half may change what the demo should keep.
            self.state.touch()
        if self.validate and not path.startswith("/_control"):
            body = b"".join(result)
            if hasattr(result, "close"):
                result.close()
            self._check(environ, path, method, status, captured.get("headers", []), body)
            return [body]
        return result

    def _check(
        self,
        environ: dict[str, Any],
        path: str,
        method: str,
        status: int,
        headers: list[tuple[str, str]],
        body: bytes,
    ) -> None:
        from platforms.sandbox import conformance

        content_type = next((v for k, v in headers if k.lower() == "content-type"), "")
        if "json" not in content_type or not body:
            return
        try:
            payload = json.loads(body)
        except ValueError:
            self.state.conformance_failures.append(f"{method} {path} -> {status}: not JSON")
            return
        query = Request(environ).args.to_dict()
        problems = conformance.validate(path, method, status, payload, query=query)
        self.state.conformance_failures.extend(
            f"{method} {path} -> {status}: {problem}" for problem in problems
        )

    # --- root and generic control routes --------------------------------------------------

    _routes = Map(
        [
            Rule("/", endpoint="index", methods=["GET"]),
            Rule("/_control/knobs", endpoint="knobs", methods=["GET", "POST"]),
            Rule("/_control/counters", endpoint="counters", methods=["GET"]),
            Rule("/_control/counters/reset", endpoint="counters_reset", methods=["POST"]),
            Rule("/_control/clock", endpoint="clock", methods=["GET"]),
            Rule("/_control/clock/advance", endpoint="clock_advance", methods=["POST"]),
            Rule("/_control/reset", endpoint="reset", methods=["POST"]),
            Rule("/_control/seed", endpoint="seed", methods=["POST"]),
            Rule("/_control/large_library", endpoint="large_library", methods=["POST"]),
            Rule("/_control/conformance", endpoint="conformance", methods=["GET", "DELETE"]),
            Rule("/_control/save", endpoint="save", methods=["POST"]),
        ]
    )

    def _root(self, environ: dict[str, Any], start_response: Callable) -> Iterable[bytes]:
        request = Request(environ)
        try:
            name, _ = self._routes.bind_to_environ(environ).match()
            response = getattr(self, f"_do_{name}")(request)
        except HTTPException as exc:
            response = json_response({"error": exc.description}, exc.code or 500)
        except (KeyError, TypeError, ValueError) as exc:
            response = json_response({"error": f"bad request: {exc}"}, 400)
        return response(environ, start_response)

    def _do_index(self, request: Request) -> Response:
        return Response(render_index(self.state, self.mounted), mimetype="text/html")

    def _do_knobs(self, request: Request) -> Response:
        if request.method == "POST":
            values = read_json(request) or {}
            with self.state.lock:
                self.state.knobs.update(**values)
        return json_response(self.state.knobs.as_dict())

    def _do_counters(self, request: Request) -> Response:
        return json_response(self.state.counters.snapshot())

    def _do_counters_reset(self, request: Request) -> Response:
        self.state.counters.reset()
        return json_response(self.state.counters.snapshot())

    def _do_clock(self, request: Request) -> Response:
        clock = self.state.clock
        return json_response({"now": clock.now(), "offset": clock.offset})

    def _do_clock_advance(self, request: Request) -> Response:
        body = read_json(request) or {}
        if "offset" in body:
            self.state.clock.set_offset(float(body["offset"]))
        else:
            self.state.clock.advance(float(body["seconds"]))
        return self._do_clock(request)

    def _do_reset(self, request: Request) -> Response:
        body = read_json(request) or {}
        seed = body.get("seed")
        self.state.reset(
            seed=None if seed is None else int(seed), populate=bool(body.get("populate", True))
        )
        return json_response({"seed": self.state.knobs.seed})

    def _do_seed(self, request: Request) -> Response:
        from platforms.sandbox.seed import load_pairs_csv_text

        if request.mimetype in ("text/csv", "text/plain"):
            text = request.get_data(as_text=True)
        else:
            body = read_json(request) or {}
            text = Path(body["path"]).read_text(encoding="utf-8")
        limit = request.args.get("limit", type=int)
        added = load_pairs_csv_text(self.state, text, limit=limit)
        return json_response(added, 201)

    def _do_large_library(self, request: Request) -> Response:
        from platforms.sandbox.seed import seed_large_library

        body = read_json(request) or {}
        result = seed_large_library(
            self.state,
            str(body["user_id"]),
            n_tracks=int(body.get("n_tracks", 10_000)),
            playlists=body.get("playlists"),
            platforms=tuple(body.get("platforms", ("spotify", "youtube"))),
        )
        return json_response(result, 201)

    def _do_conformance(self, request: Request) -> Response:
        if request.method == "DELETE":
            self.state.conformance_failures.clear()
        return json_response({"failures": list(self.state.conformance_failures)})

    def _do_save(self, request: Request) -> Response:
        if self.persister is None:
            return json_response({"error": "this sandbox does not persist"}, 409)
        self.persister.save()
        return json_response({"saved": str(self.persister.path)})


def render_index(state: SandboxState, mounted: list[str]) -> str:
    esc = html.escape
    with state.lock:
        spotify_users = sorted(state.spotify.users.values(), key=lambda u: u.id)
        rows = []
        youtube_users = getattr(state.youtube, "users", {}) if state.youtube is not None else {}
        for user in spotify_users:
            playlists = len(state.spotify.user_playlists.get(user.id, []))
            saved = len(state.spotify.saved.get(user.id, {}))
            on_youtube = "yes" if user.id in youtube_users else "no"
            rows.append(
                f"<tr><td>{esc(user.id)}</td><td>{esc(user.display_name)}</td>"
                f"<td>{esc(user.email)}</td><td>{playlists}</td><td>{saved}</td>"
                f"<td>{on_youtube}</td></tr>"
            )
        tracks = len(state.spotify.tracks)
        videos = len(getattr(state.youtube, "videos", {}) or {})
    mounts = "".join(f"<li><code>{esc(m)}</code></li>" for m in mounted)
    return f"""<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>Music Sync Hub sandbox</title>
<style>body{{font-family:sans-serif;max-width:56rem;margin:2rem auto;padding:0 1rem}}
table{{border-collapse:collapse}}td,th{{border:1px solid #999;padding:.25rem .5rem}}</style>
</head><body><main>
<h1>Music Sync Hub sandbox</h1>
<p>Emulated Spotify and YouTube for tests and demos. Catalogue: {tracks} Spotify tracks,
{videos} YouTube videos. Seed {state.knobs.seed}.</p>
<h2>Sandbox people</h2>
<table><thead><tr><th scope="col">Id</th><th scope="col">Name</th><th scope="col">Email</th>
<th scope="col">Spotify playlists</th><th scope="col">Liked songs</th>
<th scope="col">On YouTube</th></tr></thead>
<tbody>{"".join(rows)}</tbody></table>
<h2>Mounted</h2><ul>{mounts}</ul>
<p>Control routes: <code>/_control/knobs</code>, <code>/_control/counters</code>,
<code>/_control/clock</code>, <code>/_control/reset</code>; see docs/sandbox.md.</p>
</main></body></html>
"""


class Persister:
    """Saves the worlds to a JSON file at most every ``interval`` seconds after a change."""

    def __init__(self, state: SandboxState, path: str | os.PathLike[str], interval: float = 2.0):
        self.state = state
        self.path = Path(path)
        self.interval = interval
        self._saved_generation = -1
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    def load(self) -> bool:
        """Replace the state's worlds with the file's; False (state untouched) if none."""
        if not self.path.exists():
            return False
        try:
            data = json.loads(self.path.read_text(encoding="utf-8"))
            if data.get("format") != STATE_FORMAT:
                raise ValueError(f"unknown format {data.get('format')!r}")
            restore(self.state, data)
        except (OSError, ValueError, KeyError, TypeError) as exc:
            log.warning("sandbox: could not load %s (%s); starting from the seed", self.path, exc)
            return False
        self._saved_generation = self.state.generation
        log.info("sandbox: loaded %s", self.path)
        return True

    def save(self) -> None:
        with self.state.lock:
            generation = self.state.generation
            data = snapshot(self.state)
        self.path.parent.mkdir(parents=True, exist_ok=True)
        # Write beside the target and rename, so a crash never leaves half a file.
        fd, tmp = tempfile.mkstemp(prefix=".sandbox-", suffix=".json", dir=self.path.parent)
        try:
            with os.fdopen(fd, "w", encoding="utf-8") as handle:
                json.dump(data, handle, ensure_ascii=False)
            os.replace(tmp, self.path)
        except BaseException:
            Path(tmp).unlink(missing_ok=True)
            raise
        self._saved_generation = generation

    def start(self) -> None:
        self._thread = threading.Thread(target=self._run, name="sandbox-persist", daemon=True)
        self._thread.start()

    def stop(self) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout=5)
        if self.state.generation != self._saved_generation:
            self.save()

    def _run(self) -> None:
        while not self._stop.wait(self.interval):
            if self.state.generation != self._saved_generation:
                try:
                    self.save()
                except OSError as exc:
                    log.warning("sandbox: could not save %s: %s", self.path, exc)


def snapshot(state: SandboxState) -> dict[str, Any]:
    youtube = state.youtube
    return {
        "format": STATE_FORMAT,
        "saved_at": time.time(),
        "seed": state.knobs.seed,
        "clock_offset": state.clock.offset,
        "spotify": state.spotify.to_dict(),
        "youtube": youtube.to_dict() if hasattr(youtube, "to_dict") else None,
    }


def restore(state: SandboxState, data: dict[str, Any]) -> None:
    from platforms.sandbox.spotify_world import SpotifyWorld

    spotify_world = SpotifyWorld.from_dict(data["spotify"])
    youtube = state.youtube
    youtube_world = youtube
    if data.get("youtube") is not None and hasattr(type(youtube), "from_dict"):
        youtube_world = type(youtube).from_dict(data["youtube"])
    with state.lock:
        state.knobs.seed = int(data.get("seed", state.knobs.seed))
        state.clock.set_offset(float(data.get("clock_offset", 0.0)))
        state.spotify = spotify_world
        state.youtube = youtube_world


def create_app(
    state: SandboxState | None = None,
    *,
    persist_path: str | os.PathLike[str] | None = _UNSET,
    validate: bool = False,
) -> SandboxApp:
    """The sandbox WSGI app.

    With no ``state`` a new one is seeded from the ``SANDBOX_SEED`` setting (default 0).
    ``persist_path`` left out means the ``SANDBOX_STATE_FILE`` setting (None in tests);
    given, the worlds are loaded from it at start and saved to it after changes.
    ``validate`` checks every JSON body against the specs (``state.conformance_failures``).
    """
    if state is None:
        state = SandboxState(seed=int(_setting("SANDBOX_SEED", 0) or 0))
    if persist_path is _UNSET:
        persist_path = _setting("SANDBOX_STATE_FILE", None)
    app = SandboxApp(state, validate=validate)
    if persist_path:
        persister = Persister(state, persist_path)
        persister.load()
        persister.start()
        app.persister = persister
    return app
