"""Importing a library from the sandbox over HTTP, through spotipy and google-api-python-client."""

from __future__ import annotations

import pytest
from django.urls import reverse

from platforms.models import Collection, CollectionItem, Connection, Track
from platforms.services import library_import

pytestmark = pytest.mark.smoke


def calls(sandbox) -> dict[str, int]:
    return dict(sandbox.state.counters.snapshot()["calls"])


def test_it_imports_spotify_playlists_with_their_items_in_order(alice_connected, platform_settings):
    sandbox = platform_settings
    library_import(connection_id=alice_connected.spotify.pk)

    world = sandbox.state.spotify
    playlists = Collection.objects.filter(connection=alice_connected.spotify, kind="playlist")
    assert playlists.count() >= 2
    for collection in playlists:
        stored = list(
            CollectionItem.objects.filter(collection=collection)
            .order_by("position")
            .values_list("track__platform_id", flat=True)
        )
        remote = world.playlists[collection.platform_id]
        if not collection.editable:
            continue  # someone else's playlist: Spotify no longer lets us read its items
        assert len(stored) == len(remote.entries)
        ids = [e.uri.rsplit(":", 1)[-1] if not e.is_local else None for e in remote.entries]
        assert [s for s in stored] == [i if i in set(stored) else None for i in ids]
    liked = Collection.objects.get(connection=alice_connected.spotify, kind="liked")
    assert liked.items.count() > 0
    conn = Connection.objects.get(pk=alice_connected.spotify.pk)
    assert conn.import_status == "done" and conn.last_import_at is not None


def test_a_second_import_of_an_unchanged_library_reads_no_items(alice_connected, platform_settings):
    sandbox = platform_settings
    library_import(connection_id=alice_connected.spotify.pk)
    library_import(connection_id=alice_connected.youtube.pk)
    rows_before = CollectionItem.objects.count()
    sandbox.state.counters.reset()

    spotify = library_import(connection_id=alice_connected.spotify.pk)
    youtube = library_import(connection_id=alice_connected.youtube.pk)

    seen = calls(sandbox)
    item_reads = {k: v for k, v in seen.items() if "item" in k.lower() and "list" in k.lower()}
    assert spotify["read"] == 0 and youtube["read"] == 0
    assert item_reads == {} or sum(item_reads.values()) == 0, seen
    assert CollectionItem.objects.count() == rows_before


def test_youtube_items_carry_durations_and_unavailable_videos_are_marked(
    alice_connected, platform_settings
):
    library_import(connection_id=alice_connected.youtube.pk)
    videos = Track.objects.filter(platform="youtube")
    assert videos.exists()
    available = videos.filter(available=True)
    assert available.filter(duration_ms__isnull=False).count() == available.count()


def _listing(tracks, added_at, empty=()):
    from platforms.types import PlaylistEntry

    return [
        PlaylistEntry(i, None if i in empty else t.to_info(), added_at=added_at)
        for i, t in enumerate(tracks)
    ]


@pytest.mark.django_db
def test_an_empty_entry_keeps_the_track_it_held_only_when_that_is_certain(alice):
    from platforms.services import collection_replace_items
    from platforms.tests import library_builders as build

    spotify, _ = build.two_connected(alice)
    same_moment = "2026-11-01T10:00:00Z"
    clear = build.playlist(spotify, "Clear")
    songs = build.fill(clear, 4)
    collection_replace_items(collection=clear, entries=_listing(songs, same_moment))
    unclear = build.playlist(spotify, "Unclear")
    others = build.fill(unclear, 4)
    collection_replace_items(collection=unclear, entries=_listing(others, same_moment))

    # One entry went empty in place; in the other playlist one went empty and one left.
    collection_replace_items(collection=clear, entries=_listing(songs, same_moment, empty={1}))
    shuffled = _listing([others[0], others[3], others[2]], same_moment, empty={1})
    collection_replace_items(collection=unclear, entries=shuffled)

    held = list(clear.items.order_by("position").values_list("track_id", flat=True))
    assert held == [s.pk for s in songs]
    assert not Track.objects.get(pk=songs[1].pk).available
    assert list(unclear.items.order_by("position").values_list("track_id", flat=True)) == [
        others[0].pk, None, others[2].pk,
    ]  # fmt: skip
    # It may hold either song that left: both stay possible, at every later import too,
    # until one of them is listed again.
    for _ in range(2):
        assert unclear.items.get(position=1).possible_track_ids == [others[1].pk, others[3].pk]
        collection_replace_items(collection=unclear, entries=shuffled)
    back = _listing([others[0], others[3], others[2], others[1]], same_moment, empty={1})
    collection_replace_items(collection=unclear, entries=back)
    row = unclear.items.get(position=1)
    assert (row.track_id, row.possible_track_ids) == (others[3].pk, None)


def test_a_followed_playlist_whose_songs_spotify_refuses_says_so_instead_of_looking_empty(
    alice_connected, platform_settings, client
):
    library_import(connection_id=alice_connected.spotify.pk)

    followed = Collection.objects.get(connection=alice_connected.spotify, name="Bob's Bangers")
    shared = Collection.objects.get(connection=alice_connected.spotify, name="Shared Sunday")
    assert followed.items_readable is False and followed.editable is False
    assert followed.item_count == 40 and not followed.items.exists()
    assert shared.items_readable is True and shared.items.exists()
    client.force_login(alice_connected)
    page = client.get(reverse("platforms:collection", args=[followed.pk])).content.decode()
    assert "40 songs, not readable by apps" in page
    assert "Spotify does not let apps read the songs of a playlist you follow" in page
    assert "This collection is empty" not in page
    listing = client.get(reverse("platforms:playlists")).content.decode()
    assert "not readable by apps" in listing


def test_a_followed_playlist_is_read_again_once_the_person_may_collaborate_on_it(
    alice_connected, platform_settings
):
    sandbox = platform_settings
    library_import(connection_id=alice_connected.spotify.pk)
    followed = Collection.objects.get(connection=alice_connected.spotify, name="Bob's Bangers")
    with sandbox.state.lock:
        playlist = sandbox.state.spotify.playlists[followed.platform_id]
        playlist.public, playlist.collaborative = False, True
        playlist.collaborators = ["sandbox-alice"]

    library_import(connection_id=alice_connected.spotify.pk)

    followed.refresh_from_db()
    assert followed.items_readable is True and followed.editable is True
    assert followed.items.count() == 40
