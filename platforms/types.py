"""The project's own types for what platforms return.

Everything past a platform client's edge works with these, never with raw JSON.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass, field

# The most a duration column holds (PostgreSQL integer): about 24 days.
MAX_DURATION_MS = 2**31 - 1

# Bidirectional embedding, override and isolate controls. In a name they serve mostly to
# spoof ("Safe \u202egnp.exe" shows as "Safe exe.png"), and one left open reverses the
# text around it. Right-to-left scripts need none of them; the marks (U+200E, U+200F)
# are harmless and stay.
_BIDI_CONTROLS = dict.fromkeys([*range(0x202A, 0x202F), *range(0x2066, 0x206A)])


def plain_name(text: str) -> str:
    """A name as pages and playlists show it: without bidirectional controls."""
    return text.translate(_BIDI_CONTROLS)


class Platform(enum.StrEnum):
    SPOTIFY = "spotify"
    YOUTUBE = "youtube"

    @property
    def other(self) -> Platform:
        return Platform.YOUTUBE if self is Platform.SPOTIFY else Platform.SPOTIFY

    @property
    def label(self) -> str:
        """The name people know it by ("YouTube", not "Youtube")."""
        return "YouTube" if self is Platform.YOUTUBE else "Spotify"


@dataclass(frozen=True, slots=True)
class Track:
    """A song as one platform describes it.

    Spotify tracks have ``artists``, ``album`` and often ``isrc``; YouTube videos have
    a free-form ``title`` and a ``channel`` and no artists. ``duration_ms`` is None
    where the platform did not tell (YouTube search results).
    """

    platform: Platform
    platform_id: str
    title: str
    artists: tuple[str, ...] = ()
    album: str = ""
    duration_ms: int | None = None
    isrc: str = ""
    channel: str = ""
    available: bool = True

    def __post_init__(self) -> None:
        for name in ("title", "album", "channel"):
            object.__setattr__(self, name, plain_name(getattr(self, name)))
        object.__setattr__(self, "artists", tuple(plain_name(a) for a in self.artists))

    @property
    def uri(self) -> str:
        if self.platform is Platform.SPOTIFY:
            return f"spotify:track:{self.platform_id}"
        return f"https://www.youtube.com/watch?v={self.platform_id}"


@dataclass(frozen=True, slots=True)
class PlaylistInfo:
    platform: Platform
    platform_id: str
    name: str
    description: str = ""
    owner_id: str = ""
    version: str = ""  # Spotify snapshot_id, YouTube etag
    item_count: int = 0
    editable: bool = True

    def __post_init__(self) -> None:
        object.__setattr__(self, "name", plain_name(self.name))


@dataclass(frozen=True, slots=True)
class PlaylistEntry:
    """One position in a playlist: the track, and the platform's id for the entry.

    YouTube deletes by playlist-item id, so the entry id is kept beside the track.
    ``track`` is None for an item the platform returned as null (a Spotify local
    file or removed track) so positions stay truthful.
    """

    position: int
    track: Track | None
    entry_id: str = ""
    added_at: str = ""


@dataclass(slots=True)
class Page:
    items: list = field(default_factory=list)
    next_cursor: str | None = None
    total: int | None = None
