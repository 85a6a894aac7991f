"""A small library in the database for API tests: connections, collections, a pair, runs.

Built directly with the ORM (no platform calls), so the API tests need no sandbox: the
only thing they exercise is the API over what is stored.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta

from django.utils import timezone
from rest_framework.test import APIClient

from accounts.services import api_token_create
from platforms.models import (
    Collection,
    CollectionItem,
    Connection,
    QuotaLedger,
    Track,
    pacific_day,
)
from syncing.models import ReviewItem, Run, RunChange, SyncPair

# Stored (encrypted) on every connection built here; no response may ever contain them.
ACCESS_TOKEN = "access-token-that-must-never-leave"
REFRESH_TOKEN = "refresh-token-that-must-never-leave"


@dataclass
class Library:
    spotify: Connection
    youtube: Connection
    playlist: Collection
    youtube_playlist: Collection
    liked: Collection
    pair: SyncPair
    run: Run
    active_run: Run
    review: ReviewItem
    candidates: list[Track]


def token_client(user) -> APIClient:
    client = APIClient()
    secret = api_token_create(user=user, name="tests").secret
    client.credentials(HTTP_AUTHORIZATION=f"Token {secret}")
    return client


def _track(platform: str, platform_id: str, title: str, **fields) -> Track:
    track, _ = Track.objects.get_or_create(
        platform=platform, platform_id=platform_id, defaults={"title": title, **fields}
    )
    return track


def build_library(user, *, tag: str) -> Library:
    """One person's library; ``tag`` keeps names and platform ids apart between people."""
    spotify = Connection.objects.create(
        user=user,
        platform="spotify",
        account_id=f"{tag}-spotify",
        account_name=f"{tag} on Spotify",
        access_token=ACCESS_TOKEN,
        refresh_token=REFRESH_TOKEN,
        token_expires_at=timezone.now() + timedelta(hours=1),
    )
    youtube = Connection.objects.create(
        user=user,
        platform="youtube",
        account_id=f"{tag}-youtube",
        account_name=f"{tag} on YouTube",
        access_token=ACCESS_TOKEN,
        refresh_token=REFRESH_TOKEN,
        token_expires_at=timezone.now() + timedelta(hours=1),
    )
    song = _track(
        "spotify", f"{tag}sp1", "Harvest Moon", artists=["Neil Young"], isrc=f"US{tag}0001"
    )
    other = _track("spotify", f"{tag}sp2", "Heart of Gold", artists=["Neil Young"])
    video = _track("youtube", f"{tag}yt1", "Neil Young - Harvest Moon", channel="Neil Young")
    cover = _track("youtube", f"{tag}yt2", "Harvest Moon (cover)", channel="Somebody")

    playlist = Collection.objects.create(
        connection=spotify, platform_id=f"{tag}pl", name="Road trip", item_count=3
    )
    CollectionItem.objects.create(collection=playlist, position=0, track=song)
    CollectionItem.objects.create(collection=playlist, position=1, track=other)
    # A local file or removed track: the platform hides it.
    CollectionItem.objects.create(collection=playlist, position=2, track=None)
    Collection.objects.create(
        connection=spotify, platform_id=f"{tag}old", name="Old favourites", removed=True
    )
    youtube_playlist = Collection.objects.create(
        connection=youtube, platform_id=f"{tag}ytpl", name="Road trip", item_count=1
    )
    CollectionItem.objects.create(collection=youtube_playlist, position=0, track=video)
    liked = Collection.objects.create(
        connection=spotify, kind=Collection.Kind.LIKED, name="Liked Songs", item_count=1
    )
    CollectionItem.objects.create(collection=liked, position=0, track=song)

    pair = SyncPair.objects.create(
        user=user,
        source=playlist,
        target=youtube_playlist,
        target_platform="youtube",
        mode=SyncPair.Mode.MIRROR,
    )
    now = timezone.now()
    run = Run.objects.create(
        pair=pair,
        user=user,
        status=Run.Status.PARTIAL,
        planned=True,
        added=1,
        unmatched=1,
        started_at=now - timedelta(minutes=2),
        finished_at=now - timedelta(minutes=1),
    )
    RunChange.objects.create(
        run=run,
        seq=1,
        action=RunChange.Action.ADD,
        collection=youtube_playlist,
        item=other,
        counterpart=video,
        confidence=0.93,
        method="search",
        outcome=RunChange.Outcome.APPLIED,
        applied_at=now,
    )
    RunChange.objects.create(
        run=run, seq=2, action=RunChange.Action.UNMATCHED, item=song, reason="No close match"
    )
    # Another pair, with a run still under way (something to cancel).
    liked_pair = SyncPair.objects.create(
        user=user, source=liked, target_platform="youtube", target_name="Liked from Spotify"
    )
    active_run = Run.objects.create(
        pair=liked_pair, user=user, status=Run.Status.RUNNING, started_at=now
    )
    review = ReviewItem.objects.create(
        user=user,
        pair=pair,
        run=run,
        source=song,
        target_platform="youtube",
        candidates=[
            {"track": video.pk, "confidence": 0.71, "reasons": ["title", "artist"]},
            {"track": cover.pk, "confidence": 0.4, "reasons": ["title"]},
        ],
        best_confidence=0.71,
    )
    QuotaLedger.objects.update_or_create(
        day=pacific_day(), user=user, defaults={"units": 150, "calls": 3, "writes": 2}
    )
    return Library(
        spotify=spotify,
        youtube=youtube,
        playlist=playlist,
        youtube_playlist=youtube_playlist,
        liked=liked,
        pair=pair,
        run=run,
        active_run=active_run,
        review=review,
        candidates=[video, cover],
    )
