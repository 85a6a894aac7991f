"""The Spotify half of the sandbox over HTTP: the Accounts service and the Web API.

Mounted at ``/spotify`` by ``server.create_app``: ``/spotify/accounts/authorize``,
``/spotify/accounts/api/token`` and ``/spotify/api/v1/...``. Behaviour follows
``shared/specs/BEHAVIOURS.md`` sections A and B and the OpenAPI spec (Feb 2026 names).
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import html
import ipaddress
import math
import re
from collections.abc import Callable
from typing import Any
from urllib.parse import urlencode, urlsplit, urlunsplit

from werkzeug.exceptions import HTTPException, MethodNotAllowed, NotFound
from werkzeug.routing import Map, Rule
from werkzeug.wrappers import Request, Response

from platforms.sandbox.core import (
    SandboxState,
    absolute_url,
    json_response,
    maybe_fault,
    read_json,
)
from platforms.sandbox.spotify_world import (
    SIX_MONTHS,
    AccessToken,
    Playlist,
    PlaylistEntry,
    SpotifyWorld,
    Track,
    User,
    iso,
    spotify_id,
)

API = "/spotify/api/v1"
_ID = re.compile(r"^[0-9A-Za-z]{22}$")
_VERIFIER = re.compile(r"^[A-Za-z0-9\-._~]{43,128}$")
_MARKETS = ["CA", "DE", "ES", "FR", "GB", "IE", "JP", "KR", "SE", "US"]
SEARCH_TYPES = {"album", "artist", "playlist", "track", "show", "episode", "audiobook"}
_SEARCH_FIELD = re.compile(r'(\w+):"([^"]*)"|(\w+):(\S+)|"([^"]*)"|(\S+)')


class ApiError(Exception):
    """A Web API error: becomes ``{"error": {"status", "message"}}``."""

    def __init__(self, status: int, message: str, headers: dict[str, str] | None = None):
        super().__init__(message)
        self.status = status
        self.message = message
        self.headers = headers or {}


class TokenError(Exception):
    """An Accounts token endpoint error: ``{"error", "error_description"}`` with HTTP 400."""

    def __init__(self, error: str, description: str, status: int = 400):
        super().__init__(description)
        self.error = error
        self.description = description
        self.status = status


def error_response(status: int, message: str | None = None, **extra: Any) -> Response:
    messages = {
        400: "Bad request",
        401: "Invalid access token",
        403: "Forbidden",
        404: "Resource not found",
        429: "Too many requests",
        500: "Server error.",
        502: "Bad gateway.",
        503: "Service unavailable",
    }
    body: dict[str, Any] = {"status": status, "message": message or messages.get(status, "Error")}
    headers = {}
    if status == 429:
        body["reason"] = "QUOTA_EXCEEDED"
        headers["Retry-After"] = str(extra.get("retry_after", 1))
    return json_response({"error": body}, status, headers)


def _fault_factory(state: SandboxState) -> Callable[[int], Response]:
    def build(status: int) -> Response:
        return error_response(status, retry_after=state.knobs.spotify_retry_after)

    return build


# --- serialising -----------------------------------------------------------------------


class Render:
    """Turns world objects into Spotify JSON, with links built from the request."""

    def __init__(self, request: Request, world: SpotifyWorld):
        self.request = request
        self.world = world

    def api(self, path: str) -> str:
        return absolute_url(self.request, API + path)

    def images(self, key: str) -> list[dict[str, Any]]:
        url = absolute_url(self.request, f"/spotify/images/{key}.svg")
        return [
            {"url": f"{url}?size={size}", "height": size, "width": size} for size in (640, 300, 64)
        ]

    def user(self, user: User | None, user_id: str = "") -> dict[str, Any]:
        uid = user.id if user else user_id
        body = {
            "external_urls": {"spotify": f"https://open.spotify.com/user/{uid}"},
            "href": self.api(f"/users/{uid}"),
            "id": uid,
            "type": "user",
            "uri": f"spotify:user:{uid}",
        }
        return body

    def owner(self, user_id: str) -> dict[str, Any]:
        user = self.world.users.get(user_id)
        return {**self.user(user, user_id), "display_name": user.display_name if user else None}

    def artist(self, artist_id: str) -> dict[str, Any]:
        artist = self.world.artists[artist_id]
        return {
            "external_urls": {"spotify": f"https://open.spotify.com/artist/{artist.id}"},
            "href": self.api(f"/artists/{artist.id}"),
            "id": artist.id,
            "name": artist.name,
            "type": "artist",
            "uri": f"spotify:artist:{artist.id}",
        }

    def album(self, album_id: str) -> dict[str, Any]:
        album = self.world.albums[album_id]
        return {
            "album_type": album.album_type,
            "total_tracks": max(album.total_tracks, 1),
            "available_markets": _MARKETS,
            "external_urls": {"spotify": f"https://open.spotify.com/album/{album.id}"},
            "href": self.api(f"/albums/{album.id}"),
            "id": album.id,
            "images": self.images(album.id),
            "name": album.name,
            "release_date": album.release_date,
            "release_date_precision": "day",
            "type": "album",
            "uri": f"spotify:album:{album.id}",
            "artists": [self.artist(a) for a in album.artist_ids],
        }

    def track(self, track: Track) -> dict[str, Any]:
        body: dict[str, Any] = {
            "album": self.album(track.album_id),
            "artists": [self.artist(a) for a in track.artist_ids],
            "available_markets": _MARKETS if track.available else [],
            "disc_number": track.disc_number,
            "duration_ms": track.duration_ms,
            "explicit": track.explicit,
            "external_ids": {"isrc": track.isrc} if track.isrc else {},
            "external_urls": {"spotify": f"https://open.spotify.com/track/{track.id}"},
            "href": self.api(f"/tracks/{track.id}"),
            "id": track.id,
            "is_local": False,
            "is_playable": track.available,
            "name": track.name,
            "popularity": track.popularity,
            "preview_url": None,
            "track_number": track.track_number,
            "type": "track",
            "uri": track.uri,
        }
        if not track.available:
            body["restrictions"] = {"reason": "market"}
        return body

    def local_track(self, uri: str) -> dict[str, Any]:
        # Local files carry what the owner's tags said and nulls where Spotify has no id.
        _, _, artist, album, title, seconds = (uri.split(":") + [""] * 6)[:6]
        return {
            "album": {"name": album, "type": "album", "artists": [], "images": []},
            "artists": [{"name": artist, "type": "artist"}],
            "duration_ms": int(seconds or 0) * 1000,
            "explicit": False,
            "external_ids": {},
            "external_urls": {},
            "href": None,
            "id": None,
            "is_local": True,
            "name": title,
            "type": "track",
            "uri": uri,
        }

    def entry(self, entry: PlaylistEntry) -> dict[str, Any]:
        if entry.is_local:
            item: dict[str, Any] | None = self.local_track(entry.uri)
        else:
            track = self.world.track_for_uri(entry.uri)
            # Tracks Spotify no longer offers come back as null, a known client trap.
            item = self.track(track) if track is not None and track.available else None
        return {
            "added_at": iso(entry.added_at),
            "added_by": self.user(self.world.users.get(entry.added_by), entry.added_by),
            "is_local": entry.is_local,
            "item": item,
            "track": item,
        }

    def playlist_ref(self, playlist: Playlist, name: str) -> dict[str, Any]:
        return {
            "href": self.api(f"/playlists/{playlist.id}/{name}"),
            "total": len(playlist.entries),
        }

    def playlist_simple(self, playlist: Playlist) -> dict[str, Any]:
        return {
            "collaborative": playlist.collaborative,
            "description": playlist.description,
            "external_urls": {"spotify": f"https://open.spotify.com/playlist/{playlist.id}"},
            "href": self.api(f"/playlists/{playlist.id}"),
            "id": playlist.id,
            "images": self.images(playlist.id)[:1] if playlist.entries else [],
            "name": playlist.name,
            "owner": self.owner(playlist.owner_id),
            "public": playlist.public,
            "snapshot_id": playlist.snapshot_id,
            "items": self.playlist_ref(playlist, "items"),
            "tracks": self.playlist_ref(playlist, "tracks"),
            "type": "playlist",
            "uri": f"spotify:playlist:{playlist.id}",
        }

    def playlist_full(self, playlist: Playlist, with_items: bool) -> dict[str, Any]:
        body = self.playlist_simple(playlist)
        body["followers"] = {"href": None, "total": 0}
        if with_items:
            page_items = [self.entry(e) for e in playlist.entries[:100]]
            body["items"] = self.page(
                f"/playlists/{playlist.id}/items", page_items, len(playlist.entries), 100, 0, {}
            )
            body["tracks"] = self.page(
                f"/playlists/{playlist.id}/tracks", page_items, len(playlist.entries), 100, 0, {}
            )
        else:
            # Since February 2026 only owners and collaborators see a playlist's items.
            del body["items"], body["tracks"]
        return body

    def page(
        self,
        path: str,
        items: list[Any],
        total: int,
        limit: int,
        offset: int,
        args: dict[str, str],
    ) -> dict[str, Any]:
        def link(at: int) -> str:
            query = {k: v for k, v in args.items() if k not in ("offset", "limit")}
            query.update(offset=str(at), limit=str(limit))
            return self.api(f"{path}?{urlencode(query)}")

        return {
            "href": link(offset),
            "items": items,
            "limit": limit,
            "next": link(offset + limit) if offset + limit < total else None,
            "offset": offset,
            "previous": link(max(0, offset - limit)) if offset > 0 else None,
            "total": total,
        }


# --- the `fields` projection -------------------------------------------------------------


def parse_fields(spec: str) -> dict[str, Any]:
    """Parse Spotify's ``fields`` syntax (``items(added_at,track(name)),total``) to a tree."""
    position = 0

    def parse_level() -> dict[str, Any]:
        nonlocal position
        tree: dict[str, Any] = {}
        while position < len(spec):
            match = re.match(r"\s*(!?[A-Za-z0-9_]+(?:\.[A-Za-z0-9_]+)*)\s*", spec[position:])
            if not match:
                raise ApiError(400, "Invalid fields")
            path = match.group(1).split(".")
            position += match.end()
            sub: Any = None
            if position < len(spec) and spec[position] == "(":
                position += 1
                sub = parse_level()
                if position >= len(spec) or spec[position] != ")":
                    raise ApiError(400, "Invalid fields")
                position += 1
            node = tree
            for part in path[:-1]:
                node = node.setdefault(part, {}) or {}
            node[path[-1]] = sub
            if position < len(spec) and spec[position] == ",":
                position += 1
                continue
            break
        return tree

    tree = parse_level()
    if position != len(spec):
        raise ApiError(400, "Invalid fields")
    return tree


