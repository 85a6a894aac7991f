"""Spotify, through spotipy, behind the interface the sync uses."""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Iterator
from typing import Any, TypeVar

import requests
import spotipy
from django.conf import settings

from platforms.calls import platform_call
from platforms.clients import PLAYLIST_NAME_LIMIT
from platforms.errors import PlatformError
from platforms.models import Connection
from platforms.spotify import parse
from platforms.tokens import TokenGrant, TokenManager
from platforms.types import Platform, PlaylistEntry, PlaylistInfo, Track

T = TypeVar("T")

PLAYLIST_WRITE_BATCH = 100
LIBRARY_WRITE_BATCH = 40
PAGE_SIZE = 50
SEARCH_LIMIT = 10


def translate(exc: Exception) -> PlatformError | None:
    if isinstance(exc, PlatformError):
        return exc
    if isinstance(exc, spotipy.SpotifyException):
        status = exc.http_status
        message = (exc.msg or "").split("\n")[-1].strip() or f"HTTP {status}"
        if status == 429:
            retry_after = _retry_after(exc.headers)
            return PlatformError(
                message, platform="spotify", kind="rate_limit", permanent=False,
                status=429, retry_after=retry_after,
            )  # fmt: skip
        if status and status >= 500:
            return PlatformError(
                message, platform="spotify", kind="server", permanent=False, status=status
            )
        kinds = {400: "bad_request", 401: "auth", 403: "forbidden", 404: "not_found"}
        return PlatformError(
            message, platform="spotify", kind=kinds.get(status, "bad_request"), permanent=True,
            status=status,
        )  # fmt: skip
    if isinstance(exc, requests.RequestException | spotipy.SpotifyOauthError):
        if isinstance(exc, spotipy.SpotifyOauthError):
            return PlatformError(str(exc), platform="spotify", kind="auth", permanent=True)
        return PlatformError(
            f"{type(exc).__name__}: network error",
            platform="spotify",
            kind="network",
            permanent=False,
        )
    if isinstance(exc, ValueError):  # a body that is not JSON
        return PlatformError(
            "unreadable response", platform="spotify", kind="server", permanent=False
        )
    return None


def _retry_after(headers: Any) -> float:
    try:
        return max(0.0, float((headers or {}).get("Retry-After", 1)))
    except (TypeError, ValueError):
        return 1.0


def refresh_grant(refresh_token: str) -> TokenGrant:
    """Spotify's refresh grant; the response may carry a new (rotated) refresh token."""

    def post() -> dict:
        response = requests.post(
            f"{settings.SPOTIFY_ACCOUNTS_URL}/api/token",
            data={"grant_type": "refresh_token", "refresh_token": refresh_token},
            auth=(settings.SPOTIFY_CLIENT_ID, settings.SPOTIFY_CLIENT_SECRET),
            timeout=settings.PLATFORM_HTTP_TIMEOUT,
        )
        if response.status_code == 400 or response.status_code == 401:
            body = _json(response)
            raise PlatformError(
                body.get("error_description") or body.get("error") or "refresh refused",
                platform="spotify", kind="auth", permanent=True, status=response.status_code,
            )  # fmt: skip
        if response.status_code == 429:
            raise PlatformError(
                "rate limited", platform="spotify", kind="rate_limit", permanent=False,
                status=429, retry_after=_retry_after(response.headers),
            )  # fmt: skip
        if response.status_code >= 500:
            raise PlatformError(
                "token endpoint error", platform="spotify", kind="server", permanent=False,
                status=response.status_code,
            )  # fmt: skip
        return _json(response)

    body = platform_call(post, platform="spotify", endpoint="token.refresh", translate=translate)
    if not body.get("access_token"):
        raise PlatformError("no access token in the refresh response", platform="spotify",
                            kind="auth", permanent=True)  # fmt: skip
    return TokenGrant(
        access_token=body["access_token"],
        expires_in=int(body.get("expires_in") or 3600),
        refresh_token=body.get("refresh_token") or "",
        scope=body.get("scope") or "",
    )


