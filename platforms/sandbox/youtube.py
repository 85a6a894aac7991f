"""The YouTube Data API v3 as the sandbox serves it, mounted at ``/youtube``.

google-api-python-client joins ``api_endpoint`` and the discovery paths, so requests
arrive here as ``/youtube/v3/<resource>``. Each request, in order: the fault knobs,
the OAuth token (401 ``authError``), the scope (403 ``insufficientPermissions``), the
quota of the client's Google project for today, Pacific time (403 ``quotaExceeded``;
every admitted request is charged, invalid ones included), then the method itself.
GET responses carry etags and answer ``If-None-Match`` with 304.

``control_routes(state)`` is the test-only app at ``/_control/youtube``: quota, a
person's playlists as they stand, token revocation and minting, video status.
"""

from __future__ import annotations

import base64
import html
import io
import json
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Any

from werkzeug.exceptions import HTTPException, MethodNotAllowed, NotFound
from werkzeug.routing import Map, Rule
from werkzeug.wrappers import Request, Response

from platforms.sandbox.core import SandboxState, maybe_fault
from platforms.sandbox.google import (
    DEFAULT_CLIENT_ID,
    bearer_token,
    google_json,
)
from platforms.sandbox.youtube_world import (
    LIKES_PLAYLIST,
    PLAYLIST_MAX_ITEMS,
    PRIVACY_STATUSES,
    VIDEO_STATUSES,
    Grant,
    Playlist,
    PlaylistFull,
    PlaylistItem,
    User,
    Video,
    YouTubeWorld,
    etag_of,
    iso,
    iso_duration,
)

WSGIApp = Callable[..., Iterable[bytes]]

QUOTA_MESSAGE = (
    "The request cannot be completed because you have exceeded your "
    '<a href="/youtube/v3/getting-started#quota">quota</a>.'
)
_READ_SCOPES = {
    "https://www.googleapis.com/auth/youtube",
    "https://www.googleapis.com/auth/youtube.force-ssl",
    "https://www.googleapis.com/auth/youtube.readonly",
    "https://www.googleapis.com/auth/youtubepartner",
}
_WRITE_SCOPES = _READ_SCOPES - {"https://www.googleapis.com/auth/youtube.readonly"}

# Parts each resource accepts; the ones we don't model are accepted and left out.
_PARTS = {
    "channels": {
        "auditDetails", "brandingSettings", "contentDetails", "contentOwnerDetails", "id",
        "localizations", "snippet", "statistics", "status", "topicDetails",
    },
    "playlists": {"contentDetails", "id", "localizations", "player", "snippet", "status"},
    "playlistItems": {"contentDetails", "id", "snippet", "status"},
    "videos": {
        "contentDetails", "fileDetails", "id", "liveStreamingDetails", "localizations",
        "player", "processingDetails", "recordingDetails", "snippet", "statistics",
        "status", "suggestions", "topicDetails",
    },
    "search": {"id", "snippet"},
}  # fmt: skip

# (path, HTTP method, method name as in the discovery doc, needs a write scope)
_ROUTES = [
    ("/youtube/v3/channels", "GET", "channels.list", False),
    ("/youtube/v3/playlists", "GET", "playlists.list", False),
    ("/youtube/v3/playlists", "POST", "playlists.insert", True),
    ("/youtube/v3/playlists", "PUT", "playlists.update", True),
    ("/youtube/v3/playlists", "DELETE", "playlists.delete", True),
    ("/youtube/v3/playlistItems", "GET", "playlistItems.list", False),
    ("/youtube/v3/playlistItems", "POST", "playlistItems.insert", True),
    ("/youtube/v3/playlistItems", "PUT", "playlistItems.update", True),
    ("/youtube/v3/playlistItems", "DELETE", "playlistItems.delete", True),
    ("/youtube/v3/videos", "GET", "videos.list", False),
    ("/youtube/v3/videos/rate", "POST", "videos.rate", True),
    ("/youtube/v3/videos/getRating", "GET", "videos.getRating", False),
    ("/youtube/v3/search", "GET", "search.list", False),
]


class ApiError(Exception):
    """A YouTube error response: ``{"error": {"code", "message", "errors": [...], "status"}}``."""

    _STATUS_NAMES = {
        400: "INVALID_ARGUMENT",
        401: "UNAUTHENTICATED",
        403: "PERMISSION_DENIED",
        404: "NOT_FOUND",
        409: "ABORTED",
        429: "RESOURCE_EXHAUSTED",
        500: "INTERNAL",
        503: "UNAVAILABLE",
    }

    def __init__(
        self,
        code: int,
        reason: str,
        message: str,
        domain: str = "global",
        *,
        location: str | None = None,
        location_type: str | None = None,
        error_message: str | None = None,
    ) -> None:
        super().__init__(f"{code} {reason}: {message}")
        self.code, self.reason, self.message, self.domain = code, reason, message, domain
        self.location, self.location_type = location, location_type
        self.error_message = error_message or message

    def body(self) -> dict[str, Any]:
        detail: dict[str, Any] = {
            "message": self.error_message,
            "domain": self.domain,
            "reason": self.reason,
        }
        if self.location:
            detail["location"] = self.location
            detail["locationType"] = self.location_type or "parameter"
        error = {"code": self.code, "message": self.message, "errors": [detail]}
        error["status"] = self._STATUS_NAMES.get(self.code, "UNKNOWN")
        return {"error": error}

    def response(self) -> Response:
        return google_json(self.body(), self.code)


def quota_exceeded() -> ApiError:
    return ApiError(403, "quotaExceeded", QUOTA_MESSAGE, "youtube.quota")


def rate_limit_exceeded(code: int = 429) -> ApiError:
    return ApiError(
        code,
        "rateLimitExceeded",
        "The request cannot be completed because you have exceeded your rate limit.",
        "usageLimits",
    )


def auth_error(reason: str = "authError", detail: str = "Invalid Credentials") -> ApiError:
    return ApiError(
        401,
        reason,
        "Request had invalid authentication credentials. Expected OAuth 2 access token, "
        "login cookie or other valid authentication credential. See "
        "https://developers.google.com/identity/sign-in/web/devconsole-project.",
        "global",
        location="Authorization",
        location_type="header",
        error_message=detail,
    )