def project(value: Any, tree: dict[str, Any] | None) -> Any:
    if tree is None:
        return value
    if isinstance(value, list):
        return [project(item, tree) for item in value]
    if not isinstance(value, dict):
        return value
    excluded = {key[1:] for key in tree if key.startswith("!")}
    if excluded and len(excluded) == len(tree):
        return {k: v for k, v in value.items() if k not in excluded}
    return {key: project(value[key], sub) for key, sub in tree.items() if key in value}


# --- helpers for parameters ----------------------------------------------------------------


def int_arg(
    request: Request, name: str, default: int, low: int, high: int, message: str | None = None
) -> int:
    raw = request.args.get(name)
    if raw is None or raw == "":
        return default
    try:
        value = int(raw)
    except ValueError:
        raise ApiError(400, message or f"Invalid {name}") from None
    if not low <= value <= high:
        raise ApiError(400, message or f"Invalid {name}")
    return value


def split_csv(raw: str | None) -> list[str]:
    return [part.strip() for part in (raw or "").split(",") if part.strip()]


def track_id_from_uri(uri: str) -> str:
    if not uri.startswith("spotify:track:") or not _ID.match(uri[14:]):
        raise ApiError(400, f"Invalid track uri: {uri}")
    return uri[14:]


def check_id(value: str) -> str:
    if not _ID.match(value):
        raise ApiError(400, "Invalid base62 id")
    return value


def _loopback(host: str | None) -> bool:
    if not host:
        return False
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def redirect_uri_problem(uri: str, registered: list[str]) -> str | None:
    """Why Spotify would refuse ``uri`` (rules in force since 2025-11-27), or None."""
    try:
        parts = urlsplit(uri)
    except ValueError:
        return "Invalid redirect URI"
    if parts.fragment or not parts.netloc:
        return "Invalid redirect URI"
    if parts.scheme == "http":
        if parts.hostname == "localhost":
            return "Insecure redirect URI"
        if not _loopback(parts.hostname):
            return "Insecure redirect URI"
    elif parts.scheme != "https":
        return "Invalid redirect URI"
    if not registered:
        return None
    for known in registered:
        known_parts = urlsplit(known)
        if uri == known:
            return None
        # A loopback URI may carry a port that the registration left out.
        if _loopback(parts.hostname) and (
            parts.scheme,
            parts.hostname,
            parts.path,
            parts.query,
        ) == (known_parts.scheme, known_parts.hostname, known_parts.path, known_parts.query):
            return None
    return "Invalid redirect URI"


def with_query(uri: str, params: dict[str, str]) -> str:
    parts = urlsplit(uri)
    query = parts.query + ("&" if parts.query else "") + urlencode(params)
    return urlunsplit((parts.scheme, parts.netloc, parts.path, query, ""))


def s256(verifier: str) -> str:
    return (
        base64.urlsafe_b64encode(hashlib.sha256(verifier.encode()).digest()).rstrip(b"=").decode()
    )


