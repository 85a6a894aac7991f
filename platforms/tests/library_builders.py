"""Rows for page tests, built with the ORM: no platform is called to show a page."""

from __future__ import annotations

from django.utils import timezone

from platforms.models import Collection, CollectionItem, Connection, Track
from syncing.models import Run, SyncPair


def connect(user, platform: str = "spotify", **fields) -> Connection:
    fields.setdefault("account_name", f"{user.email.split('@')[0]} on {platform}")
    fields.setdefault("import_status", Connection.ImportStatus.DONE)
    return Connection.objects.create(user=user, platform=platform, **fields)


def track(platform: str = "spotify", n: int = 1, **fields) -> Track:
    fields.setdefault("title", f"Song {n}")
    fields.setdefault("artists", [f"Artist {n}"] if platform == "spotify" else [])
    fields.setdefault("channel", f"Artist {n} - Topic" if platform == "youtube" else "")
    fields.setdefault("duration_ms", 200_000 + n)
    return Track.objects.create(platform=platform, platform_id=f"{platform[:2]}{n:08d}", **fields)


def playlist(
    connection: Connection, name: str = "Road trip", items: int = 0, **fields
) -> Collection:
    fields.setdefault("platform_id", f"pl-{connection.platform}-{name}")
    fields.setdefault("imported_at", timezone.now())
    collection = Collection.objects.create(
        connection=connection, name=name, item_count=items, **fields
    )
    if items:
        fill(collection, items)
    return collection


def liked(connection: Connection, items: int = 0) -> Collection:
    return playlist(connection, name="Liked songs", items=items, kind=Collection.Kind.LIKED)


def fill(collection: Collection, count: int, start: int = 0) -> list[Track]:
    """``count`` new tracks at the end of the collection, created in bulk."""
    platform = collection.connection.platform
    offset = collection.pk * 100_000 + start
    tracks = Track.objects.bulk_create(
        Track(
            platform=platform,
            platform_id=f"{platform[:2]}{offset + i:09d}",
            title=f"Song {start + i}",
            artists=[f"Artist {start + i}"] if platform == "spotify" else [],
            channel=f"Artist {start + i} - Topic" if platform == "youtube" else "",
            duration_ms=180_000 + i,
        )
        for i in range(count)
    )
    CollectionItem.objects.bulk_create(
        CollectionItem(collection=collection, position=start + i, track=t)
        for i, t in enumerate(tracks)
    )
    Collection.objects.filter(pk=collection.pk).update(item_count=start + count)
    return tracks


def pair(user, source: Collection, target: Collection | None = None, **fields) -> SyncPair:
    fields.setdefault("target_platform", "youtube" if source.platform == "spotify" else "spotify")
    fields.setdefault("target_name", "" if target else source.name)
    return SyncPair.objects.create(user=user, source=source, target=target, **fields)


def run(pair: SyncPair, **fields) -> Run:
    fields.setdefault("status", Run.Status.SUCCEEDED)
    if fields["status"] in Run.FINISHED:
        fields.setdefault("started_at", timezone.now())
        fields.setdefault("finished_at", timezone.now())
    return Run.objects.create(pair=pair, user=pair.user, **fields)


def two_connected(user) -> tuple[Connection, Connection]:
    return connect(user, "spotify"), connect(user, "youtube")
