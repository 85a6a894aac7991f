"""YouTube's and Google's side of the sandbox as plain data.

Videos, channels, users with their likes, playlists with items, ratings, and the
Google OAuth clients, codes and tokens. Nothing here speaks HTTP: ``youtube.py`` and
``google.py`` turn requests into calls on ``YouTubeWorld`` and its objects into JSON.
All methods expect the caller to hold ``state.lock``. Quota is not kept here but in
``state.counters`` (per project and Pacific day), so there is one number to trust.
"""

from __future__ import annotations

import base64
import hashlib
import secrets
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime
from typing import Any

from platforms.sandbox.search import SearchIndex

# Seeded content gets timestamps from here on, one minute apart, so that a world built
# from the same calls is the same world.
_BASE_TIME = 1_735_689_600.0  # 2025-01-01T00:00:00Z
PLAYLIST_MAX_ITEMS = 5_000
LIKES_PLAYLIST = "LL"
CODE_LIFETIME = 600
# Google expires a refresh token that went unused for six months.
REFRESH_IDLE_LIFETIME = 183 * 24 * 3600
# Google keeps at most 100 live refresh tokens per account and client; the oldest goes.
MAX_REFRESH_TOKENS = 100
VIDEO_STATUSES = ("public", "unlisted", "private", "deleted")
PRIVACY_STATUSES = ("public", "unlisted", "private")
_URLSAFE = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_"


