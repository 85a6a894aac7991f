"""Spotify payloads become the project's own types here, and nowhere else.

Spotify returns null for local files and removed tracks, and since February 2026
names a playlist entry's track ``item`` (``track`` is the deprecated alias).
"""

from __future__ import annotations

import math
from typing import Any

from platforms.errors import PlatformError
from platforms.types import MAX_DURATION_MS, Platform, PlaylistEntry, PlaylistInfo, Track


def _bad(message: str) -> PlatformError:
    return PlatformError(message, platform="spotify", kind="bad_payload", permanent=True)


def parse_track(raw: Any) -> Track | None:
    """A Spotify track object, or None for what is not a playable track."""
    if not isinstance(raw, dict) or raw.get("type", "track") != "track":
        return None
    track_id = raw.get("id")
    if not isinstance(track_id, str) or not track_id:
        return None  # local files have no id
    artists = tuple(
        a["name"][:2000]
        for a in _list(raw.get("artists"))
        if isinstance(a, dict) and isinstance(a.get("name"), str) and a["name"]
    )
    album = raw.get("album") if isinstance(raw.get("album"), dict) else {}
    duration = raw.get("duration_ms")
    external = raw.get("external_ids") if isinstance(raw.get("external_ids"), dict) else {}
    isrc = external.get("isrc") or ""
    playable = raw.get("is_playable")
    return Track(
        platform=Platform.SPOTIFY,
        platform_id=track_id[:64],
        title=str(raw.get("name") or "")[:2000],
        artists=artists,
        album=str(album.get("name") or "")[:2000],
        duration_ms=_duration(duration),
        isrc=str(isrc).upper()[:16] if isinstance(isrc, str) else "",
        available=playable is not False and not raw.get("is_local", False),
    )


def _list(value: Any) -> list:
    return value if isinstance(value, list) else []


def _duration(value: Any) -> int | None:
    # json.loads("1e400") is inf, and a column holds at most MAX_DURATION_MS.
    if isinstance(value, bool) or not isinstance(value, int | float) or not math.isfinite(value):
        return None
    return int(value) if 0 < value <= MAX_DURATION_MS else None


def parse_playlist_entry(raw: Any, position: int) -> PlaylistEntry:
    if not isinstance(raw, dict):
        return PlaylistEntry(position=position, track=None)
    body = raw.get("item") if raw.get("item") is not None else raw.get("track")
    track = None if raw.get("is_local") else parse_track(body)
    return PlaylistEntry(position=position, track=track, added_at=str(raw.get("added_at") or ""))


def parse_saved_track(raw: Any, position: int) -> PlaylistEntry:
    if not isinstance(raw, dict):
        return PlaylistEntry(position=position, track=None)
    return PlaylistEntry(
        position=position,
        track=parse_track(raw.get("track")),
        added_at=str(raw.get("added_at") or ""),
    )


def parse_playlist(raw: Any, *, me: str) -> PlaylistInfo:
    if not isinstance(raw, dict) or not raw.get("id"):
        raise _bad("a playlist without an id")
    owner = raw.get("owner") if isinstance(raw.get("owner"), dict) else {}
    items = raw.get("items") if isinstance(raw.get("items"), dict) else raw.get("tracks")
    total = items.get("total", 0) if isinstance(items, dict) else 0
    owner_id = str(owner.get("id") or "")
    return PlaylistInfo(
        platform=Platform.SPOTIFY,
        platform_id=str(raw["id"]),
        name=str(raw.get("name") or "Untitled")[:2000],
        description=str(raw.get("description") or "")[:5000],
        owner_id=owner_id,
        version=str(raw.get("snapshot_id") or ""),
        item_count=int(total) if isinstance(total, int) else 0,
        editable=owner_id == me or bool(raw.get("collaborative")),
    )


def page_items(page: Any) -> list:
    if not isinstance(page, dict):
        raise _bad("a page that is not an object")
    items = page.get("items")
    if items is None:
        return []
    if not isinstance(items, list):
        raise _bad("a page whose items are not a list")
    return items
