"""Workflows of connections and libraries: connect, disconnect, import."""

from __future__ import annotations

import logging
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import replace
from datetime import datetime

from django.db import transaction
from django.db.models import F
from django.utils import timezone
from django.utils.dateparse import parse_datetime

from platforms.clients import PlatformClient, client_for
from platforms.errors import PlatformError
from platforms.models import Collection, CollectionItem, Connection, Track
from platforms.types import Platform, PlaylistEntry
from platforms.types import Track as TrackInfo

logger = logging.getLogger(__name__)

LIKED_NAMES = {"spotify": "Liked Songs", "youtube": "Liked videos"}
TRACK_FIELDS = ["title", "artists", "album", "duration_ms", "isrc", "channel", "available"]
BATCH = 1000


def connection_store_tokens(
    *,
    user,
    platform: str,
    account_id: str,
    account_name: str,
    access_token: str,
    refresh_token: str,
    expires_at: datetime,
) -> Connection:
    """Saves a fresh grant (connect or reconnect) and starts an import."""
    with transaction.atomic():
        conn, created = Connection.objects.select_for_update().get_or_create(
            user=user, platform=platform
        )
        conn.account_id = account_id
        conn.account_name = account_name
        conn.access_token = access_token
        if refresh_token:  # Google sends one only at first consent; keep the old one
            conn.refresh_token = refresh_token
        conn.token_expires_at = expires_at
        conn.state = Connection.State.ACTIVE
        conn.state_reason = ""
        conn.token_version = F("token_version") + 1
        conn.save()
        conn.refresh_from_db()
    library_import_start(connection=conn)
    _resume_runs_waiting_for(conn)
    return conn


def _resume_runs_waiting_for(conn: Connection) -> None:
    try:
        from syncing.services.runs import runs_resume_after_reconnect
    except ImportError:
        return
    runs_resume_after_reconnect(user_id=conn.user_id)


def connection_disconnect(*, connection: Connection) -> None:
    """Revokes the grant where the platform allows it and deletes the stored tokens."""
    from allauth.socialaccount.models import SocialAccount

    from platforms.oauth import PLATFORM_PROVIDER

    if connection.platform == Platform.YOUTUBE and connection.refresh_token:
        from platforms.youtube.client import revoke

        revoke(connection.refresh_token)
    # Spotify has no revocation endpoint: the person removes the app at spotify.com/account/apps.
    Connection.objects.filter(pk=connection.pk).update(
        access_token="",
        refresh_token="",
        token_expires_at=None,
        state=Connection.State.DISCONNECTED,
        state_reason="disconnected by you",
    )
    SocialAccount.objects.filter(
        user_id=connection.user_id, provider=PLATFORM_PROVIDER[connection.platform]
    ).delete()


def library_import_start(*, connection: Connection) -> bool:
    """Queues an import unless one is already queued or running. True if queued."""
    claimed = (
        Connection.objects.filter(pk=connection.pk)
        .exclude(
            import_status__in=[Connection.ImportStatus.QUEUED, Connection.ImportStatus.RUNNING]
        )
        .update(import_status=Connection.ImportStatus.QUEUED, import_progress="Waiting to start")
    )
    if claimed:
        from platforms.tasks import import_library

        transaction.on_commit(lambda: import_library.send(connection.pk))
    return bool(claimed)


def tracks_upsert(infos: Iterable[TrackInfo]) -> dict[tuple[str, str], int]:
    """Writes tracks in bulk; returns their ids by (platform, platform_id).

    A title learnt from a richer payload is not overwritten by a poorer one: search
    results and playlist entries carry no duration, so a known duration is kept.
    """
    unique: dict[tuple[str, str], TrackInfo] = {}
    for info in infos:
        key = (str(info.platform), info.platform_id)
        old = unique.get(key)
        if old is None or (info.duration_ms and not old.duration_ms):
            unique[key] = info
    if not unique:
        return {}
    keys = list(unique)
    existing: dict[tuple[str, str], Track] = {}
    for start in range(0, len(keys), BATCH):
        chunk = keys[start : start + BATCH]
        for platform in {k[0] for k in chunk}:
            ids = [k[1] for k in chunk if k[0] == platform]
            for track in Track.objects.filter(platform=platform, platform_id__in=ids):
                existing[(platform, track.platform_id)] = track
    to_create, to_update = [], []
    for key, info in unique.items():
        fields = {
            "title": info.title,
            "artists": list(info.artists),
            "album": info.album,
            "duration_ms": info.duration_ms,
            "isrc": info.isrc,
            "channel": info.channel,
            "available": info.available,
        }
        row = existing.get(key)
        if row is None:
            to_create.append(Track(platform=key[0], platform_id=key[1], **fields))
            continue
        if not fields["duration_ms"]:
            fields["duration_ms"] = row.duration_ms
        if not fields["isrc"]:
            fields["isrc"] = row.isrc
        if not fields["channel"]:
            fields["channel"] = row.channel
        if any(getattr(row, name) != value for name, value in fields.items()):
            for name, value in fields.items():
                setattr(row, name, value)
            to_update.append(row)
    if to_create:
        Track.objects.bulk_create(to_create, batch_size=BATCH, ignore_conflicts=True)
    if to_update:
        Track.objects.bulk_update(to_update, TRACK_FIELDS, batch_size=BATCH)
    ids: dict[tuple[str, str], int] = {k: t.pk for k, t in existing.items()}
    missing = [k for k in keys if k not in ids]
    for start in range(0, len(missing), BATCH):
        chunk = missing[start : start + BATCH]
        for platform in {k[0] for k in chunk}:
            wanted = [k[1] for k in chunk if k[0] == platform]
            for pk, pid in Track.objects.filter(
                platform=platform, platform_id__in=wanted
            ).values_list("pk", "platform_id"):
                ids[(platform, pid)] = pk
    return ids