def iso(ts: float) -> str:
    return datetime.fromtimestamp(ts, UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def iso_duration(seconds: int) -> str:
    """ISO-8601 duration as YouTube writes it: ``PT3M33S``, ``PT1H2M``, ``P0D`` for zero."""
    seconds = max(0, int(seconds))
    if seconds == 0:
        return "P0D"
    days, rest = divmod(seconds, 86_400)
    hours, rest = divmod(rest, 3600)
    minutes, secs = divmod(rest, 60)
    out = f"P{days}D" if days else "P"
    if hours or minutes or secs:
        out += "T"
        out += f"{hours}H" if hours else ""
        out += f"{minutes}M" if minutes else ""
        out += f"{secs}S" if secs else ""
    return out


def etag_of(*parts: Any) -> str:
    """A bare 27-character etag, as YouTube sends them since 2020, derived from ``parts``."""
    digest = hashlib.sha1(repr(parts).encode(), usedforsecurity=False).digest()
    return base64.urlsafe_b64encode(digest).decode().rstrip("=")


def _stable_chars(length: int, *parts: Any) -> str:
    digest = hashlib.sha256(repr(parts).encode()).digest()
    number = int.from_bytes(digest, "big")
    chars = []
    for _ in range(length):
        number, rem = divmod(number, 64)
        chars.append(_URLSAFE[rem])
    return "".join(chars)


def channel_id_for(key: str) -> str:
    return "UC" + _stable_chars(22, "channel", key)


@dataclass
class Video:
    id: str
    title: str
    channel_id: str
    channel_title: str
    duration_s: int
    status: str = "public"
    published_at: float = _BASE_TIME
    description: str = ""
    version: int = 0

    @property
    def available(self) -> bool:
        return self.status in ("public", "unlisted")


@dataclass
class Channel:
    id: str
    title: str
    user_id: str | None = None
    published_at: float = _BASE_TIME
    description: str = ""


@dataclass
class User:
    id: str
    email: str
    name: str
    channel_id: str
    # video id -> (rating, when); likes are listed newest first.
    ratings: dict[str, list[Any]] = field(default_factory=dict)

    def liked(self) -> list[str]:
        likes = [(at, vid) for vid, (rating, at) in self.ratings.items() if rating == "like"]
        return [vid for _, vid in sorted(likes, key=lambda pair: (-pair[0], pair[1]))]


@dataclass
class PlaylistItem:
    id: str
    video_id: str
    added_at: float
    note: str = ""
    version: int = 0


@dataclass
class Playlist:
    id: str
    owner: str
    title: str
    description: str = ""
    privacy: str = "public"
    created_at: float = _BASE_TIME
    items: list[PlaylistItem] = field(default_factory=list)
    # Bumped on every change to the playlist or its items, so its etag changes with them.
    version: int = 0
    seq: int = 0


@dataclass
class Grant:
    """One consent: a user let a client act for them with ``scope``."""

    id: str
    user_id: str
    client_id: str
    scope: str
    created_at: float
    revoked: bool = False


class YouTubeWorld:
    """The whole YouTube + Google state. Construct empty; the seeder fills it."""

    def __init__(self) -> None:
        self.videos: dict[str, Video] = {}
        self.channels: dict[str, Channel] = {}
        self.users: dict[str, User] = {}
        self.playlists: dict[str, Playlist] = {}
        # Google OAuth clients: client id -> secret.
        self.clients: dict[str, str] = {
            "sandbox-google-client.apps.googleusercontent.com": "sandbox-google-secret"
        }
        self.grants: dict[str, Grant] = {}
        self.codes: dict[str, dict[str, Any]] = {}
        self.access_tokens: dict[str, dict[str, Any]] = {}
        self.refresh_tokens: dict[str, dict[str, Any]] = {}
        self.pending_consents: dict[str, dict[str, Any]] = {}
        # A user id (or email): the consent page agrees for them without showing itself.
        self.auto_consent: str | None = None
        self._seq = 0
        self._search = _LazySearch()

    # --- ids and time ---------------------------------------------------------------

    def _next(self) -> int:
        self._seq += 1
        return self._seq

    def seeded_time(self) -> float:
        return _BASE_TIME + 60 * self._seq

    def _playlist_id(self) -> str:
        return "PL" + _stable_chars(32, "playlist", self._next())

    def _item_id(self, playlist_id: str) -> str:
        # Real playlist item ids are base64 of "<playlistId>.<16 hex digits>".
        suffix = hashlib.sha256(f"item:{self._next()}".encode()).hexdigest()[:16].upper()
        return base64.b64encode(f"{playlist_id}.{suffix}".encode()).decode().rstrip("=")

    # --- the seeder's API -----------------------------------------------------------

    def add_video(
        self,
        video_id: str,
        title: str,
        channel_id: str,
        channel_title: str,
        duration_s: int,
        status: str = "public",
        *,
        description: str = "",
        published_at: float | None = None,
    ) -> Video:
        if status not in VIDEO_STATUSES:
            raise ValueError(f"unknown video status {status!r}")
        video = Video(
            id=video_id,
            title=title,
            channel_id=channel_id,
            channel_title=channel_title,
            duration_s=int(duration_s),
            status=status,
            published_at=self.seeded_time() if published_at is None else published_at,
            description=description,
        )
        self._next()
        self.videos[video_id] = video
        self.channels.setdefault(
            channel_id, Channel(id=channel_id, title=channel_title, published_at=_BASE_TIME)
        )
        self._search.add(video)
        return video

    def add_user(self, user_id: str, email: str, name: str) -> dict[str, Any]:
        """Create a person with a channel (and so a likes playlist ``LL``); return the channel."""
        if user_id in self.users:
            raise ValueError(f"user {user_id!r} exists")
        channel = Channel(
            id=channel_id_for(f"user:{user_id}"),
            title=name,
            user_id=user_id,
            published_at=self.seeded_time(),
        )
        self._next()
        self.channels[channel.id] = channel
        self.users[user_id] = User(id=user_id, email=email, name=name, channel_id=channel.id)
        return asdict(channel)

    def add_playlist(
        self,
        user_id: str,
        title: str,
        video_ids: list[str] | tuple[str, ...] = (),
        description: str = "",
        *,
        privacy: str = "public",
        at: float | None = None,
    ) -> str:
        playlist = self.create_playlist(
            user_id, title=title, description=description, privacy=privacy, at=at
        )
        for video_id in video_ids:
            # The seeder may build playlists past the 5,000 limit to test it; allow that.
            self.insert_item(playlist, video_id, at=at, enforce_limit=False)
        return playlist.id

    def like(self, user_id: str, video_id: str, at: float | None = None) -> None:
        self.rate(user_id, video_id, "like", at=self.seeded_time() if at is None else at)
        self._next()

    # --- reads ----------------------------------------------------------------------

    def user(self, user_id: str) -> User:
        return self.users[user_id]

    def user_by_email(self, email: str) -> User | None:
        for user in self.users.values():
            if user.email.lower() == email.lower():
                return user
        return None

    def find_user(self, key: str) -> User | None:
        return self.users.get(key) or self.user_by_email(key)

    def playlists_of(self, user_id: str) -> list[Playlist]:
        # Newest first, as YouTube lists a channel's playlists.
        mine = [p for p in self.playlists.values() if p.owner == user_id]
        return sorted(mine, key=lambda p: -p.seq)

    def liked_items(self, user_id: str) -> list[PlaylistItem]:
        """The likes playlist ``LL`` as items, newest like first."""
        user = self.users[user_id]
        items = []
        for video_id in user.liked():
            at = user.ratings[video_id][1]
            suffix = hashlib.sha256(f"LL:{user_id}:{video_id}".encode()).hexdigest()[:16]
            item_id = base64.b64encode(f"LL.{suffix.upper()}".encode()).decode().rstrip("=")
            items.append(PlaylistItem(id=item_id, video_id=video_id, added_at=at))
        return items

    def likes_version(self, user_id: str) -> tuple[Any, ...]:
        user = self.users[user_id]
        return tuple(sorted((v, r[0], r[1]) for v, r in user.ratings.items()))

    def find_item(self, item_id: str) -> tuple[Playlist, PlaylistItem] | None:
        playlist_id = _playlist_of_item_id(item_id)
        playlist = self.playlists.get(playlist_id or "")
        if playlist is None:
            return None
        for item in playlist.items:
            if item.id == item_id:
                return playlist, item
        return None

    def search(self, query: str) -> list[str]:
        """Public videos matching ``query``, best first."""
        return [
            vid
            for vid in self._search.search(query)
            if vid in self.videos and self.videos[vid].status == "public"
        ]

    # --- writes ---------------------------------------------------------------------

    def create_playlist(
        self,
        user_id: str,
        *,
        title: str,
        description: str = "",
        privacy: str = "public",
        at: float | None = None,
    ) -> Playlist:
        if user_id not in self.users:
            raise KeyError(user_id)
        playlist = Playlist(
            id=self._playlist_id(),
            owner=user_id,
            title=title,
            description=description,
            privacy=privacy,
            created_at=self.seeded_time() if at is None else at,
            seq=self._seq,
        )
        self.playlists[playlist.id] = playlist
        return playlist

    def insert_item(
        self,
        playlist: Playlist,
        video_id: str,
        *,
        position: int | None = None,
        note: str = "",
        at: float | None = None,
        enforce_limit: bool = True,
    ) -> PlaylistItem:
        if enforce_limit and len(playlist.items) >= PLAYLIST_MAX_ITEMS:
            raise PlaylistFull(playlist.id)
        item = PlaylistItem(
            id=self._item_id(playlist.id),
            video_id=video_id,
            added_at=self.seeded_time() if at is None else at,
            note=note,
        )
        if position is None or position >= len(playlist.items):
            playlist.items.append(item)
        else:
            playlist.items.insert(position, item)
        playlist.version += 1
        return item

    def move_item(self, playlist: Playlist, item: PlaylistItem, position: int) -> None:
        playlist.items.remove(item)
        playlist.items.insert(min(position, len(playlist.items)), item)
        item.version += 1
        playlist.version += 1

    def remove_item(self, playlist: Playlist, item: PlaylistItem) -> None:
        playlist.items.remove(item)
        playlist.version += 1

    def delete_playlist(self, playlist: Playlist) -> None:
        del self.playlists[playlist.id]

    def rate(self, user_id: str, video_id: str, rating: str, *, at: float) -> None:
        user = self.users[user_id]
        if rating == "none":
            user.ratings.pop(video_id, None)
        elif rating in ("like", "dislike"):
            current = user.ratings.get(video_id)
            # Liking again keeps the original time, as YouTube keeps a like's place.
            if current is None or current[0] != rating:
                user.ratings[video_id] = [rating, at]
        else:
            raise ValueError(rating)

    def set_video_status(self, video_id: str, status: str) -> Video:
        if status not in VIDEO_STATUSES:
            raise ValueError(f"unknown video status {status!r}")
        video = self.videos[video_id]
        video.status = status
        video.version += 1
        # Playlists holding it now show it differently, so their etags must change.
        for playlist in self.playlists.values():
            if any(item.video_id == video_id for item in playlist.items):
                playlist.version += 1
        return video

    # --- Google OAuth ---------------------------------------------------------------

    def new_code(self, **details: Any) -> str:
        code = "4/0A" + secrets.token_urlsafe(48)
        self.codes[code] = dict(details, used=False)
        return code

    def new_grant(self, user_id: str, client_id: str, scope: str, now: float) -> Grant:
        grant = Grant(
            id=secrets.token_hex(8),
            user_id=user_id,
            client_id=client_id,
            scope=scope,
            created_at=now,
        )
        self.grants[grant.id] = grant
        return grant

    def issue_access_token(self, grant: Grant, now: float, lifetime: int) -> str:
        token = "ya29.a0" + secrets.token_urlsafe(96)
        self.access_tokens[token] = {
            "grant": grant.id,
            "expires_at": now + lifetime,
            "issued_at": now,
        }
        return token

    def issue_refresh_token(self, grant: Grant, now: float) -> str:
        token = "1//0" + secrets.token_urlsafe(72)
        self.refresh_tokens[token] = {"grant": grant.id, "issued_at": now, "last_used": now}
        self._enforce_refresh_token_limit(grant.user_id, grant.client_id)
        return token

    def _enforce_refresh_token_limit(self, user_id: str, client_id: str) -> None:
        live = [
            (info["issued_at"], token)
            for token, info in self.refresh_tokens.items()
            if (g := self.grants.get(info["grant"]))
            and not g.revoked
            and g.user_id == user_id
            and g.client_id == client_id
        ]
        live.sort()
        for _, token in live[: max(0, len(live) - MAX_REFRESH_TOKENS)]:
            self.grants[self.refresh_tokens[token]["grant"]].revoked = True

    def has_live_refresh_token(self, user_id: str, client_id: str) -> bool:
        return any(
            (g := self.grants.get(info["grant"]))
            and not g.revoked
            and g.user_id == user_id
            and g.client_id == client_id
            for info in self.refresh_tokens.values()
        )

    def grant_for_access_token(self, token: str, now: float) -> tuple[Grant | None, str]:
        """The grant behind a live access token, or None and why not."""
        info = self.access_tokens.get(token)
        if info is None:
            return None, "unknown"
        grant = self.grants.get(info["grant"])
        if grant is None or grant.revoked:
            return None, "revoked"
        if now >= info["expires_at"]:
            return None, "expired"
        return grant, ""

    def grant_for_refresh_token(
        self, token: str, now: float, ttl: float | None = None
    ) -> Grant | None:
        info = self.refresh_tokens.get(token)
        if info is None:
            return None
        grant = self.grants.get(info["grant"])
        if grant is None or grant.revoked:
            return None
        if now - info["last_used"] > REFRESH_IDLE_LIFETIME:
            return None
        if ttl and now - info["issued_at"] > ttl:
            return None
        info["last_used"] = now
        return grant

    def revoke_token(self, token: str) -> bool:
        """Revoke the grant behind an access or refresh token, as Google does for either."""
        info = self.access_tokens.get(token) or self.refresh_tokens.get(token)
        if info is None or info["grant"] not in self.grants:
            return False
        self.grants[info["grant"]].revoked = True
        return True

    def revoke_user(self, user_id: str, client_id: str | None = None) -> int:
        count = 0
        for grant in self.grants.values():
            if grant.user_id == user_id and not grant.revoked:
                if client_id is None or grant.client_id == client_id:
                    grant.revoked = True
                    count += 1
        return count

    # --- persistence ----------------------------------------------------------------

    def to_dict(self) -> dict[str, Any]:
        return {
            "seq": self._seq,
            "videos": [asdict(v) for v in self.videos.values()],
            "channels": [asdict(c) for c in self.channels.values()],
            "users": [asdict(u) for u in self.users.values()],
            "playlists": [asdict(p) for p in self.playlists.values()],
            "clients": dict(self.clients),
            "grants": [asdict(g) for g in self.grants.values()],
            "codes": self.codes,
            "access_tokens": self.access_tokens,
            "refresh_tokens": self.refresh_tokens,
        }

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> YouTubeWorld:
        world = cls()
        world._seq = int(data.get("seq", 0))
        for raw in data.get("videos", []):
            video = Video(**raw)
            world.videos[video.id] = video
            world._search.add(video)
        for raw in data.get("channels", []):
            world.channels[raw["id"]] = Channel(**raw)
        for raw in data.get("users", []):
            world.users[raw["id"]] = User(**raw)
        for raw in data.get("playlists", []):
            items = [PlaylistItem(**item) for item in raw.get("items", [])]
            playlist = Playlist(**{**raw, "items": items})
            world.playlists[playlist.id] = playlist
        world.clients.update(data.get("clients", {}))
        for raw in data.get("grants", []):
            world.grants[raw["id"]] = Grant(**raw)
        world.codes = dict(data.get("codes", {}))
        world.access_tokens = dict(data.get("access_tokens", {}))
        world.refresh_tokens = dict(data.get("refresh_tokens", {}))
        return world


class PlaylistFull(Exception):
    """The playlist already holds the 5,000 items YouTube allows."""


def _playlist_of_item_id(item_id: str) -> str | None:
    try:
        decoded = base64.b64decode(item_id + "=" * (-len(item_id) % 4), validate=True).decode()
    except (ValueError, UnicodeDecodeError):
        return None
    playlist_id, dot, _ = decoded.rpartition(".")
    return playlist_id if dot else None


# --- search --------------------------------------------------------------------------


class _LazySearch:
    """The shared relevance index over titles and channel names, rebuilt after changes.

    The seeder adds thousands of videos one by one; building the index once, at the
    first search after them, keeps seeding linear.
    """

    def __init__(self) -> None:
        self._docs: dict[str, dict[str, str]] = {}
        self._prior: dict[str, float] = {}
        self._index: SearchIndex | None = None

    def add(self, video: Video) -> None:
        self._docs[video.id] = {"title": video.title, "channel": video.channel_title}
        self._prior[video.id] = _popularity(video)
        self._index = None

    def search(self, query: str) -> list[str]:
        if self._index is None:
            # Channel names count fully: "Artist - Topic" uploads carry only the song title.
            self._index = SearchIndex(self._docs, {"title": 1.0, "channel": 1.0})
        return self._index.search(query, boost=self._prior)


def _popularity(video: Video) -> float:
    """A small prior standing in for views: official uploads tend to rank near the top."""
    channel, title = video.channel_title.lower(), video.title.lower()
    prior = 0.0
    if channel.endswith("- topic") or "vevo" in channel:
        prior += 0.05
    if "official" in title:
        prior += 0.02
    return prior