# --- the consent page ------------------------------------------------------------------------

_CONSENT_PAGE = """<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>Spotify (sandbox) – Authorize</title>
<style>body{{font-family:sans-serif;max-width:32rem;margin:3rem auto;padding:0 1rem}}
button{{font-size:1rem;padding:.5rem 1.2rem;margin-right:.5rem}}</style></head>
<body><main>
<h1>Spotify sandbox</h1>
<p><strong>{app}</strong> wants to connect to your Spotify account.</p>
<p>It asks to:</p><ul>{scopes}</ul>
<form method="post" action="{action}">
{hidden}
<p><label for="user_id">Sign in as</label>
<select id="user_id" name="user_id">{users}</select></p>
<p><button type="submit" name="decision" value="agree">Agree</button>
<button type="submit" name="decision" value="cancel">Cancel</button></p>
</form>
<p><small>This is the Music Sync Hub sandbox, not Spotify.</small></p>
</main></body></html>
"""

_ERROR_PAGE = """<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>Spotify (sandbox) – Error</title></head>
<body><main><h1>Oops! Something went wrong</h1><p role="alert">{message}</p></main></body></html>
"""

_AUTHORIZE_PARAMS = (
    "client_id",
    "response_type",
    "redirect_uri",
    "state",
    "scope",
    "show_dialog",
    "code_challenge_method",
    "code_challenge",
)


def html_response(body: str, status: int = 200) -> Response:
    return Response(body, status=status, mimetype="text/html")


# --- the WSGI application ------------------------------------------------------------------

# (rule, endpoint name, methods); endpoint names become counter names "spotify.<name>.<verb>".
_ROUTES: list[tuple[str, str, list[str]]] = [
    ("/accounts/authorize", "authorize", ["GET", "POST"]),
    ("/accounts/api/token", "token", ["POST"]),
    ("/images/<key>.svg", "image", ["GET"]),
    ("/api/v1/me", "me", ["GET"]),
    ("/api/v1/me/playlists", "playlists_mine", ["GET", "POST"]),
    ("/api/v1/users/<user_id>", "user", ["GET"]),
    ("/api/v1/users/<user_id>/playlists", "user_playlists", ["GET", "POST"]),
    ("/api/v1/playlists/<playlist_id>", "playlist", ["GET", "PUT"]),
    ("/api/v1/playlists/<playlist_id>/items", "playlist_items", ["GET", "POST", "PUT", "DELETE"]),
    (
        "/api/v1/playlists/<playlist_id>/tracks",
        "playlist_tracks",
        ["GET", "POST", "PUT", "DELETE"],
    ),
    ("/api/v1/me/tracks", "saved_tracks", ["GET", "PUT", "DELETE"]),
    ("/api/v1/me/tracks/contains", "saved_tracks_contains", ["GET"]),
    ("/api/v1/me/library", "library", ["PUT", "DELETE"]),
    ("/api/v1/me/library/contains", "library_contains", ["GET"]),
    ("/api/v1/tracks/<track_id>", "track", ["GET"]),
    ("/api/v1/tracks", "tracks", ["GET"]),
    ("/api/v1/search", "search", ["GET"]),
]

# Scopes Spotify insists on, by endpoint and verb ("any of").
_SCOPES: dict[tuple[str, str], tuple[str, ...]] = {
    ("saved_tracks", "GET"): ("user-library-read",),
    ("saved_tracks", "PUT"): ("user-library-modify",),
    ("saved_tracks", "DELETE"): ("user-library-modify",),
    ("saved_tracks_contains", "GET"): ("user-library-read",),
    ("library", "PUT"): ("user-library-modify",),
    ("library", "DELETE"): ("user-library-modify",),
    ("library_contains", "GET"): ("user-library-read",),
}
_MODIFY_PLAYLISTS = ("playlist-modify-public", "playlist-modify-private")