def collection_replace_items(*, collection: Collection, entries: list[PlaylistEntry]) -> None:
    """Stores a collection's items as the platform listed them, in a few bulk queries."""
    ids = tracks_upsert(e.track for e in entries if e.track)
    rows = [
        CollectionItem(
            collection=collection,
            position=i,
            track_id=ids.get((str(e.track.platform), e.track.platform_id)) if e.track else None,
            entry_id=e.entry_id,
            added_at=parse_datetime(e.added_at) if e.added_at else None,
        )
        for i, e in enumerate(entries)
    ]
    gone_unavailable = _recognise_empty_entries(collection, rows)
    with transaction.atomic():
        CollectionItem.objects.filter(collection=collection).delete()
        CollectionItem.objects.bulk_create(rows, batch_size=BATCH)
        Collection.objects.filter(pk=collection.pk).update(item_count=len(rows))
        if gone_unavailable:
            Track.objects.filter(pk__in=gone_unavailable).update(available=False)


def collection_mark_unreadable(*, collection: Collection, **fields) -> None:
    """Records that the platform refuses to list the collection's items (a playlist the
    person follows but neither owns nor collaborates on). Items kept from an earlier read
    are dropped: they would show songs nobody can see any more."""
    with transaction.atomic():
        CollectionItem.objects.filter(collection=collection).delete()
        Collection.objects.filter(pk=collection.pk).update(
            editable=False, items_readable=False, **fields
        )
    collection.editable = collection.items_readable = False


def _recognise_empty_entries(collection: Collection, rows: list[CollectionItem]) -> list[int]:
    """Gives an empty entry back the track it held, where that is certain.

    A track Spotify no longer offers comes back as an empty (null) playlist entry, and a
    YouTube video can vanish from an entry the same way. The entry is still in the
    playlist: nobody removed the song, and a sync must not treat it as removed (a two-way
    pair would delete its counterpart). The last import tells which track it held:
    - by the entry's id (YouTube) or date added (Spotify). Tracks added at the same moment
      share a date: when as many entries of that date went empty as tracks of it went
      missing, they pair up in playlist order. When fewer went empty (a song of the same
      moment was also removed), each of those entries keeps the list of tracks it may
      hold, and none of them counts as removed;
    - else by its place: the same position as a track now missing, between the same
      neighbours as before (an entry the sync itself added has no date until it is read).
      Empty entries side by side are taken together, between the neighbours of the
      stretch: songs a sync added together sit side by side.
    Otherwise nothing is guessed. Returns the tracks recognised, now unavailable.
    """
    empty_rows = [row for row in rows if row.track_id is None]
    if not empty_rows:
        return []
    listed = {row.track_id for row in rows if row.track_id}
    before = list(
        CollectionItem.objects.filter(collection=collection)
        .order_by("position")
        .values_list("track_id", "entry_id", "added_at", "possible_track_ids")
    )
    empty: dict[str, list[CollectionItem]] = defaultdict(list)
    for row in empty_rows:
        if key := _entry_key(row.entry_id, row.added_at):
            empty[key].append(row)
    missing: dict[str, list[int]] = defaultdict(list)
    for track_id, entry_id, added_at, possible in before:
        key = _entry_key(entry_id, added_at)
        if key not in empty:
            continue
        for held in [track_id] if track_id else possible or []:
            if held not in listed and held not in missing[key]:
                missing[key].append(held)
    recognised: list[int] = []
    for key, held in missing.items():
        if len(held) == len(empty[key]):
            for row, track_id in zip(empty[key], held, strict=True):
                row.track_id = track_id
                recognised.append(track_id)
        elif len(held) > len(empty[key]):
            for row in empty[key]:
                row.possible_track_ids = held
    old = [track_id for track_id, _, _, _ in before]
    if len(old) != len(rows):
        return recognised
    # Empty entries side by side (songs the sync added together, say) are one stretch:
    # each is the track that held its place when the stretch sits between the same
    # neighbours as before.
    now = [row.track_id for row in rows]
    stretch: list[CollectionItem] = []
    for row in sorted(empty_rows, key=lambda r: r.position):
        open_ = not row.track_id and not row.possible_track_ids and row.position < len(old)
        if open_ and stretch and row.position == stretch[-1].position + 1:
            stretch.append(row)
            continue
        recognised += _recognise_stretch(stretch, old, now, listed, recognised)
        stretch = [row] if open_ else []
    recognised += _recognise_stretch(stretch, old, now, listed, recognised)
    return recognised


