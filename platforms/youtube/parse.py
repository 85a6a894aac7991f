"""YouTube payloads become the project's own types here, and nowhere else.

Deleted and private videos stay in playlists as entries titled "Deleted video" or
"Private video" with no owner channel: they become unavailable tracks, never guesses.
"""

from __future__ import annotations

import html
import math
import re
from typing import Any

from platforms.errors import PlatformError
from platforms.types import MAX_DURATION_MS, Platform, PlaylistEntry, PlaylistInfo, Track

_DURATION = re.compile(
    r"^P(?:(?P<d>\d+)D)?(?:T(?:(?P<h>\d+)H)?(?:(?P<m>\d+)M)?(?:(?P<s>\d+(?:\.\d+)?)S)?)?$"
)
_HIDDEN_TITLES = {"deleted video", "private video"}


def _bad(message: str) -> PlatformError:
    return PlatformError(message, platform="youtube", kind="bad_payload", permanent=True)


def _dict(value: Any) -> dict:
    return value if isinstance(value, dict) else {}


def parse_duration(value: Any) -> int | None:
    """ISO 8601 duration ("PT3M21S") in milliseconds; None for unknown or zero (live)."""
    if not isinstance(value, str):
        return None
    match = _DURATION.match(value.strip())
    if not match:
        return None
    parts = {k: float(v) if v else 0.0 for k, v in match.groupdict().items()}
    seconds = parts["d"] * 86400 + parts["h"] * 3600 + parts["m"] * 60 + parts["s"]
    # "P999...9D" overflows to inf; beyond what the column holds it is unknown too.
    if not math.isfinite(seconds) or seconds * 1000 > MAX_DURATION_MS:
        return None
    return int(seconds * 1000) or None


def parse_video(raw: Any) -> Track | None:
    """A videos.list item."""
    raw = _dict(raw)
    video_id = raw.get("id")
    if not isinstance(video_id, str) or not video_id:
        return None
    snippet, status = _dict(raw.get("snippet")), _dict(raw.get("status"))
    privacy = status.get("privacyStatus", "public")
    return Track(
        platform=Platform.YOUTUBE,
        platform_id=video_id[:64],
        title=str(snippet.get("title") or "")[:2000],
        channel=str(snippet.get("channelTitle") or "")[:2000],
        duration_ms=parse_duration(_dict(raw.get("contentDetails")).get("duration")),
        available=privacy in ("public", "unlisted") and status.get("uploadStatus") != "rejected",
    )


def parse_search_result(raw: Any) -> Track | None:
    raw = _dict(raw)
    ident = _dict(raw.get("id"))
    video_id = ident.get("videoId")
    if ident.get("kind", "youtube#video") != "youtube#video" or not isinstance(video_id, str):
        return None
    snippet = _dict(raw.get("snippet"))
    # search.list escapes HTML in titles ("Don&#39;t"); other endpoints do not.
    return Track(
        platform=Platform.YOUTUBE,
        platform_id=video_id[:64],
        title=html.unescape(str(snippet.get("title") or ""))[:2000],
        channel=html.unescape(str(snippet.get("channelTitle") or ""))[:2000],
    )


def parse_playlist_item(raw: Any, position: int) -> PlaylistEntry:
    raw = _dict(raw)
    snippet, details = _dict(raw.get("snippet")), _dict(raw.get("contentDetails"))
    video_id = details.get("videoId") or _dict(snippet.get("resourceId")).get("videoId")
    entry_id = str(raw.get("id") or "")
    if not isinstance(video_id, str) or not video_id:
        return PlaylistEntry(position=position, track=None, entry_id=entry_id)
    title = str(snippet.get("title") or "")
    owner = snippet.get("videoOwnerChannelTitle")
    privacy = _dict(raw.get("status")).get("privacyStatus", "public")
    hidden = (not owner and title.strip().lower() in _HIDDEN_TITLES) or privacy == "private"
    track = Track(
        platform=Platform.YOUTUBE,
        platform_id=video_id[:64],
        title=title[:2000],
        channel=str(owner or "")[:2000],
        available=not hidden,
    )
    return PlaylistEntry(
        position=position,
        track=track,
        entry_id=entry_id,
        added_at=str(snippet.get("publishedAt") or ""),
    )


def parse_playlist(raw: Any) -> PlaylistInfo:
    raw = _dict(raw)
    if not raw.get("id"):
        raise _bad("a playlist without an id")
    snippet = _dict(raw.get("snippet"))
    count = _dict(raw.get("contentDetails")).get("itemCount", 0)
    return PlaylistInfo(
        platform=Platform.YOUTUBE,
        platform_id=str(raw["id"]),
        name=str(snippet.get("title") or "Untitled")[:2000],
        description=str(snippet.get("description") or "")[:5000],
        owner_id=str(snippet.get("channelId") or ""),
        version=str(raw.get("etag") or ""),
        item_count=int(count) if isinstance(count, int) else 0,
    )


def page_items(page: Any) -> list:
    page = _dict(page)
    items = page.get("items", [])
    if not isinstance(items, list):
        raise _bad("a page whose items are not a list")
    return items