class SpotifyApp:
    """WSGI application for everything under ``/spotify``."""

    def __init__(self, state: SandboxState):
        self.state = state
        self.url_map = Map(
            [Rule(path, endpoint=name, methods=methods) for path, name, methods in _ROUTES],
            strict_slashes=False,
        )

    def __call__(self, environ: dict[str, Any], start_response: Callable) -> Any:
        request = Request(environ)
        return self.dispatch(request)(environ, start_response)

    def dispatch(self, request: Request) -> Response:
        adapter = self.url_map.bind_to_environ(request.environ)
        try:
            name, args = adapter.match()
        except NotFound:
            return self._count("spotify.unknown", error_response(404, "Service not found"))
        except MethodNotAllowed:
            return self._count("spotify.unknown", error_response(405, "Method not allowed"))
        except HTTPException as exc:  # a redirect for a trailing slash, say
            return exc.get_response(request.environ)
        method = request.method.upper()
        endpoint = f"spotify.{name}.{method.lower()}"
        fault = maybe_fault(self.state, endpoint, _fault_factory(self.state))
        if fault is not None:
            return self._count(endpoint, fault)
        handler = getattr(self, f"do_{name}")
        try:
            if name in ("authorize", "token", "image"):
                response = handler(request, **args)
            else:
                response = self._api(request, name, method, handler, args)
        except ApiError as exc:
            response = json_response(
                {"error": {"status": exc.status, "message": exc.message}}, exc.status, exc.headers
            )
        except TokenError as exc:
            response = json_response(
                {"error": exc.error, "error_description": exc.description}, exc.status
            )
        if method != "GET" and response.status_code < 400:
            self.state.touch()
        return self._count(endpoint, response)

    def _count(self, endpoint: str, response: Response) -> Response:
        self.state.counters.hit(endpoint, response.status_code)
        return response

    # --- Web API plumbing ---------------------------------------------------------------

    def _api(
        self, request: Request, name: str, method: str, handler: Callable, args: dict[str, Any]
    ) -> Response:
        state = self.state
        with state.lock:
            world = state.spotify
            now = state.clock.now()
            token = self._authenticate(request, world, now)
            wait = world.rate_check(token.client_id, state.knobs.spotify_rate_limit, now)
            if wait is not None:
                retry = max(state.knobs.spotify_retry_after, math.ceil(wait))
                return error_response(429, "Too many requests", retry_after=retry)
            needed = _SCOPES.get((name, method))
            if needed and token.user_id and not set(needed) & set(token.scope.split()):
                raise ApiError(403, "Insufficient client scope")
            ctx = Ctx(request, world, token, now, Render(request, world))
            result = handler(ctx, **args)
        if isinstance(result, Response):
            return result
        status, body = result if isinstance(result, tuple) else (200, result)
        fields = request.args.get("fields")
        if fields and method == "GET":
            body = project(body, parse_fields(fields))
        return json_response(body, status)

    def _authenticate(self, request: Request, world: SpotifyWorld, now: float) -> AccessToken:
        # Only the Authorization header: the Web API's spec names OAuth 2.0 and no
        # access_token parameter, so a token in the query string counts as none.
        header = request.headers.get("Authorization", "")
        raw = header[7:].strip() if header[:7].lower() == "bearer " else ""
        if not raw:
            raise ApiError(401, "No token provided")
        token = world.access_tokens.get(raw)
        if token is None:
            raise ApiError(401, "Invalid access token")
        if token.expires_at <= now:
            raise ApiError(401, "The access token expired")
        return token

    # --- Accounts -------------------------------------------------------------------------

    def do_image(self, request: Request, key: str) -> Response:
        # Cover art for pages without internet: a square in a colour derived from the key.
        digest = hashlib.sha256(key.encode()).hexdigest()
        colour, accent = digest[:6], digest[6:12]
        svg = (
            '<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 64 64">'
            f'<rect width="64" height="64" fill="#{colour}"/>'
            f'<circle cx="32" cy="32" r="18" fill="#{accent}"/></svg>'
        )
        response = Response(svg, mimetype="image/svg+xml")
        response.headers["Cache-Control"] = "public, max-age=86400"
        return response

    def do_authorize(self, request: Request) -> Response:
        source = request.form if request.method == "POST" else request.args
        params = {name: source.get(name, "") for name in _AUTHORIZE_PARAMS}
        with self.state.lock:
            world = self.state.spotify
            client = world.clients.get(params["client_id"])
            if client is None:
                return html_response(
                    _ERROR_PAGE.format(message="INVALID_CLIENT: Invalid client"), 400
                )
            problem = redirect_uri_problem(params["redirect_uri"], client.redirect_uris)
            if problem:
                message = html.escape(f"INVALID_CLIENT: {problem}")
                return html_response(_ERROR_PAGE.format(message=message), 400)
            redirect = params["redirect_uri"]

            def back(**query: str) -> Response:
                if params["state"]:
                    query["state"] = params["state"]
                response = Response(status=302)
                response.headers["Location"] = with_query(redirect, query)
                return response

            if params["response_type"] != "code":
                # The implicit grant (response_type=token) was removed in 2025.
                return back(error="unsupported_response_type")
            method, challenge = params["code_challenge_method"], params["code_challenge"]
            if (method or challenge) and (method != "S256" or not challenge):
                return back(error="invalid_request")
            auto_user = getattr(world, "auto_consent", None)
            if request.method == "GET" and not auto_user:
                return self._consent_page(request, params, client.name, world)
            decision = (
                request.form.get("decision", "agree") if request.method == "POST" else "agree"
            )
            if decision != "agree":
                return back(error="access_denied")
            user_id = request.form.get("user_id", "") if request.method == "POST" else auto_user
            if user_id not in world.users:
                return back(error="access_denied")
            code = world.issue_code(
                client_id=client.client_id,
                user_id=user_id,
                redirect_uri=redirect,
                scope=" ".join(params["scope"].split()),
                code_challenge=challenge,
                code_challenge_method=method,
                now=self.state.clock.now(),
            )
            return back(code=code.code)

    def _consent_page(
        self, request: Request, params: dict[str, str], app_name: str, world: SpotifyWorld
    ) -> Response:
        esc = html.escape
        hidden = "\n".join(
            f'<input type="hidden" name="{esc(k)}" value="{esc(v)}">' for k, v in params.items()
        )
        users = "".join(
            f'<option value="{esc(u.id)}">{esc(u.display_name)} ({esc(u.id)})</option>'
            for u in sorted(world.users.values(), key=lambda u: u.id)
        )
        scopes = "".join(f"<li>{esc(s)}</li>" for s in params["scope"].split()) or (
            "<li>read your public profile</li>"
        )
        page = _CONSENT_PAGE.format(
            app=esc(app_name),
            scopes=scopes,
            action=esc(absolute_url(request, "/spotify/accounts/authorize")),
            hidden=hidden,
            users=users,
        )
        return html_response(page)

    def _client_from_request(self, request: Request, world: SpotifyWorld) -> tuple[str, bool]:
        """(client_id, authenticated with a secret); TokenError for a bad client."""
        header = request.headers.get("Authorization", "")
        if header[:6].lower() == "basic ":
            try:
                decoded = base64.b64decode(header[6:].strip()).decode()
                client_id, _, secret = decoded.partition(":")
            except (binascii.Error, UnicodeDecodeError):
                raise TokenError("invalid_client", "Invalid client") from None
        else:
            client_id = request.form.get("client_id", "")
            secret = request.form.get("client_secret", "")
        client = world.clients.get(client_id)
        if client is None:
            raise TokenError("invalid_client", "Invalid client")
        if secret:
            if not hmac.compare_digest(secret, client.secret):
                raise TokenError("invalid_client", "Invalid client secret")
            return client_id, True
        return client_id, False

    def do_token(self, request: Request) -> Response:
        grant = request.form.get("grant_type", "")
        if not grant:
            raise TokenError("unsupported_grant_type", "grant_type parameter is missing")
        if grant not in ("authorization_code", "refresh_token", "client_credentials"):
            raise TokenError(
                "unsupported_grant_type",
                "grant_type parameter is invalid",
            )
        state = self.state
        with state.lock:
            world = state.spotify
            now = state.clock.now()
            lifetime = state.knobs.spotify_token_lifetime
            client_id, confidential = self._client_from_request(request, world)
            if grant == "client_credentials":
                if not confidential:
                    raise TokenError("invalid_client", "Invalid client")
                access, _ = world.issue_tokens(
                    client_id=client_id, user_id=None, scope="", lifetime=lifetime, now=now
                )
                body = {
                    "access_token": access.token,
                    "token_type": "Bearer",
                    "expires_in": lifetime,
                }
                return _no_store(json_response(body))
            if grant == "authorization_code":
                access, refresh = self._redeem_code(request, world, client_id, confidential, now)
            else:
                access, refresh = self._refresh(request, world, client_id, confidential, now)
            assert refresh is not None
            body = {
                "access_token": access.token,
                "token_type": "Bearer",
                "scope": access.scope,
                "expires_in": lifetime,
                "refresh_token": refresh.token,
            }
            return _no_store(json_response(body))

    def _redeem_code(
        self,
        request: Request,
        world: SpotifyWorld,
        client_id: str,
        confidential: bool,
        now: float,
    ) -> tuple[AccessToken, Any]:
        form = request.form
        code = world.codes.get(form.get("code", ""))
        if code is None or code.expires_at <= now or code.client_id != client_id:
            raise TokenError("invalid_grant", "Invalid authorization code")
        if form.get("redirect_uri", "") != code.redirect_uri:
            raise TokenError("invalid_grant", "Invalid redirect URI")
        verifier = form.get("code_verifier", "")
        if code.code_challenge:
            if not verifier:
                raise TokenError("invalid_request", "code_verifier required")
            if not _VERIFIER.match(verifier) or not hmac.compare_digest(
                s256(verifier), code.code_challenge
            ):
                raise TokenError("invalid_grant", "code_verifier was incorrect")
        elif not confidential:
            raise TokenError("invalid_client", "Invalid client")
        # Codes are single-use: a second attempt finds nothing.
        del world.codes[code.code]
        return world.issue_tokens(
            client_id=client_id,
            user_id=code.user_id,
            scope=code.scope,
            lifetime=self.state.knobs.spotify_token_lifetime,
            now=now,
            auth_time=now,
            pkce=bool(code.code_challenge),
        )

    def _refresh(
        self,
        request: Request,
        world: SpotifyWorld,
        client_id: str,
        confidential: bool,
        now: float,
    ) -> tuple[AccessToken, Any]:
        old = world.refresh_tokens.get(request.form.get("refresh_token", ""))
        if old is None or old.client_id != client_id:
            raise TokenError("invalid_grant", "Invalid refresh token")
        if not old.pkce and not confidential:
            raise TokenError("invalid_client", "Invalid client")
        if old.auth_time + SIX_MONTHS <= now:
            del world.refresh_tokens[old.token]
            raise TokenError("invalid_grant", "Refresh token expired")
        # Rotation: the old refresh token stops working once used.
        del world.refresh_tokens[old.token]
        return world.issue_tokens(
            client_id=client_id,
            user_id=old.user_id,
            scope=old.scope,
            lifetime=self.state.knobs.spotify_token_lifetime,
            now=now,
            auth_time=old.auth_time,
            pkce=old.pkce,
        )

    # --- Web API endpoints ----------------------------------------------------------------

    def do_me(self, ctx: Ctx) -> Any:
        user = ctx.user()
        body = {**ctx.render.user(user), "display_name": user.display_name, "images": []}
        scopes = set(ctx.token.scope.split())
        if "user-read-email" in scopes:
            body["email"] = user.email
        if "user-read-private" in scopes:
            body.update(
                country=user.country,
                product=user.product,
                explicit_content={"filter_enabled": False, "filter_locked": False},
            )
        return body

    def do_user(self, ctx: Ctx, user_id: str) -> Any:
        user = ctx.world.users.get(user_id)
        if user is None:
            raise ApiError(404, "Resource not found")
        return {**ctx.render.user(user), "display_name": user.display_name, "images": []}

    def _playlists_page(self, ctx: Ctx, owner_id: str, path: str) -> Any:
        limit = int_arg(ctx.request, "limit", 20, 1, 50)
        offset = int_arg(ctx.request, "offset", 0, 0, 100_000)
        viewer = ctx.user().id
        scopes = set(ctx.token.scope.split())
        ids = ctx.world.user_playlists.get(owner_id, [])
        playlists = [ctx.world.playlists[i] for i in ids if i in ctx.world.playlists]
        if owner_id != viewer:
            playlists = [p for p in playlists if p.public]
        elif not scopes & {"playlist-read-private", "playlist-read-collaborative"}:
            playlists = [p for p in playlists if p.public]
        items = [ctx.render.playlist_simple(p) for p in playlists[offset : offset + limit]]
        return ctx.render.page(path, items, len(playlists), limit, offset, dict(ctx.request.args))

    def _create_playlist(self, ctx: Ctx) -> Any:
        user = ctx.user()
        ctx.require_scope(_MODIFY_PLAYLISTS)
        body = ctx.json_object()
        name = body.get("name")
        if not isinstance(name, str) or not name:
            raise ApiError(400, "Missing required field: name")
        public = body.get("public", True)
        collaborative = body.get("collaborative", False)
        if collaborative and public:
            raise ApiError(400, "Collaborative playlists cannot be public")
        playlist = ctx.world.create_playlist(
            user.id,
            name,
            description=str(body.get("description") or ""),
            public=bool(public),
            collaborative=bool(collaborative),
        )
        return 201, ctx.render.playlist_full(playlist, with_items=True)

    def do_playlists_mine(self, ctx: Ctx) -> Any:
        if ctx.request.method == "POST":
            return self._create_playlist(ctx)
        return self._playlists_page(ctx, ctx.user().id, "/me/playlists")

    def do_user_playlists(self, ctx: Ctx, user_id: str) -> Any:
        if ctx.request.method == "POST":
            if user_id != ctx.user().id:
                raise ApiError(403, "You cannot create a playlist for another user")
            return self._create_playlist(ctx)
        if user_id not in ctx.world.users:
            raise ApiError(404, "Resource not found")
        return self._playlists_page(ctx, user_id, f"/users/{user_id}/playlists")

    def do_playlist(self, ctx: Ctx, playlist_id: str) -> Any:
        playlist = ctx.playlist(playlist_id)
        viewer = ctx.user().id
        if ctx.request.method == "GET":
            readable = playlist.can_edit(viewer) or viewer in playlist.collaborators
            return ctx.render.playlist_full(playlist, with_items=readable)
        ctx.require_owner(playlist)
        body = ctx.json_object()
        if "name" in body:
            if not isinstance(body["name"], str) or not body["name"]:
                raise ApiError(400, "Invalid name")
            playlist.name = body["name"]
        if "description" in body:
            playlist.description = str(body["description"] or "")
        if "public" in body:
            playlist.public = bool(body["public"])
        if "collaborative" in body:
            playlist.collaborative = bool(body["collaborative"])
        if playlist.collaborative and playlist.public:
            raise ApiError(400, "Collaborative playlists cannot be public")
        playlist.bump()
        return Response(status=200)

    def do_playlist_items(self, ctx: Ctx, playlist_id: str, legacy: bool = False) -> Any:
        playlist = ctx.playlist(playlist_id)
        method = ctx.request.method
        if method == "GET":
            return self._list_items(ctx, playlist, legacy)
        ctx.require_editor(playlist)
        if method == "POST":
            return self._add_items(ctx, playlist)
        if method == "PUT":
            return self._update_items(ctx, playlist)
        return self._remove_items(ctx, playlist, "tracks" if legacy else "items")

    def do_playlist_tracks(self, ctx: Ctx, playlist_id: str) -> Any:
        return self.do_playlist_items(ctx, playlist_id, legacy=True)

    def _list_items(self, ctx: Ctx, playlist: Playlist, legacy: bool) -> Any:
        viewer = ctx.user().id
        if not (playlist.can_edit(viewer) or viewer in playlist.collaborators):
            raise ApiError(403, "Forbidden")
        limit = int_arg(ctx.request, "limit", 20, 1, 100 if legacy else 50)
        offset = int_arg(ctx.request, "offset", 0, 0, 1_000_000)
        entries = playlist.entries[offset : offset + limit]
        path = f"/playlists/{playlist.id}/{'tracks' if legacy else 'items'}"
        items = [ctx.render.entry(e) for e in entries]
        return ctx.render.page(
            path, items, len(playlist.entries), limit, offset, dict(ctx.request.args)
        )

    def _uris(self, ctx: Ctx, body: Any) -> list[str] | None:
        if "uris" in ctx.request.args:
            # A uris query parameter overrides the body, as the reference says.
            return split_csv(ctx.request.args["uris"])
        if isinstance(body, list):
            return [str(u) for u in body]
        if isinstance(body, dict) and "uris" in body:
            if not isinstance(body["uris"], list):
                raise ApiError(400, "uris must be an array")
            return [str(u) for u in body["uris"]]
        return None

    def _checked_track_uris(self, ctx: Ctx, uris: list[str]) -> list[str]:
        if len(uris) > 100:
            raise ApiError(400, "You can add a maximum of 100 tracks per request.")
        for uri in uris:
            if uri.startswith("spotify:episode:"):
                raise ApiError(400, "Payload contains a non-existing ID")
            track_id = track_id_from_uri(uri)
            if track_id not in ctx.world.tracks:
                raise ApiError(400, "Payload contains a non-existing ID")
        return uris

    def _add_items(self, ctx: Ctx, playlist: Playlist) -> Any:
        body = ctx.json_any()
        uris = self._uris(ctx, body)
        if not uris:
            raise ApiError(400, "No uris provided")
        self._checked_track_uris(ctx, uris)
        position: Any = ctx.request.args.get("position")
        if position is None and isinstance(body, dict):
            position = body.get("position")
        if position is not None:
            try:
                position = int(position)
            except (TypeError, ValueError):
                raise ApiError(400, "Invalid position") from None
            if not 0 <= position <= len(playlist.entries):
                raise ApiError(400, "Index out of bounds")
        snapshot = ctx.world.add_items(playlist, uris, ctx.user().id, ctx.now, position)
        return 201, {"snapshot_id": snapshot}

    def _update_items(self, ctx: Ctx, playlist: Playlist) -> Any:
        body = ctx.json_any()
        if body is not None and not isinstance(body, dict):
            raise ApiError(400, "Invalid request body")
        body = body or {}
        uris = self._uris(ctx, body)
        if uris is not None and "range_start" not in body:
            self._checked_track_uris(ctx, uris)
            return {"snapshot_id": ctx.world.replace_items(playlist, uris, ctx.user().id, ctx.now)}
        try:
            start = int(body["range_start"])
            before = int(body["insert_before"])
            length = int(body.get("range_length", 1) or 1)
        except KeyError as exc:
            raise ApiError(400, f"Missing required field: {exc.args[0]}") from None
        except (TypeError, ValueError):
            raise ApiError(400, "Invalid range") from None
        size = len(playlist.entries)
        if not (0 <= start < size and 0 <= before <= size and 1 <= length <= size - start):
            raise ApiError(400, "Index out of bounds")
        return {"snapshot_id": ctx.world.reorder_items(playlist, start, before, length)}

    def _remove_items(self, ctx: Ctx, playlist: Playlist, key: str) -> Any:
        body = ctx.json_object()
        wanted = body.get(key)
        if not isinstance(wanted, list) or not wanted:
            raise ApiError(400, f"Missing required field: {key}")
        if len(wanted) > 100:
            raise ApiError(400, "You can remove a maximum of 100 tracks per request.")
        everywhere: set[str] = set()
        positions: list[tuple[int, str]] = []
        for entry in wanted:
            if not isinstance(entry, dict) or not isinstance(entry.get("uri"), str):
                raise ApiError(400, "Invalid track uri")
            uri = entry["uri"]
            if not uri.startswith("spotify:local:"):
                track_id_from_uri(uri)
            if entry.get("positions"):
                positions.extend((int(p), uri) for p in entry["positions"])
            else:
                everywhere.add(uri)
        for at, uri in positions:
            if not 0 <= at < len(playlist.entries) or playlist.entries[at].uri != uri:
                raise ApiError(400, f"Could not remove tracks, please check parameters: {uri}")
        for at in sorted({p for p, _ in positions}, reverse=True):
            del playlist.entries[at]
        if everywhere:
            return {"snapshot_id": ctx.world.remove_items(playlist, everywhere)}
        return {"snapshot_id": playlist.bump()}

    def do_saved_tracks(self, ctx: Ctx) -> Any:
        user = ctx.user()
        method = ctx.request.method
        if method == "GET":
            limit = int_arg(ctx.request, "limit", 20, 1, 50)
            offset = int_arg(ctx.request, "offset", 0, 0, 1_000_000)
            saved = [
                (tid, at) for tid, at in ctx.world.saved_tracks(user.id) if tid in ctx.world.tracks
            ]
            items = [
                {"added_at": iso(at), "track": ctx.render.track(ctx.world.tracks[tid])}
                for tid, at in saved[offset : offset + limit]
            ]
            return ctx.render.page(
                "/me/tracks", items, len(saved), limit, offset, dict(ctx.request.args)
            )
        body = ctx.json_any()
        stamps: dict[str, float] = {}
        if "ids" in ctx.request.args:
            ids = split_csv(ctx.request.args["ids"])
        elif isinstance(body, dict) and isinstance(body.get("timestamped_ids"), list):
            ids = []
            for entry in body["timestamped_ids"]:
                ids.append(str(entry.get("id", "")))
                stamps[ids[-1]] = _parse_iso(str(entry.get("added_at", "")))
        elif isinstance(body, dict) and isinstance(body.get("ids"), list):
            ids = [str(i) for i in body["ids"]]
        else:
            raise ApiError(400, "Missing required field: ids")
        if not ids or len(ids) > 50:
            raise ApiError(400, "Too many ids requested" if ids else "Missing required field: ids")
        for track_id in ids:
            check_id(track_id)
        if method == "PUT":
            known = [i for i in ids if i in ctx.world.tracks]
            ctx.world.save_tracks(user.id, [i for i in known if i not in stamps], ctx.now)
            for track_id, at in stamps.items():
                if track_id in ctx.world.tracks:
                    ctx.world.saved.setdefault(user.id, {})[track_id] = at
        else:
            ctx.world.unsave_tracks(user.id, ids)
        return Response(status=200)

    def do_saved_tracks_contains(self, ctx: Ctx) -> Any:
        ids = split_csv(ctx.request.args.get("ids"))
        if not ids or len(ids) > 50:
            raise ApiError(
                400, "Too many ids requested" if ids else "Missing required parameter: ids"
            )
        saved = ctx.world.saved.get(ctx.user().id, {})
        return [i in saved for i in ids]

    def _library_uris(self, ctx: Ctx) -> list[str]:
        uris = split_csv(ctx.request.args.get("uris"))
        if not uris:
            raise ApiError(400, "Missing required parameter: uris")
        if len(uris) > 40:
            raise ApiError(400, "Too many uris requested. Maximum is 40.")
        for uri in uris:
            parts = uri.split(":")
            kinds = {"track", "album", "episode", "show", "audiobook", "user", "playlist", "artist"}
            if len(parts) != 3 or parts[0] != "spotify" or parts[1] not in kinds or not parts[2]:
                raise ApiError(400, f"Invalid URI: {uri}")
            if parts[1] == "track":
                check_id(parts[2])
        return uris

    def do_library(self, ctx: Ctx) -> Any:
        user = ctx.user()
        uris = self._library_uris(ctx)
        # Only tracks are modelled; other kinds are accepted and have no effect.
        ids = [u[14:] for u in uris if u.startswith("spotify:track:")]
        if ctx.request.method == "PUT":
            ctx.world.save_tracks(user.id, [i for i in ids if i in ctx.world.tracks], ctx.now)
        else:
            ctx.world.unsave_tracks(user.id, ids)
        return Response(status=200)

    def do_library_contains(self, ctx: Ctx) -> Any:
        uris = self._library_uris(ctx)
        saved = ctx.world.saved.get(ctx.user().id, {})
        return [u.startswith("spotify:track:") and u[14:] in saved for u in uris]

    def do_track(self, ctx: Ctx, track_id: str) -> Any:
        check_id(track_id)
        track = ctx.world.tracks.get(track_id)
        if track is None:
            raise ApiError(404, "Resource not found")
        return ctx.render.track(track)

    def do_tracks(self, ctx: Ctx) -> Any:
        ids = split_csv(ctx.request.args.get("ids"))
        if not ids:
            raise ApiError(400, "Missing required parameter: ids")
        if len(ids) > 50:
            raise ApiError(400, "Too many ids requested")
        for track_id in ids:
            check_id(track_id)
        tracks = [ctx.world.tracks.get(i) for i in ids]
        return {"tracks": [ctx.render.track(t) if t else None for t in tracks]}

    def do_search(self, ctx: Ctx) -> Any:
        query = ctx.request.args.get("q", "")
        if not query.strip():
            raise ApiError(400, "No search query")
        types = split_csv(ctx.request.args.get("type"))
        if not types:
            raise ApiError(400, "Missing parameter type")
        if not set(types) <= SEARCH_TYPES:
            raise ApiError(400, "Bad search type field")
        limit = int_arg(ctx.request, "limit", 5, 1, 10)
        offset = int_arg(ctx.request, "offset", 0, 0, 1000)
        args = dict(ctx.request.args)
        body: dict[str, Any] = {}
        for kind in types:
            if kind == "track":
                found = search_tracks(ctx.world, query)
                items = [
                    ctx.render.track(ctx.world.tracks[i]) for i in found[offset : offset + limit]
                ]
                total = len(found)
            else:
                # Only tracks are modelled; other kinds are answered, empty.
                items, total = [], 0
            body[f"{kind}s"] = ctx.render.page("/search", items, total, limit, offset, args)
        return body


