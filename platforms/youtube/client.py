"""YouTube, through google-api-python-client, behind the interface the sync uses.

Every call is charged to the deployment's daily quota in the ledger, failed ones too,
and a write that does not fit in what is left today is not sent at all.
"""

from __future__ import annotations

import json
import socket
from collections.abc import Callable, Iterator
from functools import cache
from typing import Any, TypeVar

import httplib2
import requests
from django.conf import settings
from googleapiclient.discovery import build_from_document
from googleapiclient.discovery_cache import get_static_doc
from googleapiclient.errors import HttpError

from platforms.calls import platform_call
from platforms.clients import PLAYLIST_NAME_LIMIT
from platforms.errors import PlatformError, QuotaExhausted
from platforms.models import Connection
from platforms.quota import next_quota_reset, quota_cost, quota_refused, quota_today
from platforms.tokens import TokenGrant, TokenManager
from platforms.types import Platform, PlaylistEntry, PlaylistInfo, Track
from platforms.youtube import parse

T = TypeVar("T")

PAGE_SIZE = 50
SEARCH_LIMIT = 10
LIKED_PLAYLIST = "LL"
NOT_MODIFIED = object()


@cache
def _discovery_document() -> dict:
    return json.loads(get_static_doc("youtube", "v3"))


def _reason(exc: HttpError) -> str:
    try:
        body = json.loads(exc.content.decode("utf-8", "replace"))
        errors = body.get("error", {}).get("errors") or [{}]
        return str(errors[0].get("reason") or body.get("error", {}).get("status") or "")
    except (ValueError, AttributeError, IndexError, TypeError):
        return ""


def translate(exc: Exception) -> PlatformError | None:
    if isinstance(exc, PlatformError):
        return exc
    if isinstance(exc, HttpError):
        status = int(exc.resp.status)
        reason = _reason(exc)
        message = f"{reason or 'HTTP error'} (HTTP {status})"
        if reason == "quotaExceeded":
            return QuotaExhausted("YouTube's daily quota is used up", resume_at=next_quota_reset())
        if reason in ("rateLimitExceeded", "userRateLimitExceeded") or status == 429:
            retry = exc.resp.get("retry-after")
            return PlatformError(
                message, platform="youtube", kind="rate_limit", permanent=False, status=status,
                retry_after=float(retry) if retry and str(retry).isdigit() else None,
            )  # fmt: skip
        if "MaximumNumberOfVideos" in reason or reason == "playlistContainsMaximumNumberOfVideos":
            return PlatformError(
                message, platform="youtube", kind="playlist_full", permanent=True, status=status
            )
        if status >= 500:
            return PlatformError(
                message, platform="youtube", kind="server", permanent=False, status=status
            )
        kinds = {400: "bad_request", 401: "auth", 403: "forbidden", 404: "not_found"}
        return PlatformError(
            message, platform="youtube", kind=kinds.get(status, "bad_request"), permanent=True,
            status=status,
        )  # fmt: skip
    if isinstance(
        exc, httplib2.HttpLib2Error | OSError | socket.timeout | requests.RequestException
    ):
        return PlatformError(
            f"{type(exc).__name__}: network error",
            platform="youtube",
            kind="network",
            permanent=False,
        )
    if isinstance(exc, ValueError):
        return PlatformError(
            "unreadable response", platform="youtube", kind="server", permanent=False
        )
    return None


def refresh_grant(refresh_token: str) -> TokenGrant:
    """Google's refresh grant: a new access token, the refresh token stays the same."""

    def post() -> dict:
        response = requests.post(
            settings.GOOGLE_TOKEN_URL,
            data={
                "grant_type": "refresh_token",
                "refresh_token": refresh_token,
                "client_id": settings.GOOGLE_CLIENT_ID,
                "client_secret": settings.GOOGLE_CLIENT_SECRET,
            },
            timeout=settings.PLATFORM_HTTP_TIMEOUT,
        )
        body = {}
        try:
            body = response.json()
        except ValueError:
            pass
        if response.status_code in (400, 401):
            raise PlatformError(
                str(body.get("error_description") or body.get("error") or "refresh refused"),
                platform="youtube", kind="auth", permanent=True, status=response.status_code,
            )  # fmt: skip
        if response.status_code >= 500 or response.status_code == 429:
            kind = "rate_limit" if response.status_code == 429 else "server"
            raise PlatformError("token endpoint error", platform="youtube", kind=kind,
                                permanent=False, status=response.status_code)  # fmt: skip
        return body if isinstance(body, dict) else {}

    body = platform_call(post, platform="youtube", endpoint="token.refresh", translate=translate)
    if not body.get("access_token"):
        raise PlatformError("no access token in the refresh response", platform="youtube",
                            kind="auth", permanent=True)  # fmt: skip
    return TokenGrant(
        access_token=body["access_token"],
        expires_in=int(body.get("expires_in") or 3599),
        scope=body.get("scope") or "",
    )


