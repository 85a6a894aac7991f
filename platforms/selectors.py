"""Read queries over people's libraries, shared by the pages and the REST API.

Each function takes keyword arguments and does a fixed number of queries whatever the
size of the library, so a 10,000-item playlist costs what a 10-item one does.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass

from django.core.paginator import Page, Paginator
from django.db.models import Q, QuerySet
from django.http import Http404

from platforms.models import Collection, CollectionItem, Connection, Platform, Track

ITEMS_PER_PAGE = 100
COLLECTIONS_PER_PAGE = 50


def connections_for_user(*, user) -> list[Connection]:
    return list(Connection.objects.filter(user=user).order_by("platform"))


def connection_for_platform(*, user, platform: str) -> Connection | None:
    return Connection.objects.filter(user=user, platform=platform).first()


def get_connection_for_user(*, user, pk: int) -> Connection:
    try:
        return Connection.objects.get(user=user, pk=pk)
    except (Connection.DoesNotExist, ValueError, TypeError):
        raise Http404("No such connection.")


def get_collection_for_user(*, user, pk: int) -> Collection:
    """A collection of one of the person's connections; 404 for anybody else's."""
    try:
        return Collection.objects.select_related("connection").get(connection__user=user, pk=pk)
    except (Collection.DoesNotExist, ValueError, TypeError):
        raise Http404("No such playlist.")


def collections_for_user(
    *,
    user,
    kind: str | None = None,
    platform: str | None = None,
    search: str = "",
    include_removed: bool = False,
) -> QuerySet[Collection]:
    qs = Collection.objects.filter(connection__user=user).select_related("connection")
    if kind:
        qs = qs.filter(kind=kind)
    if platform:
        qs = qs.filter(connection__platform=platform)
    if not include_removed:
        qs = qs.filter(removed=False)
    if search:
        qs = qs.filter(Q(name__icontains=search) | Q(description__icontains=search))
    return qs.order_by("connection__platform", "kind", "name", "pk")


def collections_page(
    *, user, kind: str, platform: str | None = None, search: str = "", page: int | str = 1
) -> Page:
    qs = collections_for_user(user=user, kind=kind, platform=platform, search=search)
    return Paginator(qs, COLLECTIONS_PER_PAGE).get_page(page)


def liked_collection(*, user, platform: str) -> Collection | None:
    return (
        Collection.objects.filter(
            connection__user=user, connection__platform=platform, kind=Collection.Kind.LIKED
        )
        .select_related("connection")
        .first()
    )


@dataclass(frozen=True)
class ItemRow:
    """One position of a collection, as a page shows it."""

    position: int
    track: Track | None
    added_at: object
    # The item on the other platform it is synced with (through one of the person's
    # pairs), and how sure the match was; None where it is not synced.
    counterpart: Track | None = None
    confidence: float | None = None
    method: str = ""

    @property
    def available(self) -> bool:
        return self.track is not None and self.track.available

    @property
    def duration_text(self) -> str:
        if self.track is None or not self.track.duration_ms:
            return "—"
        minutes, seconds = divmod(round(self.track.duration_ms / 1000), 60)
        return f"{minutes}:{seconds:02d}"


def other_platform(platform: str) -> str:
    return Platform.YOUTUBE if platform == Platform.SPOTIFY else Platform.SPOTIFY


def _items_queryset(*, collection: Collection, search: str = "") -> QuerySet[CollectionItem]:
    qs = CollectionItem.objects.filter(collection=collection).select_related("track")
    if search:
        qs = qs.filter(
            Q(track__title__icontains=search)
            | Q(track__artists__icontains=search)
            | Q(track__channel__icontains=search)
            | Q(track__album__icontains=search)
        )
    return qs.order_by("position")


def counterparts_for(
    *, user, collection: Collection, track_ids: list[int]
) -> dict[int, tuple[Track, float | None, str]]:
    """For tracks of a collection: their synced counterpart, confidence and match method.

    Three queries whatever the number of tracks: the synced pairs' rows, the person's
    pinned choices, and the shared match cache.
    """
    from syncing.models import MatchCache, MatchChoice, MatchMethod, SyncedItem

    if not track_ids:
        return {}
    rows = (
        SyncedItem.objects.filter(pair__user=user)
        .filter(
            Q(pair__source=collection, source_track_id__in=track_ids)
            | Q(pair__target=collection, target_track_id__in=track_ids)
        )
        .select_related("pair", "source_track", "target_track")
        .order_by("-created_at")
    )
    # item track id -> (counterpart, source track id, target track id)
    found: dict[int, tuple[Track, int, int]] = {}
    for row in rows:
        if row.pair.source_id == collection.pk and row.source_track_id in track_ids:
            found.setdefault(
                row.source_track_id, (row.target_track, row.source_track_id, row.target_track_id)
            )
        if row.pair.target_id == collection.pk and row.target_track_id in track_ids:
            found.setdefault(
                row.target_track_id, (row.source_track, row.source_track_id, row.target_track_id)
            )
    if not found:
        return {}
    # A pin or a cached match may have been made in either direction (a two-way pair's
    # YouTube item matched to its Spotify track is the same link), so both ends look.
    ends = {src for _, src, _ in found.values()} | {dst for _, _, dst in found.values()}
    pinned = set()
    for source_id, target_id in MatchChoice.objects.filter(
        user=user, kind=MatchChoice.Kind.PIN, source_id__in=ends
    ).values_list("source_id", "target_id"):
        pinned |= {(source_id, target_id), (target_id, source_id)}
    cached: dict[tuple[int, int], tuple[float, str]] = {}
    for c in MatchCache.objects.filter(source_id__in=ends).only(
        "source_id", "target_id", "confidence", "method"
    ):
        cached[(c.source_id, c.target_id)] = cached[(c.target_id, c.source_id)] = (
            c.confidence,
            c.method,
        )
    result: dict[int, tuple[Track, float | None, str]] = {}
    for track_id, (counterpart, src, dst) in found.items():
        if (src, dst) in pinned:
            result[track_id] = (counterpart, 1.0, MatchMethod.PINNED)
        elif (src, dst) in cached:
            confidence, method = cached[(src, dst)]
            result[track_id] = (counterpart, confidence, method)
        else:
            result[track_id] = (counterpart, None, "")
    return result


def collection_items_page(
    *,
    collection: Collection,
    page: int | str = 1,
    search: str = "",
    user=None,
    per_page: int = ITEMS_PER_PAGE,
) -> Page:
    """One page of a collection's items; each row an ItemRow with its counterpart.

    ``user`` defaults to the collection's owner: counterparts come from their pairs.
    """
    user = user if user is not None else collection.connection.user_id
    paginator = Paginator(_items_queryset(collection=collection, search=search), per_page)
    page_obj = paginator.get_page(page)
    items = list(page_obj.object_list)
    track_ids = [item.track_id for item in items if item.track_id]
    synced = counterparts_for(user=user, collection=collection, track_ids=track_ids)
    rows = []
    for item in items:
        counterpart, confidence, method = synced.get(item.track_id, (None, None, ""))
        rows.append(
            ItemRow(
                position=item.position,
                track=item.track,
                added_at=item.added_at,
                counterpart=counterpart,
                confidence=confidence,
                method=method,
            )
        )
    page_obj.object_list = rows
    return page_obj


def collection_items_for_export(*, collection: Collection, chunk_size: int = 2000) -> Iterator:
    """Every item of a collection in order, streamed, for the exports."""
    qs = CollectionItem.objects.filter(collection=collection).select_related("track")
    return qs.order_by("position").iterator(chunk_size=chunk_size)


def pairs_using_connection_count(*, connection: Connection) -> int:
    """How many of the person's sync pairs read from or write to this connection."""
    from syncing.models import SyncPair

    return (
        SyncPair.objects.filter(user_id=connection.user_id)
        .filter(Q(source__connection=connection) | Q(target_platform=connection.platform))
        .count()
    )