class Ctx:
    """One API call's request, world, token and render helper."""

    def __init__(
        self, request: Request, world: SpotifyWorld, token: AccessToken, now: float, render: Render
    ):
        self.request = request
        self.world = world
        self.token = token
        self.now = now
        self.render = render

    def user(self) -> User:
        if self.token.user_id is None:
            raise ApiError(401, "This request requires user authentication.")
        user = self.world.users.get(self.token.user_id)
        if user is None:
            raise ApiError(401, "Invalid access token")
        return user

    def playlist(self, playlist_id: str) -> Playlist:
        check_id(playlist_id)
        self.user()
        playlist = self.world.playlists.get(playlist_id)
        if playlist is None:
            raise ApiError(404, "Resource not found")
        return playlist

    def require_scope(self, any_of: tuple[str, ...]) -> None:
        if not set(any_of) & set(self.token.scope.split()):
            raise ApiError(403, "Insufficient client scope")

    def require_owner(self, playlist: Playlist) -> None:
        if playlist.owner_id != self.user().id:
            raise ApiError(403, "Forbidden")
        self.require_scope(_MODIFY_PLAYLISTS)

    def require_editor(self, playlist: Playlist) -> None:
        if not playlist.can_edit(self.user().id):
            raise ApiError(403, "Forbidden")
        self.require_scope(_MODIFY_PLAYLISTS)

    def json_any(self) -> Any:
        try:
            return read_json(self.request)
        except ValueError:
            raise ApiError(400, "Error parsing json") from None

    def json_object(self) -> dict[str, Any]:
        body = self.json_any()
        if body is None:
            return {}
        if not isinstance(body, dict):
            raise ApiError(400, "Invalid request body")
        return body