def revoke(token: str) -> None:
    """Google lets an app revoke its grant; failure to revoke does not stop a disconnect."""
    try:
        # In the form body (RFC 7009; Google takes it there too): a URL carries it into logs.
        requests.post(
            settings.GOOGLE_REVOKE_URL,
            data={"token": token},
            timeout=settings.PLATFORM_HTTP_TIMEOUT,
        )
    except requests.RequestException:
        pass


class YouTubeClient:
    platform = Platform.YOUTUBE

    def __init__(self, connection: Connection, *, tokens: TokenManager | None = None):
        self.connection = connection
        self.tokens = tokens or TokenManager(connection, refresh_grant)
        self._service = None

    # --- plumbing -------------------------------------------------------------------

    def _yt(self):
        if self._service is None:
            self._service = build_from_document(
                _discovery_document(),
                http=httplib2.Http(timeout=settings.PLATFORM_HTTP_TIMEOUT),
                client_options={"api_endpoint": settings.YOUTUBE_API_URL},
            )
        return self._service

    def _call(
        self,
        endpoint: str,
        operation: str,
        build: Callable[[Any], Any],
        *,
        etag: str = "",
        idempotent: bool = True,
    ) -> Any:
        units = quota_cost(operation)
        left, refused = quota_today(max_age=2.0)
        # Once YouTube has refused a call it refuses every one until the reset, reads too:
        # none is sent. A read is still tried when only our own count says the day is
        # spent (it may be off).
        if refused or (units > 1 and left < units):
            raise QuotaExhausted(
                "YouTube refused a call for quota today: no calls until the reset"
                if refused
                else "not enough YouTube quota left today for this call",
                resume_at=next_quota_reset(),
            )

        def execute(token: str) -> Any:
            request = build(self._yt())
            request.headers["Authorization"] = f"Bearer {token}"
            if etag:
                request.headers["If-None-Match"] = etag
            try:
                return request.execute(num_retries=0)
            except HttpError as exc:
                if exc.resp.status == 304:
                    return NOT_MODIFIED
                raise

        def attempt() -> Any:
            token = self.tokens.access_token()
            try:
                return execute(token)
            except HttpError as exc:
                if exc.resp.status != 401:
                    raise
                return execute(self.tokens.refresh(stale_token=token))

        try:
            return platform_call(
                attempt, platform="youtube", endpoint=endpoint, translate=translate,
                user_id=self.connection.user_id, quota_units=units,
                search=operation == "search", write=units > 1 and operation != "search",
                idempotent=idempotent,
            )  # fmt: skip
        except QuotaExhausted:
            # YouTube said so, not our ledger: everybody's runs wait until the reset
            # instead of each finding out with a call of its own.
            quota_refused()
            raise

    def _pages(self, endpoint: str, build: Callable[[Any, str | None], Any]) -> Iterator[dict]:
        token: str | None = None
        while True:
            page = self._call(endpoint, "list", lambda yt, t=token: build(yt, t))
            yield page
            token = page.get("nextPageToken") if isinstance(page, dict) else None
            if not token:
                return

    # --- reads ----------------------------------------------------------------------

    def account(self) -> tuple[str, str]:
        body = self._call(
            "channels.list", "list", lambda yt: yt.channels().list(part="snippet", mine=True)
        )
        items = parse.page_items(body)
        if not items:
            return "", ""
        channel = items[0]
        return str(channel.get("id") or ""), str(channel.get("snippet", {}).get("title") or "")

    def list_playlists(self, *, etag: str = "") -> list[PlaylistInfo]:
        out: list[PlaylistInfo] = []
        for page in self._pages(
            "playlists.list",
            lambda yt, t: yt.playlists().list(
                part="snippet,contentDetails", mine=True, maxResults=PAGE_SIZE, pageToken=t
            ),
        ):
            out.extend(parse.parse_playlist(raw) for raw in parse.page_items(page))
        return out

    def get_playlist(self, playlist_id: str) -> PlaylistInfo:
        body = self._call(
            "playlists.list",
            "list",
            lambda yt: yt.playlists().list(part="snippet,contentDetails", id=playlist_id),
        )
        items = parse.page_items(body)
        if not items:
            raise PlatformError(
                "playlist not found",
                platform="youtube",
                kind="not_found",
                permanent=True,
                status=404,
            )
        return parse.parse_playlist(items[0])

    def list_playlist_items(self, playlist_id: str) -> list[PlaylistEntry]:
        entries: list[PlaylistEntry] = []
        for page in self._pages(
            "playlistItems.list",
            lambda yt, t: yt.playlistItems().list(
                part="snippet,contentDetails,status",
                playlistId=playlist_id,
                maxResults=PAGE_SIZE,
                pageToken=t,
            ),
        ):
            for raw in parse.page_items(page):
                entries.append(parse.parse_playlist_item(raw, len(entries)))
        return entries

    def liked_version(self, *, known: str = "") -> str:
        """The etag of the first page of liked videos; unchanged when YouTube says 304."""
        page = self._call(
            "videos.list",
            "list",
            lambda yt: yt.videos().list(part="id", myRating="like", maxResults=PAGE_SIZE),
            etag=known,
        )
        if page is NOT_MODIFIED:
            return known
        return str(page.get("etag") or "")

    def list_liked(self) -> list[PlaylistEntry]:
        entries: list[PlaylistEntry] = []
        for page in self._pages(
            "videos.list",
            lambda yt, t: yt.videos().list(
                part="snippet,contentDetails,status",
                myRating="like",
                maxResults=PAGE_SIZE,
                pageToken=t,
            ),
        ):
            for raw in parse.page_items(page):
                entries.append(PlaylistEntry(position=len(entries), track=parse.parse_video(raw)))
        return entries

    def get_tracks(self, ids: list[str]) -> list[Track]:
        tracks: list[Track] = []
        for start in range(0, len(ids), PAGE_SIZE):
            chunk = ids[start : start + PAGE_SIZE]
            body = self._call(
                "videos.list",
                "list",
                lambda yt, c=chunk: yt.videos().list(
                    part="snippet,contentDetails,status", id=",".join(c), maxResults=PAGE_SIZE
                ),
            )
            tracks.extend(
                t for t in (parse.parse_video(raw) for raw in parse.page_items(body)) if t
            )
        return tracks

    def search(self, query: str, *, limit: int = SEARCH_LIMIT) -> list[Track]:
        body = self._call(
            "search.list",
            "search",
            lambda yt: yt.search().list(
                part="snippet", q=query, type="video", maxResults=min(limit, PAGE_SIZE)
            ),
        )
        found = [t for t in (parse.parse_search_result(raw) for raw in parse.page_items(body)) if t]
        if not found:
            return []
        # A search result tells neither a video's length nor whether it plays; one
        # videos.list call for all of them does (1 unit, beside the search's 100). The
        # matcher then weighs durations, and a private or deleted video is no candidate.
        details = {t.platform_id: t for t in self.get_tracks([t.platform_id for t in found])}
        return [
            details[t.platform_id]
            for t in found
            if t.platform_id in details and details[t.platform_id].available
        ]

    # --- writes ---------------------------------------------------------------------

    def create_playlist(self, *, name: str, description: str = "") -> PlaylistInfo:
        body = {
            "snippet": {
                "title": name[: PLAYLIST_NAME_LIMIT[Platform.YOUTUBE]],
                "description": description[:5000],
            },
            "status": {"privacyStatus": "private"},
        }
        raw = self._call(
            "playlists.insert",
            "insert",
            lambda yt: yt.playlists().insert(part="snippet,status,contentDetails", body=body),
            idempotent=False,
        )
        return parse.parse_playlist(raw)

    def add_items(
        self, playlist_id: str, track_ids: list[str], *, position: int | None = None
    ) -> list[str]:
        """One insert per video (YouTube has no batch insert); returns the new entry ids."""
        entry_ids = []
        for offset, video_id in enumerate(track_ids):
            snippet: dict[str, Any] = {
                "playlistId": playlist_id,
                "resourceId": {"kind": "youtube#video", "videoId": video_id},
            }
            if position is not None:
                snippet["position"] = position + offset
            raw = self._call(
                "playlistItems.insert",
                "insert",
                lambda yt, s=snippet: yt.playlistItems().insert(
                    part="snippet", body={"snippet": s}
                ),
                idempotent=False,
            )
            entry_ids.append(str((raw or {}).get("id") or ""))
        return entry_ids

    def remove_items(self, playlist_id: str, entries: list[PlaylistEntry]) -> None:
        for entry in entries:
            if not entry.entry_id:
                continue
            try:
                self._call(
                    "playlistItems.delete",
                    "delete",
                    lambda yt, e=entry.entry_id: yt.playlistItems().delete(id=e),
                )
            except PlatformError as exc:
                if exc.kind != "not_found":  # already gone is what we wanted
                    raise

    def move(self, playlist_id: str, entry: PlaylistEntry, *, to_index: int) -> None:
        """Moves the playlist item ``entry.entry_id`` to ``to_index`` (50 units)."""
        body = {
            "id": entry.entry_id,
            "snippet": {
                "playlistId": playlist_id,
                "resourceId": {"kind": "youtube#video", "videoId": entry.track.platform_id},
                "position": to_index,
            },
        }
        self._call(
            "playlistItems.update",
            "update",
            lambda yt: yt.playlistItems().update(part="snippet", body=body),
        )

    def like(self, track_ids: list[str]) -> list[str]:
        for video_id in track_ids:
            # Rating is idempotent: liking twice leaves one like.
            self._call(
                "videos.rate", "rate", lambda yt, v=video_id: yt.videos().rate(id=v, rating="like")
            )
        return ["" for _ in track_ids]

    def unlike(self, entries: list[PlaylistEntry]) -> None:
        for entry in entries:
            if entry.track:
                self._call(
                    "videos.rate",
                    "rate",
                    lambda yt, v=entry.track.platform_id: yt.videos().rate(id=v, rating="none"),
                )
