"""Exports of a collection as CSV, JSON and M3U, streamed so a big playlist costs no memory.

Titles come from strangers (anybody can name a video), so every format treats them as
hostile: CSV cells that a spreadsheet would run as a formula are neutralised, M3U lines
cannot be broken, and JSON is JSON.
"""

from __future__ import annotations

import csv
import json
from collections.abc import Iterable, Iterator
from typing import Any

from django.http import StreamingHttpResponse
from django.utils.http import content_disposition_header
from django.utils.text import slugify

from platforms.models import Collection, CollectionItem
from platforms.selectors import collection_items_for_export

FORMATS = {
    "csv": "text/csv; charset=utf-8",
    "json": "application/json",
    "m3u": "audio/x-mpegurl; charset=utf-8",
}
CSV_COLUMNS = [
    "position",
    "title",
    "artists",
    "album",
    "duration_seconds",
    "isrc",
    "channel",
    "platform",
    "platform_id",
    "url",
    "available",
    "added_at",
]
# A spreadsheet runs a cell starting with one of these as a formula (OWASP "CSV injection").
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def csv_safe(value: Any) -> str:
    text = "" if value is None else str(value)
    if text.startswith(FORMULA_STARTS):
        return "'" + text
    return text


def item_record(item: CollectionItem, platform: str) -> dict[str, Any]:
    """One item as the export shows it; positions count from 1, as the pages do."""
    track = item.track
    if track is None:
        return {
            "position": item.position + 1,
            "title": "",
            "artists": [],
            "album": "",
            "duration_seconds": None,
            "isrc": "",
            "channel": "",
            "platform": platform,
            "platform_id": "",
            "url": "",
            "available": False,
            "added_at": item.added_at.isoformat() if item.added_at else None,
        }
    return {
        "position": item.position + 1,
        "title": track.title,
        "artists": list(track.artists or []),
        "album": track.album,
        "duration_seconds": round(track.duration_ms / 1000) if track.duration_ms else None,
        "isrc": track.isrc,
        "channel": track.channel,
        "platform": track.platform,
        "platform_id": track.platform_id,
        "url": track.url,
        "available": track.available,
        "added_at": item.added_at.isoformat() if item.added_at else None,
    }


class _Echo:
    """A file-like object whose write returns the line, for csv.writer into a stream."""

    def write(self, value: str) -> str:
        return value


def csv_lines(collection: Collection, items: Iterable[CollectionItem]) -> Iterator[str]:
    writer = csv.writer(_Echo())
    # A byte-order mark so Excel reads the file as UTF-8.
    yield "\ufeff" + writer.writerow(CSV_COLUMNS)
    for item in items:
        record = item_record(item, collection.platform)
        record["artists"] = "; ".join(record["artists"])
        yield writer.writerow([csv_safe(record[column]) for column in CSV_COLUMNS])


def json_chunks(collection: Collection, items: Iterable[CollectionItem]) -> Iterator[str]:
    head = {
        "name": collection.name,
        "kind": collection.kind,
        "platform": collection.platform,
        "platform_id": collection.platform_id,
        "description": collection.description,
    }
    yield '{"collection": ' + json.dumps(head, ensure_ascii=False) + ', "items": ['
    first = True
    for item in items:
        yield (
            ("" if first else ",")
            + "\n"
            + json.dumps(item_record(item, collection.platform), ensure_ascii=False)
        )
        first = False
    yield "\n]}\n"


def _one_line(text: str) -> str:
    # A newline in a title would start a new M3U entry pointing wherever it likes.
    return " ".join(text.split())


def m3u_lines(collection: Collection, items: Iterable[CollectionItem]) -> Iterator[str]:
    yield "#EXTM3U\n"
    yield f"#PLAYLIST:{_one_line(collection.name)}\n"
    for item in items:
        track = item.track
        if track is None or not track.available:
            continue
        seconds = round(track.duration_ms / 1000) if track.duration_ms else -1
        # "Mira Solis - Topic" is YouTube Music's channel for Mira Solis: the artist.
        who = track.artist_line.removesuffix(" - Topic")
        label = f"{who} - {track.title}" if who else track.title
        yield f"#EXTINF:{seconds},{_one_line(label)}\n{track.url}\n"


WRITERS = {"csv": csv_lines, "json": json_chunks, "m3u": m3u_lines}


# File systems take at most 255 bytes for a name; a short one is kinder anyway.
FILENAME_MAX_BYTES = 120


def export_filename(collection: Collection, fmt: str) -> str:
    # Non-Latin names keep their letters; the header sends them as RFC 6266 filename*.
    name = slugify(collection.name, allow_unicode=True) or f"collection-{collection.pk}"
    tail = f"-{collection.platform}.{fmt}"
    while len((name + tail).encode()) > FILENAME_MAX_BYTES:
        name = name[:-1]
    return name.rstrip("-_") + tail


def export_response(*, collection: Collection, fmt: str) -> StreamingHttpResponse:
    """A download of the collection in ``fmt`` (one of FORMATS)."""
    items = collection_items_for_export(collection=collection)
    response = StreamingHttpResponse(WRITERS[fmt](collection, items), content_type=FORMATS[fmt])
    response["Content-Disposition"] = content_disposition_header(
        as_attachment=True, filename=export_filename(collection, fmt)
    )
    response["X-Content-Type-Options"] = "nosniff"
    return response