def _parse_iso(value: str) -> float:
    from datetime import datetime

    try:
        return datetime.fromisoformat(value.replace("Z", "+00:00")).timestamp()
    except ValueError:
        raise ApiError(400, f"Invalid added_at: {value}") from None


def _no_store(response: Response) -> Response:
    response.headers["Cache-Control"] = "no-store"
    return response


def parse_search_query(query: str) -> tuple[str, dict[str, str]]:
    """Split ``q`` into free text and field filters (``artist:"A B" year:1990-1999``)."""
    free: list[str] = []
    filters: dict[str, str] = {}
    known = {"track", "artist", "album", "isrc", "year", "genre", "upc", "tag"}
    for match in _SEARCH_FIELD.finditer(query):
        field_name = (match.group(1) or match.group(3) or "").lower()
        value = match.group(2) if match.group(1) else match.group(4)
        if field_name in known and value is not None:
            filters[field_name] = (filters.get(field_name, "") + " " + value).strip()
        elif match.group(1) or match.group(3):
            free.append(match.group(0))
        else:
            free.append(match.group(5) if match.group(5) is not None else match.group(6))
    return " ".join(free), filters


def search_tracks(world: SpotifyWorld, query: str) -> list[str]:
    """Track ids for a search, best first, like a search engine (fuzzy, partial)."""
    text, filters = parse_search_query(query)
    isrc = filters.get("isrc", "").upper()
    years = _year_range(filters.get("year", ""))
    field_terms = {k: v for k, v in filters.items() if k in ("track", "artist", "album")}
    if not text and not field_terms:
        candidates = [t.id for t in world.tracks.values() if isrc and t.isrc.upper() == isrc]
    else:
        boost = {t.id: 0.05 * t.popularity / 100 for t in world.tracks.values()}
        candidates = world.index.search(text, field_terms=field_terms, boost=boost)
    results = []
    for track_id in candidates:
        track = world.tracks[track_id]
        if not track.available:
            continue
        if isrc and track.isrc.upper() != isrc:
            continue
        if years and not years[0] <= int(world.albums[track.album_id].release_date[:4]) <= years[1]:
            continue
        results.append(track_id)
    return results


