"""Spotify's side of the sandbox as plain data: catalogue, users, playlists, tokens.

Nothing here speaks HTTP; ``spotify.py`` turns requests into calls on ``SpotifyWorld``
and its objects into JSON. All methods expect the caller to hold ``state.lock``.
"""

from __future__ import annotations

import base64
import hashlib
import secrets
import string
from collections import deque
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime
from typing import Any

from platforms.sandbox.search import SearchIndex

_BASE62 = string.digits + string.ascii_letters
SIX_MONTHS = 183 * 24 * 3600
CODE_LIFETIME = 600
RATE_WINDOW = 30.0


def spotify_id(*parts: object) -> str:
    """A stable 22-character base62 id, like Spotify's, derived from ``parts``."""
    digest = hashlib.sha256(":".join(str(p) for p in parts).encode()).digest()
    number = int.from_bytes(digest[:17], "big")
    chars = []
    for _ in range(22):
        number, rem = divmod(number, 62)
        chars.append(_BASE62[rem])
    return "".join(chars)


def iso(ts: float) -> str:
    return datetime.fromtimestamp(ts, UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


@dataclass
class Artist:
    id: str
    name: str


@dataclass
class Album:
    id: str
    name: str
    artist_ids: list[str]
    album_type: str = "album"
    release_date: str = "2020-01-01"
    total_tracks: int = 1


@dataclass
class Track:
    id: str
    name: str
    artist_ids: list[str]
    album_id: str
    duration_ms: int
    isrc: str = ""
    explicit: bool = False
    track_number: int = 1
    disc_number: int = 1
    popularity: int = 50
    # False for tracks Spotify no longer offers: they show as null items in playlists.
    available: bool = True

    @property
    def uri(self) -> str:
        return f"spotify:track:{self.id}"


@dataclass
class User:
    id: str
    display_name: str
    email: str = ""
    country: str = "GB"
    product: str = "premium"


@dataclass
class PlaylistEntry:
    uri: str  # spotify:track:<id> or spotify:local:<artist>:<album>:<title>:<seconds>
    added_at: float
    added_by: str

    @property
    def is_local(self) -> bool:
        return self.uri.startswith("spotify:local:")


@dataclass
class Playlist:
    id: str
    owner_id: str
    name: str
    description: str = ""
    public: bool = True
    collaborative: bool = False
    collaborators: list[str] = field(default_factory=list)
    entries: list[PlaylistEntry] = field(default_factory=list)
    version: int = 1

    @property
    def snapshot_id(self) -> str:
        # Opaque like Spotify's: base64 of a version and a digest, new on every edit.
        digest = hashlib.sha1(f"{self.id}:{self.version}".encode()).hexdigest()  # noqa: S324
        return base64.b64encode(f"{self.version},{digest}".encode()).decode()

    def bump(self) -> str:
        self.version += 1
        return self.snapshot_id

    def can_edit(self, user_id: str) -> bool:
        return user_id == self.owner_id or (self.collaborative and user_id in self.collaborators)


@dataclass
class Client:
    client_id: str
    secret: str
    name: str = "Sandbox app"
    # Empty means "any allowed form" (loopback http or https): the sandbox is lenient
    # about registration, strict about the token request matching the authorize one.
    redirect_uris: list[str] = field(default_factory=list)


@dataclass
class AuthCode:
    code: str
    client_id: str
    user_id: str
    redirect_uri: str
    scope: str
    code_challenge: str
    code_challenge_method: str
    expires_at: float
    auth_time: float


@dataclass
class AccessToken:
    token: str
    client_id: str
    user_id: str | None
    scope: str
    expires_at: float


@dataclass
class RefreshToken:
    token: str
    client_id: str
    user_id: str
    scope: str
    auth_time: float  # the original authorization: refreshing never extends the lifetime
    pkce: bool


class SpotifyWorld:
    """The catalogue, users and their libraries, and the OAuth bookkeeping."""

    def __init__(self) -> None:
        self.artists: dict[str, Artist] = {}
        self.albums: dict[str, Album] = {}
        self.tracks: dict[str, Track] = {}
        self.users: dict[str, User] = {}
        self.playlists: dict[str, Playlist] = {}
        # Per user, the playlists in their library (owned or followed), newest first.
        self.user_playlists: dict[str, list[str]] = {}
        # Per user, saved track id -> added_at; listed newest first.
        self.saved: dict[str, dict[str, float]] = {}
        self.clients: dict[str, Client] = {}
        self.codes: dict[str, AuthCode] = {}
        self.access_tokens: dict[str, AccessToken] = {}
        self.refresh_tokens: dict[str, RefreshToken] = {}
        self.rate_windows: dict[str, deque[float]] = {}
        # A test switch: when set, /authorize skips the consent page and signs this user in.
        self.auto_consent: str | None = None
        self._counter = 0
        self._index: SearchIndex | None = None
        self.add_client("sandbox-spotify-client", "sandbox-spotify-secret", name="Music Sync Hub")

    # --- catalogue -----------------------------------------------------------------

    def add_artist(self, name: str) -> Artist:
        artist_id = spotify_id("artist", name.casefold())
        artist = self.artists.get(artist_id)
        if artist is None:
            artist = self.artists[artist_id] = Artist(artist_id, name)
        return artist

    def add_album(
        self, name: str, artists: list[str], *, album_type: str = "album", release_date: str = ""
    ) -> Album:
        artist_ids = [self.add_artist(a).id for a in artists]
        album_id = spotify_id("album", name.casefold(), *artist_ids)
        album = self.albums.get(album_id)
        if album is None:
            album = self.albums[album_id] = Album(
                album_id, name, artist_ids, album_type, release_date or "2020-01-01", 0
            )
        return album

    def add_track(
        self,
        name: str,
        artists: list[str],
        album: str,
        duration_ms: int,
        *,
        isrc: str = "",
        album_type: str = "album",
        release_date: str = "",
        explicit: bool = False,
        popularity: int = 50,
        available: bool = True,
        key: str = "",
    ) -> Track:
        """Add (or return the existing) track; ``key`` tells apart same-named recordings."""
        album_obj = self.add_album(
            album, artists[:1], album_type=album_type, release_date=release_date
        )
        artist_ids = [self.add_artist(a).id for a in artists]
        track_id = spotify_id("track", name.casefold(), *artist_ids, album_obj.id, key)
        track = self.tracks.get(track_id)
        if track is None:
            album_obj.total_tracks += 1
            track = self.tracks[track_id] = Track(
                track_id,
                name,
                artist_ids,
                album_obj.id,
                int(duration_ms),
                isrc=isrc,
                explicit=explicit,
                track_number=album_obj.total_tracks,
                popularity=popularity,
                available=available,
            )
            self._index = None
        return track

    @property
    def index(self) -> SearchIndex:
        if self._index is None:
            documents = {
                track.id: {
                    "track": track.name,
                    "artist": " ".join(self.artists[a].name for a in track.artist_ids),
                    "album": self.albums[track.album_id].name,
                }
                for track in self.tracks.values()
            }
            self._index = SearchIndex(documents, {"track": 1.0, "artist": 0.9, "album": 0.5})
        return self._index

    def track_for_uri(self, uri: str) -> Track | None:
        prefix = "spotify:track:"
        return self.tracks.get(uri[len(prefix) :]) if uri.startswith(prefix) else None

    # --- users and libraries -------------------------------------------------------

    def add_user(self, user_id: str, display_name: str, email: str = "") -> User:
        user = self.users.get(user_id)
        if user is None:
            user = self.users[user_id] = User(user_id, display_name, email)
            self.user_playlists[user_id] = []
            self.saved[user_id] = {}
        return user

    def new_id(self, kind: str) -> str:
        self._counter += 1
        return spotify_id(kind, self._counter, secrets.token_hex(4))

    def create_playlist(
        self,
        owner_id: str,
        name: str,
        *,
        description: str = "",
        public: bool = True,
        collaborative: bool = False,
        playlist_id: str | None = None,
    ) -> Playlist:
        playlist = Playlist(
            playlist_id or self.new_id("playlist"),
            owner_id,
            name,
            description,
            public=public and not collaborative,
            collaborative=collaborative,
        )
        self.playlists[playlist.id] = playlist
        self.user_playlists.setdefault(owner_id, []).insert(0, playlist.id)
        return playlist

    def add_items(
        self, playlist: Playlist, uris: list[str], user_id: str, now: float, position: int | None
    ) -> str:
        entries = [PlaylistEntry(uri, now, user_id) for uri in uris]
        at = len(playlist.entries) if position is None else min(position, len(playlist.entries))
        playlist.entries[at:at] = entries
        return playlist.bump()

    def remove_items(self, playlist: Playlist, uris: set[str]) -> str:
        # Spotify removes every occurrence of each URI given without positions.
        playlist.entries = [e for e in playlist.entries if e.uri not in uris]
        return playlist.bump()

    def replace_items(self, playlist: Playlist, uris: list[str], user_id: str, now: float) -> str:
        playlist.entries = [PlaylistEntry(uri, now, user_id) for uri in uris]
        return playlist.bump()

    def reorder_items(
        self, playlist: Playlist, range_start: int, insert_before: int, range_length: int
    ) -> str:
        moving = playlist.entries[range_start : range_start + range_length]
        rest = playlist.entries[:range_start] + playlist.entries[range_start + range_length :]
        # insert_before counts positions in the list before the move.
        at = insert_before if insert_before <= range_start else insert_before - len(moving)
        playlist.entries = rest[:at] + moving + rest[at:]
        return playlist.bump()

    def save_tracks(self, user_id: str, track_ids: list[str], now: float) -> None:
        saved = self.saved.setdefault(user_id, {})
        for offset, track_id in enumerate(track_ids):
            # Later ids in one call count as saved later, so they list first.
            saved.setdefault(track_id, now + offset * 1e-3)

    def unsave_tracks(self, user_id: str, track_ids: list[str]) -> None:
        saved = self.saved.setdefault(user_id, {})
        for track_id in track_ids:
            saved.pop(track_id, None)

    def saved_tracks(self, user_id: str) -> list[tuple[str, float]]:
        return sorted(self.saved.get(user_id, {}).items(), key=lambda kv: -kv[1])

    # --- OAuth -----------------------------------------------------------------------

    def add_client(
        self, client_id: str, secret: str, *, name: str = "Sandbox app", redirect_uris=()
    ) -> Client:
        client = self.clients[client_id] = Client(client_id, secret, name, list(redirect_uris))
        return client

    def issue_code(
        self,
        *,
        client_id: str,
        user_id: str,
        redirect_uri: str,
        scope: str,
        code_challenge: str,
        code_challenge_method: str,
        now: float,
    ) -> AuthCode:
        code = AuthCode(
            "AQ" + secrets.token_urlsafe(48),
            client_id,
            user_id,
            redirect_uri,
            scope,
            code_challenge,
            code_challenge_method,
            now + CODE_LIFETIME,
            now,
        )
        self.codes[code.code] = code
        return code

    def issue_tokens(
        self,
        *,
        client_id: str,
        user_id: str | None,
        scope: str,
        lifetime: int,
        now: float,
        auth_time: float | None = None,
        pkce: bool = False,
    ) -> tuple[AccessToken, RefreshToken | None]:
        access = AccessToken(
            "BQ" + secrets.token_urlsafe(96), client_id, user_id, scope, now + lifetime
        )
        self.access_tokens[access.token] = access
        refresh = None
        if user_id is not None:
            refresh = RefreshToken(
                "AQ" + secrets.token_urlsafe(96),
                client_id,
                user_id,
                scope,
                auth_time if auth_time is not None else now,
                pkce,
            )
            self.refresh_tokens[refresh.token] = refresh
        return access, refresh

    def revoke_user_tokens(self, user_id: str) -> int:
        """Forget every access and refresh token of a user, as removing the app's access does."""
        doomed_access = [t for t, a in self.access_tokens.items() if a.user_id == user_id]
        doomed_refresh = [t for t, r in self.refresh_tokens.items() if r.user_id == user_id]
        for token in doomed_access:
            del self.access_tokens[token]
        for token in doomed_refresh:
            del self.refresh_tokens[token]
        return len(doomed_access) + len(doomed_refresh)

    def purge_expired(self, now: float) -> None:
        """Drop dead codes and tokens so a long-running sandbox does not grow forever."""
        self.codes = {k: c for k, c in self.codes.items() if c.expires_at > now}
        self.access_tokens = {
            k: a for k, a in self.access_tokens.items() if a.expires_at > now - 3600
        }
        self.refresh_tokens = {
            k: r for k, r in self.refresh_tokens.items() if r.auth_time + SIX_MONTHS > now
        }

    def rate_check(self, client_id: str, limit: int, now: float) -> float | None:
        """Count one call for ``client_id``; over ``limit`` in the window, seconds to wait."""
        window = self.rate_windows.setdefault(client_id, deque())
        while window and window[0] <= now - RATE_WINDOW:
            window.popleft()
        if len(window) >= limit:
            return max(0.0, window[0] + RATE_WINDOW - now)
        window.append(now)
        return None

    # --- persistence -----------------------------------------------------------------

    def to_dict(self) -> dict[str, Any]:
        return {
            "artists": [asdict(a) for a in self.artists.values()],
            "albums": [asdict(a) for a in self.albums.values()],
            "tracks": [asdict(t) for t in self.tracks.values()],
            "users": [asdict(u) for u in self.users.values()],
            "playlists": [asdict(p) for p in self.playlists.values()],
            "user_playlists": self.user_playlists,
            "saved": self.saved,
            "clients": [asdict(c) for c in self.clients.values()],
            "access_tokens": [asdict(t) for t in self.access_tokens.values()],
            "refresh_tokens": [asdict(t) for t in self.refresh_tokens.values()],
            "counter": self._counter,
        }

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> SpotifyWorld:
        world = cls()
        world.artists = {a["id"]: Artist(**a) for a in data.get("artists", [])}
        world.albums = {a["id"]: Album(**a) for a in data.get("albums", [])}
        world.tracks = {t["id"]: Track(**t) for t in data.get("tracks", [])}
        world.users = {u["id"]: User(**u) for u in data.get("users", [])}
        for raw in data.get("playlists", []):
            entries = [PlaylistEntry(**e) for e in raw.pop("entries", [])]
            playlist = Playlist(**raw, entries=entries)
            world.playlists[playlist.id] = playlist
        world.user_playlists = {k: list(v) for k, v in data.get("user_playlists", {}).items()}
        world.saved = {k: dict(v) for k, v in data.get("saved", {}).items()}
        world.clients.update({c["client_id"]: Client(**c) for c in data.get("clients", [])})
        world.access_tokens = {t["token"]: AccessToken(**t) for t in data.get("access_tokens", [])}
        world.refresh_tokens = {
            t["token"]: RefreshToken(**t) for t in data.get("refresh_tokens", [])
        }
        world._counter = int(data.get("counter", 0))
        return world