def _required(name: str) -> ApiError:
    return ApiError(
        400, "required", f"Required parameter: {name}", location=name, error_message=(
            f"Required parameter: {name}"
        )
    )  # fmt: skip


def _fault(status: int) -> Response:
    """The error body an injected fault answers with (see docs/sandbox.md)."""
    if status == 429:
        error = rate_limit_exceeded(429)
    elif status == 403:
        error = quota_exceeded()
    elif status == 401:
        error = auth_error()
    elif status >= 500:
        reason, message = ("backendError", "Backend Error")
        if status == 503:
            message = "The service is currently unavailable."
        error = ApiError(status, reason, message)
    elif status == 404:
        error = ApiError(404, "notFound", "Not Found")
    else:
        error = ApiError(status, "badRequest", "Bad Request")
    return error.response()


# --- page tokens -------------------------------------------------------------------


def _varint(number: int) -> bytes:
    out = bytearray()
    while True:
        byte, number = number & 0x7F, number >> 7
        out.append(byte | (0x80 if number else 0))
        if not number:
            return bytes(out)


def encode_page_token(offset: int, backwards: bool = False) -> str:
    """YouTube's own token shape: protobuf ``{1: offset, 2: direction}``, unpadded base64.

    ``CAoQAA`` is "from 10, forwards"; ``CAoQAQ`` is "before 10", as in the samples.
    """
    raw = b"\x08" + _varint(offset) + b"\x10" + (b"\x01" if backwards else b"\x00")
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def decode_page_token(token: str) -> tuple[int, bool]:
    try:
        raw = base64.urlsafe_b64decode(token + "=" * (-len(token) % 4))
    except (ValueError, TypeError):
        raise _invalid_page_token() from None
    if len(raw) < 4 or raw[0] != 0x08 or raw[-2] != 0x10 or raw[-1] not in (0, 1):
        raise _invalid_page_token()
    offset, shift = 0, 0
    for byte in raw[1:-2]:
        offset |= (byte & 0x7F) << shift
        shift += 7
    if encode_page_token(offset, bool(raw[-1])) != token.rstrip("="):
        raise _invalid_page_token()
    return offset, bool(raw[-1])


def _invalid_page_token() -> ApiError:
    return ApiError(
        400,
        "invalidPageToken",
        "The request specifies an invalid page token.",
        "youtube.parameter",
        location="pageToken",
    )


@dataclass
class Page:
    start: int
    size: int
    total: int

    def fields(self) -> dict[str, Any]:
        out: dict[str, Any] = {}
        end = self.start + self.size
        if self.size and end < self.total:
            out["nextPageToken"] = encode_page_token(end)
        if self.start > 0:
            out["prevPageToken"] = encode_page_token(self.start, backwards=True)
        return out


# --- the API app ---------------------------------------------------------------------