def _recognise_stretch(
    stretch: list[CollectionItem],
    old: list[int | None],
    now: list[int | None],
    listed: set[int],
    recognised: list[int],
) -> list[int]:
    if not stretch:
        return []
    first, last = stretch[0].position, stretch[-1].position
    if (first > 0 and old[first - 1] != now[first - 1]) or (
        last + 1 < len(old) and old[last + 1] != now[last + 1]
    ):
        return []
    held = [old[row.position] for row in stretch]
    if any(not h or h in listed or h in recognised for h in held) or len(set(held)) < len(held):
        return []
    for row, track_id in zip(stretch, held, strict=True):
        row.track_id = track_id
    return held


def _entry_key(entry_id: str, added_at) -> str:
    return entry_id or (added_at.isoformat() if added_at else "")


def _fill_youtube_durations(
    client: PlatformClient, entries: list[PlaylistEntry]
) -> list[PlaylistEntry]:
    """YouTube playlist entries carry no duration: fetch it for videos we don't know yet."""
    wanted = [e.track.platform_id for e in entries if e.track and e.track.available]
    known = (
        set(
            Track.objects.filter(
                platform="youtube", platform_id__in=wanted, duration_ms__isnull=False
            ).values_list("platform_id", flat=True)
        )
        if len(wanted) < 5000
        else _known_durations(wanted)
    )
    missing = list(dict.fromkeys(v for v in wanted if v not in known))
    if not missing:
        return entries
    details = {t.platform_id: t for t in client.get_tracks(missing)}
    out = []
    for e in entries:
        if e.track and e.track.platform_id in details:
            d = details[e.track.platform_id]
            track = TrackInfo(
                platform=Platform.YOUTUBE,
                platform_id=d.platform_id,
                title=d.title or e.track.title,
                channel=d.channel or e.track.channel,
                duration_ms=d.duration_ms,
                available=d.available,
            )
            e = PlaylistEntry(
                position=e.position, track=track, entry_id=e.entry_id, added_at=e.added_at
            )
        out.append(e)
    return out


def _known_durations(ids: list[str]) -> set[str]:
    known: set[str] = set()
    for start in range(0, len(ids), BATCH):
        known.update(
            Track.objects.filter(
                platform="youtube",
                platform_id__in=ids[start : start + BATCH],
                duration_ms__isnull=False,
            ).values_list("platform_id", flat=True)
        )
    return known


def _progress(conn: Connection, text: str) -> None:
    Connection.objects.filter(pk=conn.pk).update(import_progress=text[:255])