def _year_range(value: str) -> tuple[int, int] | None:
    match = re.fullmatch(r"\s*(\d{4})(?:\s*-\s*(\d{4}))?\s*", value)
    if not match:
        return None
    low = int(match.group(1))
    return low, int(match.group(2) or low)


def build_app(state: SandboxState) -> SpotifyApp:
    """The WSGI app for ``/spotify`` (Accounts and Web API)."""
    return SpotifyApp(state)


# --- control routes for tests ---------------------------------------------------------------


def control_routes(state: SandboxState) -> Callable:
    """WSGI app for ``/_control/spotify``: inspect libraries, revoke tokens, auto-consent."""
    url_map = Map(
        [
            Rule("/users", endpoint="users", methods=["GET", "POST"]),
            Rule("/users/<user_id>", endpoint="user", methods=["GET"]),
            Rule("/users/<user_id>/playlists", endpoint="playlists", methods=["GET"]),
            Rule("/users/<user_id>/playlists/<playlist_id>", endpoint="playlist", methods=["GET"]),
            Rule("/users/<user_id>/saved", endpoint="saved", methods=["GET"]),
            Rule("/users/<user_id>/revoke", endpoint="revoke", methods=["POST"]),
            Rule("/auto_consent", endpoint="auto_consent", methods=["POST", "DELETE"]),
            Rule("/clients", endpoint="clients", methods=["POST"]),
            Rule("/tracks", endpoint="tracks", methods=["GET", "POST"]),
            Rule("/tracks/<track_id>", endpoint="track", methods=["GET", "PATCH"]),
        ]
    )

    def entry_json(world: SpotifyWorld, entry: PlaylistEntry) -> dict[str, Any]:
        track = world.track_for_uri(entry.uri)
        return {
            "uri": entry.uri,
            "added_at": iso(entry.added_at),
            "added_by": entry.added_by,
            "is_local": entry.is_local,
            "available": bool(track and track.available),
            "name": track.name if track else None,
            "artists": [world.artists[a].name for a in track.artist_ids] if track else [],
            "isrc": track.isrc if track else None,
        }

    def track_json(world: SpotifyWorld, track: Track) -> dict[str, Any]:
        return {
            "id": track.id,
            "uri": track.uri,
            "name": track.name,
            "artists": [world.artists[a].name for a in track.artist_ids],
            "album": world.albums[track.album_id].name,
            "duration_ms": track.duration_ms,
            "isrc": track.isrc,
            "available": track.available,
        }

    def playlist_json(world: SpotifyWorld, playlist: Playlist) -> dict[str, Any]:
        return {
            "id": playlist.id,
            "name": playlist.name,
            "description": playlist.description,
            "owner": playlist.owner_id,
            "public": playlist.public,
            "collaborative": playlist.collaborative,
            "collaborators": list(playlist.collaborators),
            "snapshot_id": playlist.snapshot_id,
            "items": [entry_json(world, e) for e in playlist.entries],
        }

    def handle(request: Request, name: str, args: dict[str, Any]) -> Response:
        world = state.spotify
        if name == "users" and request.method == "POST":
            body = read_json(request) or {}
            user = world.add_user(
                str(body["id"]),
                str(body.get("display_name", body["id"])),
                str(body.get("email", "")),
            )
            state.touch()
            return json_response({"id": user.id}, 201)
        if name == "users":
            users = [
                {"id": u.id, "display_name": u.display_name, "email": u.email}
                for u in world.users.values()
            ]
            return json_response({"users": users})
        if name == "auto_consent":
            if request.method == "DELETE":
                world.auto_consent = None
                return json_response({"auto_consent": None})
            user_id = str((read_json(request) or {}).get("user_id", ""))
            if user_id not in world.users:
                return json_response({"error": f"no such user {user_id!r}"}, 404)
            world.auto_consent = user_id
            return json_response({"auto_consent": user_id})
        if name == "clients":
            body = read_json(request) or {}
            client = world.add_client(
                str(body["client_id"]),
                str(body.get("secret", "")),
                name=str(body.get("name", "Sandbox app")),
                redirect_uris=[str(u) for u in body.get("redirect_uris", [])],
            )
            return json_response({"client_id": client.client_id}, 201)
        if name == "tracks" and request.method == "POST":
            body = read_json(request) or {}
            track = world.add_track(
                str(body["name"]),
                [str(a) for a in body["artists"]],
                str(body.get("album", body["name"])),
                int(body.get("duration_ms", 200_000)),
                isrc=str(body.get("isrc", "")),
                available=bool(body.get("available", True)),
                key=str(body.get("key", "")),
            )
            state.touch()
            return json_response(track_json(world, track), 201)
        if name == "tracks":
            query = request.args.get("q", "")
            found = search_tracks(world, query)[:50] if query else list(world.tracks)[:50]
            return json_response({"tracks": [track_json(world, world.tracks[i]) for i in found]})
        if name == "track":
            track = world.tracks.get(args["track_id"])
            if track is None:
                return json_response({"error": "no such track"}, 404)
            if request.method == "PATCH":
                body = read_json(request) or {}
                if "available" in body:
                    track.available = bool(body["available"])
                state.touch()
            return json_response(track_json(world, track))
        user_id = args["user_id"]
        if user_id not in world.users:
            return json_response({"error": f"no such user {user_id!r}"}, 404)
        if name == "user":
            user = world.users[user_id]
            return json_response(
                {
                    "id": user.id,
                    "display_name": user.display_name,
                    "email": user.email,
                    "playlists": len(world.user_playlists.get(user_id, [])),
                    "saved": len(world.saved.get(user_id, {})),
                }
            )
        if name == "revoke":
            return json_response({"revoked": world.revoke_user_tokens(user_id)})
        if name == "saved":
            saved = [
                {"added_at": iso(at), **track_json(world, world.tracks[tid])}
                for tid, at in world.saved_tracks(user_id)
                if tid in world.tracks
            ]
            return json_response({"items": saved, "total": len(saved)})
        if name == "playlists":
            ids = world.user_playlists.get(user_id, [])
            return json_response({"items": [playlist_json(world, world.playlists[i]) for i in ids]})
        playlist = world.playlists.get(args["playlist_id"])
        if playlist is None:
            return json_response({"error": "no such playlist"}, 404)
        return json_response(playlist_json(world, playlist))

    def app(environ: dict[str, Any], start_response: Callable) -> Any:
        request = Request(environ)
        try:
            name, args = url_map.bind_to_environ(environ).match()
        except HTTPException as exc:
            return json_response({"error": exc.description}, exc.code or 404)(
                environ, start_response
            )
        try:
            with state.lock:
                response = handle(request, name, args)
        except (KeyError, TypeError, ValueError) as exc:
            response = json_response({"error": f"bad request: {exc}"}, 400)
        return response(environ, start_response)

    return app


__all__ = ["build_app", "control_routes", "search_tracks", "spotify_id", "SIX_MONTHS"]