def _json(response: requests.Response) -> dict:
    try:
        body = response.json()
    except ValueError:
        return {}
    return body if isinstance(body, dict) else {}


class SpotifyClient:
    platform = Platform.SPOTIFY

    def __init__(self, connection: Connection, *, tokens: TokenManager | None = None):
        self.connection = connection
        self.tokens = tokens or TokenManager(connection, refresh_grant)
        self._sp: spotipy.Spotify | None = None
        self._token = ""

    # --- plumbing -------------------------------------------------------------------

    def _client(self) -> spotipy.Spotify:
        token = self.tokens.access_token()
        if self._sp is None or token != self._token:
            # A plain session: spotipy's own urllib3 retries would swallow Retry-After;
            # platforms.calls retries instead.
            self._session = getattr(self, "_session", None) or requests.Session()
            self._sp = spotipy.Spotify(
                auth=token,
                requests_session=self._session,
                requests_timeout=settings.PLATFORM_HTTP_TIMEOUT,
            )
            self._sp.prefix = f"{settings.SPOTIFY_API_URL}/"
            self._token = token
        return self._sp

    def _call(self, endpoint: str, fn: Callable[[spotipy.Spotify], T], *, idempotent=True) -> T:
        def attempt() -> T:
            try:
                return fn(self._client())
            except spotipy.SpotifyException as exc:
                if exc.http_status != 401:
                    raise
                # An expired token: refresh once and try again.
                self.tokens.refresh(stale_token=self._token)
                return fn(self._client())

        return platform_call(
            attempt, platform="spotify", endpoint=endpoint, translate=translate,
            user_id=self.connection.user_id, idempotent=idempotent,
        )  # fmt: skip

    def _pages(self, endpoint: str, first: Callable[[spotipy.Spotify], dict]) -> Iterator[list]:
        page = self._call(endpoint, first)
        while True:
            yield parse.page_items(page)
            next_url = page.get("next") if isinstance(page, dict) else None
            if not next_url:
                return
            page = self._call(endpoint, lambda sp, url=next_url: sp._get(url))

    # --- reads ----------------------------------------------------------------------

    def account(self) -> tuple[str, str]:
        me = self._call("me", lambda sp: sp.me())
        return str(me.get("id") or ""), str(me.get("display_name") or me.get("id") or "")

    def list_playlists(self) -> list[PlaylistInfo]:
        me = self.connection.account_id
        out = []
        for items in self._pages(
            "playlists.list", lambda sp: sp.current_user_playlists(limit=PAGE_SIZE)
        ):
            out.extend(parse.parse_playlist(raw, me=me) for raw in items if isinstance(raw, dict))
        return out

    def get_playlist(self, playlist_id: str) -> PlaylistInfo:
        raw = self._call(
            "playlists.get",
            lambda sp: sp.playlist(
                playlist_id,
                fields="id,name,description,owner,snapshot_id,collaborative,items(total),tracks(total)",
            ),
        )
        return parse.parse_playlist(raw, me=self.connection.account_id)

    def list_playlist_items(self, playlist_id: str) -> list[PlaylistEntry]:
        entries: list[PlaylistEntry] = []
        for items in self._pages(
            "playlist_items.list",
            lambda sp: sp.playlist_items(playlist_id, limit=PAGE_SIZE, additional_types=("track",)),
        ):
            for raw in items:
                entries.append(parse.parse_playlist_entry(raw, len(entries)))
        return entries

    def liked_version(self) -> str:
        """A cheap fingerprint of the liked songs: total and the newest ids (one call)."""
        page = self._call(
            "saved_tracks.list", lambda sp: sp.current_user_saved_tracks(limit=PAGE_SIZE)
        )
        ids = [
            (e.track.platform_id if e.track else "-")
            for e in (
                parse.parse_saved_track(raw, i) for i, raw in enumerate(parse.page_items(page))
            )
        ]
        digest = hashlib.sha256(",".join(ids).encode()).hexdigest()[:32]
        return f"{page.get('total')}:{digest}"

    def list_liked(self) -> list[PlaylistEntry]:
        entries: list[PlaylistEntry] = []
        for items in self._pages(
            "saved_tracks.list", lambda sp: sp.current_user_saved_tracks(limit=PAGE_SIZE)
        ):
            for raw in items:
                entries.append(parse.parse_saved_track(raw, len(entries)))
        return entries

    def get_tracks(self, ids: list[str]) -> list[Track]:
        tracks: list[Track] = []
        for start in range(0, len(ids), 50):
            chunk = ids[start : start + 50]
            body = self._call("tracks.get", lambda sp, c=chunk: sp.tracks(c))
            for raw in (body or {}).get("tracks") or []:
                track = parse.parse_track(raw)
                if track:
                    tracks.append(track)
        return tracks

    def search(self, query: str, *, limit: int = SEARCH_LIMIT) -> list[Track]:
        body = self._call(
            "search", lambda sp: sp.search(q=query, limit=min(limit, SEARCH_LIMIT), type="track")
        )
        page = (body or {}).get("tracks") or {}
        return [t for t in (parse.parse_track(raw) for raw in parse.page_items(page)) if t]

    # --- writes ---------------------------------------------------------------------

    def create_playlist(self, *, name: str, description: str = "") -> PlaylistInfo:
        raw = self._call(
            "playlists.create",
            lambda sp: sp._post(
                "me/playlists",
                payload={
                    "name": name[: PLAYLIST_NAME_LIMIT[Platform.SPOTIFY]],
                    "public": False,
                    "description": description[:300],
                },
            ),
            idempotent=False,
        )
        return parse.parse_playlist(raw, me=self.connection.account_id)

    def add_items(
        self, playlist_id: str, track_ids: list[str], *, position: int | None = None
    ) -> list[str]:
        for start in range(0, len(track_ids), PLAYLIST_WRITE_BATCH):
            chunk = track_ids[start : start + PLAYLIST_WRITE_BATCH]
            at = None if position is None else position + start
            self._call(
                "playlist_items.add",
                lambda sp, c=chunk, p=at: sp.playlist_add_items(playlist_id, c, position=p),
                idempotent=False,
            )
        return ["" for _ in track_ids]

    def remove_items(self, playlist_id: str, entries: list[PlaylistEntry]) -> None:
        ids = list(dict.fromkeys(e.track.platform_id for e in entries if e.track))
        for start in range(0, len(ids), PLAYLIST_WRITE_BATCH):
            chunk = ids[start : start + PLAYLIST_WRITE_BATCH]
            self._call(
                "playlist_items.remove",
                lambda sp, c=chunk: sp.playlist_remove_all_occurrences_of_items(playlist_id, c),
            )

    def move(self, playlist_id: str, entry: PlaylistEntry, *, to_index: int) -> None:
        """Moves the item at ``entry.position`` so that it ends up at ``to_index``."""
        start = entry.position
        # Spotify counts insert_before in the list as it was before the move.
        before = to_index if to_index <= start else to_index + 1
        self._call(
            "playlist_items.reorder",
            lambda sp: sp.playlist_reorder_items(playlist_id, start, before),
            idempotent=False,  # a repeat would move another item
        )

    def like(self, track_ids: list[str]) -> list[str]:
        for start in range(0, len(track_ids), LIBRARY_WRITE_BATCH):
            chunk = track_ids[start : start + LIBRARY_WRITE_BATCH]
            # Saving is idempotent on Spotify: a repeat leaves one saved track.
            self._call("library.save", lambda sp, c=chunk: sp.current_user_saved_tracks_add(c))
        return ["" for _ in track_ids]

    def unlike(self, entries: list[PlaylistEntry]) -> None:
        ids = list(dict.fromkeys(e.track.platform_id for e in entries if e.track))
        for start in range(0, len(ids), LIBRARY_WRITE_BATCH):
            chunk = ids[start : start + LIBRARY_WRITE_BATCH]
            self._call("library.remove", lambda sp, c=chunk: sp.current_user_saved_tracks_delete(c))