def library_import(*, connection_id: int) -> dict[str, int]:
    """Reads a connection's playlists and liked songs into the database, incrementally.

    A playlist whose version (Spotify snapshot_id, YouTube etag) did not change since
    the last import is not read again; liked songs are re-read only when their first
    page changed. Returns counts of what was read and skipped.
    """
    conn = Connection.objects.get(pk=connection_id)
    counts = {"playlists": 0, "read": 0, "skipped": 0, "liked_read": 0}
    Connection.objects.filter(pk=conn.pk).update(import_status=Connection.ImportStatus.RUNNING)
    try:
        client = client_for(conn)
        if not conn.account_id:
            account_id, name = client.account()
            Connection.objects.filter(pk=conn.pk).update(account_id=account_id, account_name=name)
            conn.account_id, conn.account_name = account_id, name
        _progress(conn, "Reading your playlists")
        playlists = client.list_playlists()
        counts["playlists"] = len(playlists)
        existing = {
            c.platform_id: c for c in conn.collections.filter(kind=Collection.Kind.PLAYLIST)
        }
        seen = set()
        for index, info in enumerate(playlists, start=1):
            seen.add(info.platform_id)
            collection = existing.get(info.platform_id)
            if collection is None:
                collection = Collection.objects.create(
                    connection=conn, kind=Collection.Kind.PLAYLIST, platform_id=info.platform_id,
                    name=info.name, description=info.description, editable=info.editable,
                )  # fmt: skip
            unchanged = (
                bool(info.version) and collection.version == info.version and collection.imported_at
            )
            # Being made a collaborator does not change a playlist's version, but it
            # makes it editable: then its items are worth asking for again.
            refused_before = not collection.items_readable and info.editable
            if unchanged and not collection.removed and not refused_before:
                counts["skipped"] += 1
                continue
            _progress(conn, f"Reading playlist {index} of {len(playlists)}: {info.name}")
            try:
                entries = client.list_playlist_items(info.platform_id)
            except PlatformError as exc:
                if exc.kind != "forbidden":
                    raise
                # Since 2026 Spotify lets only owners and collaborators read items.
                collection_mark_unreadable(
                    collection=collection,
                    item_count=info.item_count,
                    version=info.version,
                    imported_at=timezone.now(),
                    removed=False,
                )
                counts["skipped"] += 1
                continue
            if conn.platform == Platform.YOUTUBE:
                entries = _fill_youtube_durations(client, entries)
            collection_replace_items(collection=collection, entries=entries)
            Collection.objects.filter(pk=collection.pk).update(
                name=info.name, description=info.description, version=info.version,
                editable=info.editable, items_readable=True, imported_at=timezone.now(),
                removed=False,
            )  # fmt: skip
            counts["read"] += 1
        gone = [pid for pid in existing if pid not in seen]
        if gone:
            conn.collections.filter(kind=Collection.Kind.PLAYLIST, platform_id__in=gone).update(
                removed=True
            )
        _import_liked(conn, client, counts)
        Connection.objects.filter(pk=conn.pk).update(
            import_status=Connection.ImportStatus.DONE,
            import_progress="",
            last_import_at=timezone.now(),
        )
    except PlatformError as exc:
        Connection.objects.filter(pk=conn.pk).update(
            import_status=Connection.ImportStatus.FAILED, import_progress=str(exc)[:255]
        )
        if exc.needs_reconnect:
            from platforms.tokens import connection_mark_needs_reconnect

            connection_mark_needs_reconnect(connection=conn, reason=exc.message)
            return counts
        raise
    except Exception:
        Connection.objects.filter(pk=conn.pk).update(
            import_status=Connection.ImportStatus.FAILED, import_progress="Import failed"
        )
        raise
    finally:
        from platforms.quota import quota_flush

        quota_flush()
    return counts


def liked_entries(client: PlatformClient, liked: Collection) -> list[PlaylistEntry]:
    """The liked songs as the platform lists them, and on YouTube the likes it hides.

    YouTube's list of liked videos (``videos.list?myRating=like``) leaves out a liked
    video that went private or was deleted, as if it had been unliked, and a sync would
    then unlike its counterpart. So a video that was liked at the last read and is gone
    from the list is looked up (one ``videos.list`` call per 50): if it still plays, the
    person unliked it; if it is private or gone, it stays in the likes, unavailable.
    """
    entries = client.list_liked()
    if client.platform != Platform.YOUTUBE:
        return entries
    listed = {e.track.platform_id for e in entries if e.track}
    before = [
        track
        for track in Track.objects.filter(collectionitem__collection=liked).order_by(
            "collectionitem__position"
        )
        if track.platform_id not in listed
    ]
    if not before:
        return entries
    playing = {
        t.platform_id for t in client.get_tracks([t.platform_id for t in before]) if t.available
    }
    hidden = [t for t in before if t.platform_id not in playing]
    return entries + [
        PlaylistEntry(position=len(entries) + i, track=replace(t.to_info(), available=False))
        for i, t in enumerate(hidden)
    ]


def _import_liked(conn: Connection, client: PlatformClient, counts: dict[str, int]) -> None:
    liked, _ = Collection.objects.get_or_create(
        connection=conn,
        kind=Collection.Kind.LIKED,
        defaults={
            "name": LIKED_NAMES[conn.platform],
            "platform_id": "LL" if conn.platform == "youtube" else "liked",
        },
    )
    if conn.platform == Platform.YOUTUBE:
        version = client.liked_version(known=liked.version if liked.imported_at else "")
    else:
        version = client.liked_version()
    if liked.imported_at and version and version == liked.version:
        counts["skipped"] += 1
        return
    _progress(conn, "Reading your liked songs")
    entries = liked_entries(client, liked)
    collection_replace_items(collection=liked, entries=entries)
    Collection.objects.filter(pk=liked.pk).update(version=version, imported_at=timezone.now())
    counts["liked_read"] = len(entries)
