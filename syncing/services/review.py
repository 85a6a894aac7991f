"""The review queue: the person decides what the matcher was not sure about."""

from __future__ import annotations

import re

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone

from platforms.clients import client_for
from platforms.errors import PlatformError
from platforms.models import Connection, Track
from platforms.services import tracks_upsert
from syncing.matching import ACCEPT_THRESHOLD, REVIEW_THRESHOLD
from syncing.models import MatchCache, MatchChoice, MatchMethod, ReviewItem

# "High-confidence suggestions" for bulk accept: most of the way to the matcher's own
# acceptance; below this a person should look at each one.
BULK_ACCEPT_THRESHOLD = round(REVIEW_THRESHOLD + 0.75 * (ACCEPT_THRESHOLD - REVIEW_THRESHOLD), 2)

_SPOTIFY = re.compile(
    r"(?:open\.spotify\.com/(?:intl-\w+/)?track/|spotify:track:)([A-Za-z0-9]{22})"
)
_YOUTUBE = re.compile(
    r"(?:youtube\.com/watch\?(?:[^#\s]*&)?v=|youtu\.be/|music\.youtube\.com/watch\?v=|"
    r"youtube\.com/shorts/)([A-Za-z0-9_-]{11})"
)


def parse_track_url(url: str) -> tuple[str, str]:
    """(platform, id) of a Spotify track (link or spotify:track: URI) or YouTube video URL.

    Anything else raises ValidationError saying what is wrong with it.
    """
    url = (url or "").strip()
    if match := _SPOTIFY.search(url):
        return "spotify", match.group(1)
    if match := _YOUTUBE.search(url):
        return "youtube", match.group(1)
    raise ValidationError({"url": [_what_is_wrong(url)]})


_SPOTIFY_OTHER = re.compile(r"open\.spotify\.com/(?:intl-\w+/)?(\w+)/|spotify:(\w+):")


def _what_is_wrong(url: str) -> str:
    """A link we cannot use, said as specifically as the link allows."""
    if match := _SPOTIFY_OTHER.search(url):
        kind = match.group(1) or match.group(2)
        if kind != "track":
            return f"That is a Spotify {kind} link: paste the link of one song."
        return "That Spotify song link is cut short: its id has 22 letters and digits."
    if "youtube.com" in url or "youtu.be" in url:
        if "list=" in url:
            return "That is a YouTube playlist link: paste the link of one video."
        return "That YouTube link names no video: a video's link has an 11-character id after v=."
    return "Paste a Spotify song link or a YouTube video link."


def _resolve(item: ReviewItem, target: Track, *, confidence: float | None) -> None:
    with transaction.atomic():
        MatchChoice.objects.update_or_create(
            user_id=item.user_id,
            source=item.source,
            target_platform=item.target_platform,
            defaults={"kind": MatchChoice.Kind.PIN, "target": target},
        )
        ReviewItem.objects.filter(pk=item.pk).update(
            status=ReviewItem.Status.RESOLVED, chosen=target, resolved_at=timezone.now()
        )
        # Offered to everybody only when the matcher agreed with the person's choice.
        if confidence is not None and confidence >= ACCEPT_THRESHOLD:
            MatchCache.objects.update_or_create(
                source=item.source,
                target_platform=item.target_platform,
                defaults={
                    "target": target,
                    "confidence": confidence,
                    "method": MatchMethod.PINNED,
                    "reasons": ["confirmed by a person"],
                    "candidates": [],
                },
            )


def review_pick(*, item: ReviewItem, track_id: int) -> None:
    offered = {c["track"]: c.get("confidence") for c in item.candidates}
    if track_id not in offered:
        raise ValidationError({"track_id": ["Pick one of the suggested candidates."]})
    target = Track.objects.get(pk=track_id)
    _resolve(item, target, confidence=offered[track_id])


def review_pick_url(*, item: ReviewItem, url: str) -> None:
    platform, platform_id = parse_track_url(url)
    if platform != item.target_platform:
        raise ValidationError(
            {"url": [f"This item needs a {item.get_target_platform_display()} link."]}
        )
    target = Track.objects.filter(platform=platform, platform_id=platform_id).first()
    if target is None:
        conn = Connection.objects.filter(user_id=item.user_id, platform=platform).first()
        if conn is None or not conn.is_active:
            raise ValidationError({"url": ["Connect that platform first to look the link up."]})
        try:
            found = client_for(conn).get_tracks([platform_id])
        except PlatformError as exc:
            raise ValidationError({"url": [f"Could not look the link up: {exc.message}"]}) from exc
        if not found:
            raise ValidationError({"url": ["No track or video exists at that link."]})
        from platforms.quota import quota_flush

        quota_flush()
        ids = tracks_upsert(found)
        target = Track.objects.get(pk=ids[(platform, platform_id)])
    _resolve(item, target, confidence=None)


def review_never(*, item: ReviewItem) -> None:
    with transaction.atomic():
        MatchChoice.objects.update_or_create(
            user_id=item.user_id,
            source=item.source,
            target_platform=item.target_platform,
            defaults={"kind": MatchChoice.Kind.NEVER, "target": None},
        )
        ReviewItem.objects.filter(pk=item.pk).update(
            status=ReviewItem.Status.NEVER, resolved_at=timezone.now()
        )


def review_accept_suggestions(*, user) -> int:
    """Accepts the best candidate of every open item whose best is a likely match."""
    accepted = 0
    items = ReviewItem.objects.filter(
        user=user, status=ReviewItem.Status.OPEN, best_confidence__gte=BULK_ACCEPT_THRESHOLD
    )
    for item in items:
        best = max(item.candidates, key=lambda c: c.get("confidence", 0), default=None)
        if best is None:
            continue
        review_pick(item=item, track_id=best["track"])
        accepted += 1
    return accepted