class YouTubeApp:
    """The WSGI app mounted at ``/youtube``."""

    def __init__(self, state: SandboxState) -> None:
        self.state = state
        self.routes = {(path, method): (name, write) for path, method, name, write in _ROUTES}
        self.url_map = Map(
            [Rule(path, methods=[method], endpoint=(path, method)) for path, method, *_ in _ROUTES]
        )

    @property
    def world(self) -> YouTubeWorld:
        return self.state.youtube

    def __call__(self, environ: dict[str, Any], start_response: Callable[..., Any]) -> Any:
        request = Request(environ)
        adapter = self.url_map.bind_to_environ(environ)
        try:
            key, _ = adapter.match()
        except MethodNotAllowed:
            response = ApiError(405, "methodNotAllowed", "Method Not Allowed").response()
            self.state.counters.hit("youtube.unknown", 405)
            return response(environ, start_response)
        except (NotFound, HTTPException):
            response = ApiError(404, "notFound", "Not Found").response()
            self.state.counters.hit("youtube.unknown", 404)
            return response(environ, start_response)
        method_name, write = self.routes[key]
        endpoint = f"youtube.{method_name}"
        response = maybe_fault(self.state, endpoint, _fault)
        if response is None:
            with self.state.lock:
                response = self._serve(request, method_name, write)
                if request.method != "GET":
                    self.state.touch()
        self.state.counters.hit(endpoint, response.status_code)
        return response(environ, start_response)

    def _serve(self, request: Request, method_name: str, write: bool) -> Response:
        try:
            grant = self._authenticate(request, write)
            self._charge(grant.client_id, method_name)
            user = self.world.users.get(grant.user_id)
            if user is None:
                raise auth_error()
            handler = getattr(self, "do_" + method_name.replace(".", "_"))
            body = handler(request, user)
        except ApiError as exc:
            return exc.response()
        if body is None:
            return Response(status=204)
        if request.method == "GET" and _etag_matches(request, body):
            return Response(status=304)
        if request.args.get("prettyPrint", "true").lower() == "false":
            response = google_json(body)
            response.set_data(json.dumps(body, ensure_ascii=False, separators=(",", ":")))
            return response
        return google_json(body)

    def _authenticate(self, request: Request, write: bool) -> Grant:
        token = bearer_token(request)
        if not token:
            raise auth_error("required", "Login Required.")
        grant, _ = self.world.grant_for_access_token(token, self.state.clock.now())
        if grant is None:
            raise auth_error()
        scopes = set(grant.scope.split())
        if not scopes & (_WRITE_SCOPES if write else _READ_SCOPES):
            raise ApiError(
                403,
                "insufficientPermissions",
                "Request had insufficient authentication scopes.",
                error_message="Insufficient Permission",
            )
        return grant

    def _charge(self, project: str, method_name: str) -> None:
        costs = self.state.knobs.youtube_costs
        resource, verb = method_name.split(".")
        # "search.list", then "search" (the app's YOUTUBE_QUOTA_COSTS key), then "list".
        key = next((k for k in (method_name, resource, verb) if k in costs), None)
        cost = int(costs[key]) if key else 1
        used = self.state.counters.quota_used(project)
        if used + cost > int(self.state.knobs.youtube_daily_quota):
            raise quota_exceeded()
        self.state.counters.add_quota(project, cost)

    # --- shared helpers -------------------------------------------------------------

    @staticmethod
    def _parts(request: Request, resource: str) -> list[str]:
        raw = request.args.get("part", "")
        if not raw.strip():
            raise _required("part")
        parts = [p.strip() for p in raw.split(",") if p.strip()]
        for part in parts:
            if part not in _PARTS[resource]:
                raise ApiError(400, "unknownPart", f"'{part}'", "youtube.part", location="part")
        return parts

    @staticmethod
    def _page(request: Request, total: int, *, minimum: int = 0) -> Page:
        raw = request.args.get("maxResults", "5")
        try:
            size = int(raw)
        except ValueError:
            size = -1
        if not minimum <= size <= 50:
            raise ApiError(
                400,
                "invalidParameter",
                f"Invalid value '{raw}'. Values must be within the range: [{minimum}, 50]",
                location="maxResults",
            )
        start = 0
        token = request.args.get("pageToken")
        if token:
            offset, backwards = decode_page_token(token)
            start = max(0, offset - size) if backwards else offset
        return Page(start=start, size=size, total=total)

    @staticmethod
    def _list_body(kind: str, items: list[dict[str, Any]], page: Page, **extra: Any) -> dict:
        body: dict[str, Any] = {"kind": kind, "etag": ""}
        body.update(page.fields())
        body.update(extra)
        body["pageInfo"] = {"totalResults": page.total, "resultsPerPage": page.size}
        body["items"] = items
        body["etag"] = etag_of(kind, json.dumps(body, sort_keys=True))
        return body

    @staticmethod
    def _json_body(request: Request) -> dict[str, Any]:
        try:
            body = json.loads(request.get_data(cache=True) or b"{}")
        except (UnicodeDecodeError, json.JSONDecodeError):
            raise ApiError(400, "parseError", "Parse Error") from None
        if not isinstance(body, dict):
            raise ApiError(400, "parseError", "Parse Error")
        return body

    def _own_playlist(self, playlist_id: str, user: User, domain: str) -> Playlist:
        playlist = self.world.playlists.get(playlist_id)
        if playlist is None or (playlist.owner != user.id and playlist.privacy == "private"):
            raise _playlist_not_found(domain)
        if playlist.owner != user.id:
            raise ApiError(
                403,
                "playlistForbidden" if domain == "youtube.playlist" else "forbidden",
                "The playlist identified with the request's <code>id</code> parameter does "
                "not support the request or the request is not properly authorized."
                if domain == "youtube.playlist"
                else "Forbidden",
                domain,
            )
        return playlist

    def _now(self) -> float:
        return self.state.clock.now()

    # --- rendering ------------------------------------------------------------------

    def _channel_title(self, channel_id: str) -> str:
        channel = self.world.channels.get(channel_id)
        return channel.title if channel else ""

    def render_video(self, video: Video, parts: list[str]) -> dict[str, Any]:
        out: dict[str, Any] = {"kind": "youtube#video", "etag": "", "id": video.id}
        if "snippet" in parts:
            out["snippet"] = {
                "publishedAt": iso(video.published_at),
                "channelId": video.channel_id,
                "title": video.title,
                "description": video.description,
                "thumbnails": _thumbnails(video.id),
                "channelTitle": video.channel_title,
                "categoryId": "10",
                "liveBroadcastContent": "none",
                "localized": {"title": video.title, "description": video.description},
            }
        if "contentDetails" in parts:
            out["contentDetails"] = {
                "duration": iso_duration(video.duration_s),
                "dimension": "2d",
                "definition": "hd",
                "caption": "false",
                "licensedContent": True,
                "contentRating": {},
                "projection": "rectangular",
            }
        if "status" in parts:
            out["status"] = {
                "uploadStatus": "processed",
                "privacyStatus": video.status if video.status != "deleted" else "private",
                "license": "youtube",
                "embeddable": True,
                "publicStatsViewable": True,
                "madeForKids": False,
            }
        if "statistics" in parts:
            likes = sum(
                1 for u in self.world.users.values() if u.ratings.get(video.id, [""])[0] == "like"
            )
            views = int(etag_of("views", video.id).encode().hex()[:6], 16)
            out["statistics"] = {
                "viewCount": str(views),
                "likeCount": str(views // 50 + likes),
                "favoriteCount": "0",
                "commentCount": str(views // 1000),
            }
        if "player" in parts:
            out["player"] = {"embedHtml": _embed_html("embed/" + video.id)}
        out["etag"] = etag_of("video", video.version, json.dumps(out, sort_keys=True))
        return out

    def render_playlist(self, playlist: Playlist, parts: list[str]) -> dict[str, Any]:
        owner = self.world.users[playlist.owner]
        out: dict[str, Any] = {"kind": "youtube#playlist", "etag": "", "id": playlist.id}
        if "snippet" in parts:
            first = next(
                (i.video_id for i in playlist.items if self._video_visible(i.video_id, owner)),
                None,
            )
            out["snippet"] = {
                "publishedAt": iso(playlist.created_at),
                "channelId": owner.channel_id,
                "title": playlist.title,
                "description": playlist.description,
                "thumbnails": _thumbnails(first) if first else _no_thumbnails(),
                "channelTitle": self._channel_title(owner.channel_id),
                "localized": {"title": playlist.title, "description": playlist.description},
            }
        if "status" in parts:
            out["status"] = {"privacyStatus": playlist.privacy}
        if "contentDetails" in parts:
            out["contentDetails"] = {"itemCount": len(playlist.items)}
        if "player" in parts:
            out["player"] = {"embedHtml": _embed_html("embed/videoseries?list=" + playlist.id)}
        # The playlist's version covers its items, so an etag tells whether to re-read them.
        out["etag"] = etag_of("playlist", playlist.version, json.dumps(out, sort_keys=True))
        return out

    def _video_visible(self, video_id: str, viewer: User) -> bool:
        video = self.world.videos.get(video_id)
        if video is None or video.status == "deleted":
            return False
        if video.status == "private":
            return self.world.channels.get(video.channel_id, None) is not None and (
                self.world.channels[video.channel_id].user_id == viewer.id
            )
        return True

    def render_item(
        self,
        playlist_id: str,
        owner: User,
        item: PlaylistItem,
        position: int,
        parts: list[str],
        viewer: User,
    ) -> dict[str, Any]:
        video = self.world.videos.get(item.video_id)
        visible = self._video_visible(item.video_id, viewer)
        out: dict[str, Any] = {"kind": "youtube#playlistItem", "etag": "", "id": item.id}
        if "snippet" in parts:
            snippet: dict[str, Any] = {
                "publishedAt": iso(item.added_at),
                "channelId": owner.channel_id,
            }
            if visible and video is not None:
                snippet["title"] = video.title
                snippet["description"] = video.description
                snippet["thumbnails"] = _thumbnails(video.id)
            elif video is not None and video.status == "private":
                # How YouTube shows a video that became private: a stub without its owner.
                snippet["title"] = "Private video"
                snippet["description"] = "This video is private."
                snippet["thumbnails"] = {}
            else:
                snippet["title"] = "Deleted video"
                snippet["description"] = "This video is unavailable."
                snippet["thumbnails"] = {}
            snippet["channelTitle"] = self._channel_title(owner.channel_id)
            snippet["playlistId"] = playlist_id
            snippet["position"] = position
            snippet["resourceId"] = {"kind": "youtube#video", "videoId": item.video_id}
            if visible and video is not None:
                snippet["videoOwnerChannelTitle"] = video.channel_title
                snippet["videoOwnerChannelId"] = video.channel_id
            out["snippet"] = snippet
        if "contentDetails" in parts:
            details: dict[str, Any] = {"videoId": item.video_id}
            if item.note:
                details["note"] = item.note
            if visible and video is not None:
                details["videoPublishedAt"] = iso(video.published_at)
            out["contentDetails"] = details
        if "status" in parts:
            if video is not None and video.status in PRIVACY_STATUSES:
                out["status"] = {"privacyStatus": video.status}
            else:
                out["status"] = {"privacyStatus": "privacyStatusUnspecified"}
        version = (item.version, video.version if video else -1)
        out["etag"] = etag_of("playlistItem", version, json.dumps(out, sort_keys=True))
        return out

    def render_channel(
        self, user: User | None, channel_id: str, parts: list[str], mine: bool
    ) -> dict[str, Any]:
        channel = self.world.channels[channel_id]
        out: dict[str, Any] = {"kind": "youtube#channel", "etag": "", "id": channel.id}
        if "snippet" in parts:
            out["snippet"] = {
                "title": channel.title,
                "description": channel.description,
                "customUrl": "@" + "".join(ch for ch in channel.title.lower() if ch.isalnum()),
                "publishedAt": iso(channel.published_at),
                "thumbnails": _no_thumbnails(),
                "localized": {"title": channel.title, "description": channel.description},
            }
        if "contentDetails" in parts:
            related = {"uploads": "UU" + channel.id[2:]}
            if mine:
                related = {"likes": LIKES_PLAYLIST, **related}
            out["contentDetails"] = {"relatedPlaylists": related}
        if "statistics" in parts:
            uploads = sum(1 for v in self.world.videos.values() if v.channel_id == channel.id)
            out["statistics"] = {
                "viewCount": "0",
                "subscriberCount": "0",
                "hiddenSubscriberCount": False,
                "videoCount": str(uploads),
            }
        if "status" in parts:
            out["status"] = {
                "privacyStatus": "public",
                "isLinked": True,
                "longUploadsStatus": "longUploadsUnspecified",
            }
        out["etag"] = etag_of("channel", json.dumps(out, sort_keys=True))
        return out

    # --- channels -------------------------------------------------------------------

    def do_channels_list(self, request: Request, user: User) -> dict[str, Any]:
        parts = self._parts(request, "channels")
        if request.args.get("mine", "").lower() == "true":
            ids = [user.channel_id]
        elif request.args.get("id"):
            ids = [c for c in request.args["id"].split(",") if c in self.world.channels]
        else:
            raise ApiError(
                400,
                "missingRequiredParameter",
                "No filter selected. Expected one of: forUsername, managedByMe, "
                "categoryId, mySubscribers, id, mine, forHandle",
                "youtube.parameter",
            )
        page = self._page(request, len(ids))
        items = [
            self.render_channel(user, cid, parts, mine=cid == user.channel_id)
            for cid in ids[page.start : page.start + page.size]
        ]
        return self._list_body("youtube#channelListResponse", items, page)

    # --- playlists ------------------------------------------------------------------

    def do_playlists_list(self, request: Request, user: User) -> dict[str, Any]:
        parts = self._parts(request, "playlists")
        args = request.args
        if args.get("mine", "").lower() == "true":
            playlists = self.world.playlists_of(user.id)
        elif args.get("id"):
            playlists = [
                p
                for pid in args["id"].split(",")
                if (p := self.world.playlists.get(pid.strip()))
                and (p.owner == user.id or p.privacy != "private")
            ]
        elif args.get("channelId"):
            owner = next(
                (u for u in self.world.users.values() if u.channel_id == args["channelId"]),
                None,
            )
            playlists = [
                p
                for p in (self.world.playlists_of(owner.id) if owner else [])
                if p.owner == user.id or p.privacy == "public"
            ]
        else:
            raise ApiError(
                400,
                "missingRequiredParameter",
                "No filter selected. Expected one of: channelId, id, mine",
                "youtube.parameter",
            )
        page = self._page(request, len(playlists))
        items = [
            self.render_playlist(p, parts) for p in playlists[page.start : page.start + page.size]
        ]
        return self._list_body("youtube#playlistListResponse", items, page)

    def _playlist_fields(self, body: dict[str, Any], parts: list[str]) -> dict[str, Any]:
        snippet = body.get("snippet") or {}
        title = snippet.get("title")
        if not isinstance(title, str) or not title.strip():
            raise ApiError(
                400,
                "playlistTitleRequired",
                "The request must specify a playlist title.",
                "youtube.playlist",
            )
        if len(title) > 150:
            raise ApiError(
                400,
                "invalidPlaylistSnippet",
                "The request provides an invalid playlist snippet.",
                "youtube.playlist",
            )
        fields = {"title": title, "description": str(snippet.get("description") or "")}
        if "status" in parts:
            privacy = (body.get("status") or {}).get("privacyStatus", "public")
            if privacy not in PRIVACY_STATUSES:
                raise ApiError(
                    400, "invalidPrivacyStatus", "Invalid privacy status.", "youtube.playlist"
                )
            fields["privacy"] = privacy
        return fields

    def do_playlists_insert(self, request: Request, user: User) -> dict[str, Any]:
        parts = self._parts(request, "playlists")
        fields = self._playlist_fields(self._json_body(request), parts)
        playlist = self.world.create_playlist(
            user.id,
            title=fields["title"],
            description=fields["description"],
            privacy=fields.get("privacy", "public"),
            at=self._now(),
        )
        return self.render_playlist(playlist, parts)

    def do_playlists_update(self, request: Request, user: User) -> dict[str, Any]:
        parts = self._parts(request, "playlists")
        body = self._json_body(request)
        playlist_id = body.get("id")
        if not playlist_id:
            raise _required("id")
        playlist = self._own_playlist(playlist_id, user, "youtube.playlist")
        fields = self._playlist_fields(body, parts)
        # An update replaces the parts it names: a left-out description is cleared.
        playlist.title, playlist.description = fields["title"], fields["description"]
        if "privacy" in fields:
            playlist.privacy = fields["privacy"]
        playlist.version += 1
        return self.render_playlist(playlist, parts)

    def do_playlists_delete(self, request: Request, user: User) -> None:
        playlist_id = request.args.get("id")
        if not playlist_id:
            raise _required("id")
        playlist = self._own_playlist(playlist_id, user, "youtube.playlist")
        self.world.delete_playlist(playlist)
        return None

    # --- playlist items -------------------------------------------------------------

    def _items_of(self, playlist_id: str, user: User) -> tuple[User, list[PlaylistItem]]:
        if playlist_id == LIKES_PLAYLIST:
            return user, self.world.liked_items(user.id)
        playlist = self.world.playlists.get(playlist_id)
        if playlist is None or (playlist.owner != user.id and playlist.privacy == "private"):
            raise _playlist_not_found("youtube.playlistItem")
        return self.world.users[playlist.owner], playlist.items

    def do_playlistItems_list(self, request: Request, user: User) -> dict[str, Any]:
        parts = self._parts(request, "playlistItems")
        args = request.args
        if args.get("playlistId"):
            playlist_id = args["playlistId"]
            owner, items = self._items_of(playlist_id, user)
            rows = list(enumerate(items))
            if args.get("videoId"):
                rows = [(pos, item) for pos, item in rows if item.video_id == args["videoId"]]
            page = self._page(request, len(rows))
            rendered = [
                self.render_item(playlist_id, owner, item, pos, parts, user)
                for pos, item in rows[page.start : page.start + page.size]
            ]
        elif args.get("id"):
            found = [self.world.find_item(i.strip()) for i in args["id"].split(",")]
            rows_by_id = [
                (p, item)
                for p, item in (f for f in found if f)
                if p.owner == user.id or p.privacy != "private"
            ]
            page = self._page(request, len(rows_by_id))
            rendered = [
                self.render_item(
                    p.id, self.world.users[p.owner], item, p.items.index(item), parts, user
                )
                for p, item in rows_by_id[page.start : page.start + page.size]
            ]
        else:
            raise ApiError(
                400,
                "missingRequiredParameter",
                "No filter selected. Expected one of: id, playlistId",
                "youtube.parameter",
            )
        return self._list_body("youtube#playlistItemListResponse", rendered, page)

    def _video_for_insert(self, snippet: dict[str, Any], user: User) -> str:
        resource = snippet.get("resourceId") or {}
        video_id = resource.get("videoId")
        if resource.get("kind", "youtube#video") != "youtube#video" or not video_id:
            raise ApiError(
                400,
                "invalidResourceId",
                "The resource ID specified in the request is invalid.",
                "youtube.playlistItem",
            )
        if not self._video_visible(video_id, user):
            raise ApiError(404, "videoNotFound", "Video not found.", "youtube.playlistItem")
        return video_id

    def do_playlistItems_insert(self, request: Request, user: User) -> dict[str, Any]:
        parts = self._parts(request, "playlistItems")
        body = self._json_body(request)
        snippet = body.get("snippet") or {}
        playlist_id = snippet.get("playlistId")
        if not playlist_id:
            raise ApiError(
                400,
                "playlistIdRequired",
                "The request must specify a playlist ID.",
                "youtube.playlistItem",
            )
        if playlist_id == LIKES_PLAYLIST:
            # Adding to the likes playlist is how YouTube's API once liked a video.
            video_id = self._video_for_insert(snippet, user)
            self.world.rate(user.id, video_id, "like", at=self._now())
            items = self.world.liked_items(user.id)
            item = next(i for i in items if i.video_id == video_id)
            return self.render_item(LIKES_PLAYLIST, user, item, items.index(item), parts, user)
        playlist = self._own_playlist(playlist_id, user, "youtube.playlistItem")
        video_id = self._video_for_insert(snippet, user)
        position = snippet.get("position")
        if position is not None and (
            not isinstance(position, int) or not 0 <= position <= len(playlist.items)
        ):
            raise ApiError(
                400,
                "invalidPlaylistItemPosition",
                "Request contains an invalid playlist item position.",
                "youtube.playlistItem",
            )
        note = str((body.get("contentDetails") or {}).get("note") or "")
        try:
            item = self.world.insert_item(
                playlist, video_id, position=position, note=note, at=self._now()
            )
        except PlaylistFull:
            raise ApiError(
                403,
                "playlistContainsMaximumNumberOfVideos",
                f"The playlist already contains the maximum allowed number of items "
                f"({PLAYLIST_MAX_ITEMS}).",
                "youtube.playlistItem",
            ) from None
        owner = self.world.users[playlist.owner]
        return self.render_item(playlist.id, owner, item, playlist.items.index(item), parts, user)

    def do_playlistItems_update(self, request: Request, user: User) -> dict[str, Any]:
        parts = self._parts(request, "playlistItems")
        body = self._json_body(request)
        item_id = body.get("id")
        if not item_id:
            raise _required("id")
        found = self.world.find_item(item_id)
        if found is None:
            raise _item_not_found()
        playlist, item = found
        self._own_playlist(playlist.id, user, "youtube.playlistItem")
        snippet = body.get("snippet") or {}
        position = snippet.get("position")
        if position is not None:
            if not isinstance(position, int) or not 0 <= position < len(playlist.items):
                raise ApiError(
                    400,
                    "invalidPlaylistItemPosition",
                    "Request contains an invalid playlist item position.",
                    "youtube.playlistItem",
                )
            self.world.move_item(playlist, item, position)
        if "contentDetails" in parts:
            item.note = str((body.get("contentDetails") or {}).get("note") or "")
            item.version += 1
            playlist.version += 1
        owner = self.world.users[playlist.owner]
        return self.render_item(playlist.id, owner, item, playlist.items.index(item), parts, user)

    def do_playlistItems_delete(self, request: Request, user: User) -> None:
        item_id = request.args.get("id")
        if not item_id:
            raise _required("id")
        found = self.world.find_item(item_id)
        if found is None:
            liked = {i.id: i for i in self.world.liked_items(user.id)}
            if item_id in liked:
                self.world.rate(user.id, liked[item_id].video_id, "none", at=self._now())
                return None
            raise _item_not_found()
        playlist, item = found
        self._own_playlist(playlist.id, user, "youtube.playlistItem")
        self.world.remove_item(playlist, item)
        return None

    # --- videos ---------------------------------------------------------------------

    def do_videos_list(self, request: Request, user: User) -> dict[str, Any]:
        parts = self._parts(request, "videos")
        args = request.args
        filters = [name for name in ("id", "myRating", "chart") if args.get(name)]
        if len(filters) != 1:
            raise ApiError(
                400,
                "missingRequiredParameter",
                "No filter selected. Expected one of: myRating, id, chart",
                "youtube.parameter",
            )
        if filters[0] == "id":
            ids = list(dict.fromkeys(v.strip() for v in args["id"].split(",") if v.strip()))
            if len(ids) > 50:
                raise ApiError(
                    400,
                    "invalidValue",
                    "Invalid value for parameter id: at most 50 ids.",
                    location="id",
                )
            # Unknown, deleted and others' private videos are left out, not reported.
            videos = [
                self.world.videos[v] for v in ids if v in self.world.videos
                and self._video_visible(v, user)
            ]  # fmt: skip
            page = Page(start=0, size=len(videos), total=len(videos))
            if args.get("pageToken"):
                decode_page_token(args["pageToken"])
        elif filters[0] == "myRating":
            rating = args["myRating"]
            if rating not in ("like", "dislike"):
                raise ApiError(
                    400, "invalidRating", "Invalid rating.", "youtube.video", location="myRating"
                )
            if rating == "like":
                ids = user.liked()
            else:
                ids = [v for v, (r, _) in user.ratings.items() if r == "dislike"]
            videos = [self.world.videos[v] for v in ids if self._video_visible(v, user)]
            page = self._page(request, len(videos), minimum=1)
        else:
            videos = sorted(
                (v for v in self.world.videos.values() if v.status == "public"),
                key=lambda v: v.id,
            )[:200]
            page = self._page(request, len(videos), minimum=1)
        items = [self.render_video(v, parts) for v in videos[page.start : page.start + page.size]]
        return self._list_body("youtube#videoListResponse", items, page)

    def do_videos_rate(self, request: Request, user: User) -> None:
        video_id = request.args.get("id")
        if not video_id:
            raise _required("id")
        rating = request.args.get("rating")
        if not rating:
            raise _required("rating")
        if rating not in ("like", "dislike", "none"):
            raise ApiError(
                400,
                "invalidRating",
                "The request contained an unexpected value for the <code>rating</code> parameter.",
                "youtube.video",
                location="rating",
            )
        if not self._video_visible(video_id, user):
            raise ApiError(
                404,
                "videoNotFound",
                "The video that you are trying to rate cannot be found. Check the value of "
                "the <code>id</code> parameter in the request to ensure that it is correct.",
                "youtube.video",
                location="id",
            )
        self.world.rate(user.id, video_id, rating, at=self._now())
        return None

    def do_videos_getRating(self, request: Request, user: User) -> dict[str, Any]:
        raw = request.args.get("id")
        if not raw:
            raise _required("id")
        items = []
        for video_id in dict.fromkeys(v.strip() for v in raw.split(",") if v.strip()):
            if video_id in self.world.videos:
                rating = user.ratings.get(video_id, ["none"])[0]
                items.append({"videoId": video_id, "rating": rating})
        body: dict[str, Any] = {"kind": "youtube#videoGetRatingResponse", "etag": ""}
        body["items"] = items
        body["etag"] = etag_of("rating", json.dumps(items))
        return body

    # --- search ---------------------------------------------------------------------

    def do_search_list(self, request: Request, user: User) -> dict[str, Any]:
        parts = self._parts(request, "search")
        kind = request.args.get("type", "video")
        kinds = {k.strip() for k in kind.split(",")}
        if not kinds <= {"video", "channel", "playlist"}:
            raise ApiError(
                400, "invalidSearchFilter", "The request contains an invalid search filter.",
                "youtube.search", location="type",
            )  # fmt: skip
        query = request.args.get("q", "")
        # The sandbox's catalogue is videos: channel and playlist searches find nothing.
        ids = self.world.search(query) if "video" in kinds else []
        page = self._page(request, len(ids))
        items = []
        for video_id in ids[page.start : page.start + page.size]:
            video = self.world.videos[video_id]
            item: dict[str, Any] = {
                "kind": "youtube#searchResult",
                "etag": "",
                "id": {"kind": "youtube#video", "videoId": video.id},
            }
            if "snippet" in parts:
                # Search snippets come HTML-escaped ("Guns N&#39; Roses"), unlike videos.list.
                item["snippet"] = {
                    "publishedAt": iso(video.published_at),
                    "channelId": video.channel_id,
                    "title": _html_escape(video.title),
                    "description": _html_escape(video.description),
                    "thumbnails": _thumbnails(video.id, search=True),
                    "channelTitle": video.channel_title,
                    "liveBroadcastContent": "none",
                }
            item["etag"] = etag_of("search", video.version, json.dumps(item, sort_keys=True))
            items.append(item)
        return self._list_body("youtube#searchListResponse", items, page, regionCode="US")


def _playlist_not_found(domain: str) -> ApiError:
    param = "playlistId" if domain == "youtube.playlistItem" else "id"
    return ApiError(
        404,
        "playlistNotFound",
        f"The playlist identified with the request's <code>{param}</code> parameter "
        "cannot be found.",
        domain,
        location=param,
    )


def _item_not_found() -> ApiError:
    return ApiError(
        404,
        "playlistItemNotFound",
        "The playlist item identified with the request's <code>id</code> parameter cannot "
        "be found.",
        "youtube.playlistItem",
        location="id",
    )


def _html_escape(text: str) -> str:
    return html.escape(text, quote=True).replace("&#x27;", "&#39;")


def _thumbnails(video_id: str, *, search: bool = False) -> dict[str, Any]:
    sizes = [
        ("default", "default", 120, 90),
        ("medium", "mqdefault", 320, 180),
        ("high", "hqdefault", 480, 360),
    ]
    if not search:
        sizes += [("standard", "sddefault", 640, 480), ("maxres", "maxresdefault", 1280, 720)]
    return {
        name: {"url": f"https://i.ytimg.com/vi/{video_id}/{file}.jpg", "width": w, "height": h}
        for name, file, w, h in sizes
    }


def _no_thumbnails() -> dict[str, Any]:
    url = "https://i.ytimg.com/img/no_thumbnail.jpg"
    return {
        "default": {"url": url, "width": 120, "height": 90},
        "medium": {"url": url, "width": 320, "height": 180},
        "high": {"url": url, "width": 480, "height": 360},
    }


def _embed_html(path: str) -> str:
    return (
        f'<iframe width="640" height="360" src="//www.youtube.com/{path}" frameborder="0" '
        'allow="accelerometer; autoplay; clipboard-write; encrypted-media; gyroscope; '
        'picture-in-picture; web-share" allowfullscreen></iframe>'
    )


def _etag_matches(request: Request, body: dict[str, Any]) -> bool:
    header = request.headers.get("If-None-Match", "")
    if not header:
        return False
    wanted = {tag.strip().removeprefix("W/").strip('"') for tag in header.split(",")}
    if "*" in wanted or body.get("etag") in wanted:
        return True
    # A client may hold the etag of the one resource it asked for rather than the list's.
    items = body.get("items")
    return isinstance(items, list) and len(items) == 1 and items[0].get("etag") in wanted


def build_app(state: SandboxState) -> WSGIApp:
    """The YouTube Data API WSGI app, to mount at ``/youtube``."""
    return YouTubeApp(state)


# --- control routes for tests ---------------------------------------------------------


class YouTubeControlApp:
    """Test-only JSON routes at ``/_control/youtube``; see docs/sandbox.md."""

    def __init__(self, state: SandboxState) -> None:
        self.state = state
        self.url_map = Map(
            [
                Rule("/quota", methods=["GET"], endpoint="quota_get"),
                Rule("/quota", methods=["PUT", "POST"], endpoint="quota_set"),
                Rule("/users", methods=["GET"], endpoint="users"),
                Rule("/users/<user>/playlists", methods=["GET"], endpoint="playlists"),
                Rule("/users/<user>/likes", methods=["GET"], endpoint="likes"),
                Rule("/users/<user>/revoke", methods=["POST"], endpoint="revoke"),
                Rule("/users/<user>/tokens", methods=["POST"], endpoint="tokens"),
                Rule("/videos", methods=["POST"], endpoint="video_add"),
                Rule("/videos/<video_id>", methods=["GET"], endpoint="video_get"),
                Rule("/videos/<video_id>", methods=["POST", "PATCH"], endpoint="video_set"),
                Rule("/clients", methods=["POST"], endpoint="client_add"),
                Rule("/auto_consent", methods=["POST", "DELETE"], endpoint="auto_consent"),
            ]
        )

    @property
    def world(self) -> YouTubeWorld:
        return self.state.youtube

    def __call__(self, environ: dict[str, Any], start_response: Callable[..., Any]) -> Any:
        request = Request(environ)
        try:
            endpoint, values = self.url_map.bind_to_environ(environ).match()
        except HTTPException as exc:
            return exc(environ, start_response)
        try:
            body = json.loads(request.get_data(cache=True) or b"{}")
        except (UnicodeDecodeError, json.JSONDecodeError):
            return google_json({"error": "body is not JSON"}, 400)(environ, start_response)
        with self.state.lock:
            try:
                result = getattr(self, "on_" + endpoint)(request, body, **values)
                status = 200
            except KeyError as exc:
                result, status = {"error": f"not found: {exc.args[0]}"}, 404
            except ValueError as exc:
                result, status = {"error": str(exc)}, 400
            if request.method != "GET":
                self.state.touch()
        return google_json(result, status)(environ, start_response)

    def _user(self, key: str) -> User:
        user = self.world.find_user(key)
        if user is None:
            raise KeyError(key)
        return user

    def _quota(self, project: str) -> dict[str, Any]:
        used = self.state.counters.quota_used(project)
        limit = int(self.state.knobs.youtube_daily_quota)
        return {
            "project": project,
            "day": self.state.clock.today_pacific(),
            "used": used,
            "limit": limit,
            "remaining": max(0, limit - used),
        }

    def on_quota_get(self, request: Request, body: dict) -> dict[str, Any]:
        return self._quota(request.args.get("project", DEFAULT_CLIENT_ID))

    def on_quota_set(self, request: Request, body: dict) -> dict[str, Any]:
        project = body.get("project") or request.args.get("project", DEFAULT_CLIENT_ID)
        used = body.get("used")
        if not isinstance(used, int) or used < 0:
            raise ValueError("'used' must be a non-negative integer")
        current = self.state.counters.quota_used(project)
        self.state.counters.add_quota(project, used - current)
        return self._quota(project)

    def on_users(self, request: Request, body: dict) -> list[dict[str, Any]]:
        return [
            {"id": u.id, "email": u.email, "name": u.name, "channel_id": u.channel_id}
            for u in self.world.users.values()
        ]

    def on_playlists(self, request: Request, body: dict, user: str) -> list[dict[str, Any]]:
        return playlists_snapshot(self.world, self._user(user).id)

    def on_likes(self, request: Request, body: dict, user: str) -> list[str]:
        return self._user(user).liked()

    def on_revoke(self, request: Request, body: dict, user: str) -> dict[str, Any]:
        return {"revoked": self.world.revoke_user(self._user(user).id, body.get("client_id"))}

    def on_tokens(self, request: Request, body: dict, user: str) -> dict[str, Any]:
        return mint_tokens(
            self.state,
            self._user(user).id,
            client_id=body.get("client_id", DEFAULT_CLIENT_ID),
            scope=body.get("scope", "https://www.googleapis.com/auth/youtube"),
        )

    def on_video_add(self, request: Request, body: dict) -> dict[str, Any]:
        try:
            video = self.world.add_video(
                body["id"],
                body["title"],
                body.get("channel_id") or "UC" + body["id"].ljust(22, "0")[:22],
                body.get("channel_title", ""),
                int(body.get("duration_s", 0)),
                body.get("status", "public"),
            )
        except KeyError as exc:
            raise ValueError(f"missing field {exc.args[0]!r}") from None
        return _video_summary(video)

    def on_video_get(self, request: Request, body: dict, video_id: str) -> dict[str, Any]:
        return _video_summary(self.world.videos[video_id])

    def on_video_set(self, request: Request, body: dict, video_id: str) -> dict[str, Any]:
        if video_id not in self.world.videos:
            raise KeyError(video_id)
        status = body.get("status")
        if status not in VIDEO_STATUSES:
            raise ValueError(f"status must be one of {', '.join(VIDEO_STATUSES)}")
        return _video_summary(self.world.set_video_status(video_id, status))

    def on_client_add(self, request: Request, body: dict) -> dict[str, Any]:
        client_id, secret = body.get("client_id"), body.get("client_secret")
        if not client_id or not secret:
            raise ValueError("client_id and client_secret are required")
        self.world.clients[client_id] = secret
        return {"client_id": client_id}

    def on_auto_consent(self, request: Request, body: dict) -> dict[str, Any]:
        if request.method == "DELETE":
            self.world.auto_consent = None
        else:
            self.world.auto_consent = self._user(str(body.get("user_id", ""))).id
        return {"auto_consent": self.world.auto_consent}


def _video_summary(video: Video) -> dict[str, Any]:
    return {
        "id": video.id,
        "title": video.title,
        "channel_id": video.channel_id,
        "channel_title": video.channel_title,
        "duration_s": video.duration_s,
        "status": video.status,
    }


def playlists_snapshot(world: YouTubeWorld, user_id: str) -> list[dict[str, Any]]:
    """A person's playlists and items as they stand, for asserting a sync's end state."""
    out = []
    for playlist in world.playlists_of(user_id):
        items = []
        for position, item in enumerate(playlist.items):
            video = world.videos.get(item.video_id)
            items.append(
                {
                    "id": item.id,
                    "position": position,
                    "video_id": item.video_id,
                    "title": video.title if video else "",
                    "status": video.status if video else "deleted",
                }
            )
        out.append(
            {
                "id": playlist.id,
                "title": playlist.title,
                "description": playlist.description,
                "privacy": playlist.privacy,
                "version": playlist.version,
                "items": items,
            }
        )
    return out


def mint_tokens(
    state: SandboxState,
    user_id: str,
    *,
    client_id: str = DEFAULT_CLIENT_ID,
    scope: str = "https://www.googleapis.com/auth/youtube",
) -> dict[str, Any]:
    """Tokens for ``user_id`` without the consent dance, as if they had just agreed.

    Call with ``state.lock`` held (the control route does).
    """
    world = state.youtube
    if user_id not in world.users:
        raise KeyError(user_id)
    now = state.clock.now()
    lifetime = int(state.knobs.google_token_lifetime)
    grant = world.new_grant(user_id, client_id, scope, now)
    return {
        "access_token": world.issue_access_token(grant, now, lifetime),
        "refresh_token": world.issue_refresh_token(grant, now),
        "expires_in": lifetime,
        "scope": scope,
        "token_type": "Bearer",
    }


def control_routes(state: SandboxState) -> WSGIApp:
    """The test-only control app, to mount at ``/_control/youtube``."""
    return YouTubeControlApp(state)


def method_override(environ: dict[str, Any]) -> dict[str, Any]:
    """A GET sent as a POST, as Google's APIs accept: google-api-python-client turns a GET
    whose URL passes 2,048 characters into ``POST`` with ``X-HTTP-Method-Override: GET``
    and the query string as a form body."""
    if (
        environ.get("REQUEST_METHOD", "").upper() != "POST"
        or environ.get("HTTP_X_HTTP_METHOD_OVERRIDE", "").upper() != "GET"
    ):
        return environ
    length = int(environ.get("CONTENT_LENGTH") or 0)
    body = environ["wsgi.input"].read(length).decode("utf-8", "replace") if length else ""
    query = "&".join(part for part in (environ.get("QUERY_STRING", ""), body) if part)
    return {
        **environ,
        "REQUEST_METHOD": "GET",
        "QUERY_STRING": query,
        "CONTENT_LENGTH": "0",
        "CONTENT_TYPE": "",
        "wsgi.input": io.BytesIO(b""),
    }
