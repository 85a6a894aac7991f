"""The library pages: playlists, liked songs and one playlist, as a person sees them."""

from __future__ import annotations

import pytest
from django.urls import reverse

from platforms.tests import library_builders as build
from syncing.models import MatchCache, SyncedItem, SyncPair

pytestmark = pytest.mark.django_db

XSS_NAME = '<script>alert(1)</script>"><img src=x onerror=alert(2)>'


def test_playlists_page_lists_the_persons_playlists_with_item_counts(alice, alice_client):
    spotify, youtube = build.two_connected(alice)
    build.playlist(spotify, "Road trip", items=3)
    build.playlist(youtube, "Gym mix")

    response = alice_client.get(reverse("platforms:playlists"))

    assert response.status_code == 200
    assert "Road trip" in response.text and "Gym mix" in response.text


def test_playlists_page_filters_by_platform_and_search(alice, alice_client):
    spotify, youtube = build.two_connected(alice)
    build.playlist(spotify, "Road trip")
    build.playlist(spotify, "Sunday morning")
    build.playlist(youtube, "Road trip videos")

    response = alice_client.get(
        reverse("platforms:playlists"), {"platform": "spotify", "q": "road"}
    )

    assert "Road trip" in response.text
    assert "Sunday morning" not in response.text
    assert "Road trip videos" not in response.text


def test_an_htmx_search_gets_only_the_results_fragment(alice, alice_client):
    build.playlist(build.connect(alice), "Road trip")

    response = alice_client.get(
        reverse("platforms:playlists"), {"q": "road"}, headers={"HX-Request": "true"}
    )

    assert 'id="results"' in response.text
    assert "<html" not in response.text


def test_playlists_page_tells_a_person_with_nothing_connected_what_to_do_first(charlie, client):
    client.force_login(charlie)

    response = client.get(reverse("platforms:playlists"))

    assert "Nothing connected yet" in response.text
    assert reverse("dashboard") in response.text


def test_playlist_page_shows_items_with_availability_and_synced_counterpart(alice, alice_client):
    spotify, youtube = build.two_connected(alice)
    source = build.playlist(spotify, "Road trip", items=2)
    target = build.playlist(youtube, "Road trip (YT)")
    first, second = [i.track for i in source.items.order_by("position")]
    video = build.track("youtube", 7, title="Song 0 (Official Audio)")
    pair = build.pair(alice, source, target)
    SyncedItem.objects.create(pair=pair, source_track=first, target_track=video)
    MatchCache.objects.create(
        source=first, target_platform="youtube", target=video, confidence=0.93, method="search"
    )
    second.available = False
    second.save()

    response = alice_client.get(reverse("platforms:collection", args=[source.pk]))

    assert response.status_code == 200
    assert "Song 0 (Official Audio)" in response.text
    assert "93% sure" in response.text
    assert "Unavailable" in response.text
    assert "Not synced" in response.text


def test_the_counterpart_also_shows_on_the_target_playlist(alice, alice_client):
    spotify, youtube = build.two_connected(alice)
    source = build.playlist(spotify, "Road trip", items=1)
    target = build.playlist(youtube, "Road trip (YT)")
    video = build.track("youtube", 7, title="The video")
    from platforms.models import CollectionItem

    CollectionItem.objects.create(collection=target, position=0, track=video)
    pair = build.pair(alice, source, target)
    SyncedItem.objects.create(pair=pair, source_track=source.items.get().track, target_track=video)

    response = alice_client.get(reverse("platforms:collection", args=[target.pk]))

    assert "Song 0" in response.text


def test_playlist_page_searches_titles_and_artists(alice, alice_client):
    source = build.playlist(build.connect(alice), "Road trip")
    build.fill(source, 1)
    special = build.track("spotify", 99, title="Quiet", artists=["Björk"])
    from platforms.models import CollectionItem

    CollectionItem.objects.create(collection=source, position=5, track=special)

    response = alice_client.get(reverse("platforms:collection", args=[source.pk]), {"q": "björk"})

    assert "Quiet" in response.text
    assert "Song 0" not in response.text


def test_liked_songs_page_shows_the_liked_songs_of_the_chosen_platform(alice, alice_client):
    spotify, youtube = build.two_connected(alice)
    build.liked(spotify, items=2)
    yt_liked = build.liked(youtube)
    from platforms.models import CollectionItem

    CollectionItem.objects.create(
        collection=yt_liked, position=0, track=build.track("youtube", 5, title="A liked video")
    )

    spotify_page = alice_client.get(reverse("platforms:liked"), {"platform": "spotify"})
    youtube_page = alice_client.get(reverse("platforms:liked"), {"platform": "youtube"})

    assert "Song 1" in spotify_page.text and "A liked video" not in spotify_page.text
    assert "A liked video" in youtube_page.text


def test_a_big_playlist_is_paginated(alice, alice_client):
    source = build.playlist(build.connect(alice), "Huge", items=250)

    first = alice_client.get(reverse("platforms:collection", args=[source.pk]))
    third = alice_client.get(reverse("platforms:collection", args=[source.pk]), {"page": 3})

    assert "Page 1 of 3" in first.text
    assert "Song 249" in third.text and "Song 0<" not in third.text


@pytest.mark.parametrize("size", [10, 10_000])
def test_a_playlist_page_costs_the_same_queries_at_ten_and_ten_thousand_items(
    alice, alice_client, django_assert_num_queries, size
):
    spotify, youtube = build.two_connected(alice)
    source = build.playlist(spotify, "Big", items=size)
    target = build.playlist(youtube, "Big (YT)")
    pair = build.pair(alice, source, target)
    videos = build.fill(target, 20)
    tracks = [i.track for i in source.items.order_by("position")[:20]]
    SyncedItem.objects.bulk_create(
        SyncedItem(pair=pair, source_track=t, target_track=v) for t, v in zip(tracks, videos)
    )

    # user, collection, count, items, synced rows, pinned choices, match cache
    from django.conf import settings

    session = 1 if settings.SESSION_ENGINE.endswith(".db") else 0  # no Redis: a session query
    with django_assert_num_queries(7 + session):
        response = alice_client.get(reverse("platforms:collection", args=[source.pk]))

    assert response.status_code == 200
    assert ">Song 9</a>" in response.text


def test_names_with_markup_are_shown_escaped(alice, alice_client):
    spotify = build.connect(alice)
    source = build.playlist(spotify, XSS_NAME, description=XSS_NAME)
    from platforms.models import CollectionItem

    CollectionItem.objects.create(
        collection=source, position=0, track=build.track(title=XSS_NAME, artists=[XSS_NAME])
    )

    for url in [
        reverse("platforms:playlists"),
        reverse("platforms:collection", args=[source.pk]),
    ]:
        response = alice_client.get(url)
        assert "<script>alert(1)</script>" not in response.text
        assert "<img src=x" not in response.text
        assert "&lt;script&gt;alert(1)&lt;/script&gt;" in response.text


def test_bob_gets_a_404_for_alices_playlist(alice, bob, client):
    source = build.playlist(build.connect(alice), "Private")
    client.force_login(bob)

    assert client.get(reverse("platforms:collection", args=[source.pk])).status_code == 404
    assert (
        client.get(reverse("platforms:collection_export", args=[source.pk, "csv"])).status_code
        == 404
    )


def test_refresh_library_queues_an_import_and_says_so(alice, alice_client, monkeypatch):
    spotify = build.connect(alice)
    monkeypatch.setattr("platforms.views.library_import_start", lambda connection: True)

    response = alice_client.post(
        reverse("platforms:connection_import", args=[spotify.pk]), follow=True
    )

    assert "Importing your Spotify library" in response.text


def test_a_connection_needing_reconnect_is_not_imported(alice, alice_client):
    spotify = build.connect(alice, state="needs_reconnect")

    response = alice_client.post(
        reverse("platforms:connection_import", args=[spotify.pk]), follow=True
    )

    assert "Reconnect Spotify before importing" in response.text


def test_disconnecting_asks_first_and_says_which_pairs_stop(alice, alice_client):
    spotify, youtube = build.two_connected(alice)
    build.pair(alice, build.playlist(spotify, "One"))
    build.pair(alice, build.playlist(spotify, "Two"))
    url = reverse("platforms:connection_disconnect", args=[youtube.pk])

    page = alice_client.get(url)

    assert "Disconnect YouTube?" in page.text
    assert "your 2 pairs that use YouTube: they don't sync until you connect again" in page.text
    youtube.refresh_from_db()
    assert youtube.state == "active"
    SyncPair.objects.filter(source__name="Two").delete()
    one = alice_client.get(url).text
    assert "so does your one pair that uses YouTube: it doesn't sync until you connect" in one


def test_bob_cannot_refresh_or_disconnect_alices_connection(alice, bob, client):
    spotify = build.connect(alice)
    client.force_login(bob)

    assert client.post(reverse("platforms:connection_import", args=[spotify.pk])).status_code == 404
    assert (
        client.post(reverse("platforms:connection_disconnect", args=[spotify.pk])).status_code
        == 404
    )
    assert (
        client.get(reverse("platforms:connection_disconnect", args=[spotify.pk])).status_code == 404
    )


def test_library_pages_need_a_login(client):
    response = client.get(reverse("platforms:playlists"))

    assert response.status_code == 302
    assert "/accounts/login/" in response["Location"]


def test_a_choice_made_from_the_other_side_shows_as_the_persons_own(alice, alice_client):
    from syncing.models import MatchChoice, SyncedItem

    spotify, youtube = build.two_connected(alice)
    songs = build.playlist(spotify, "Songs")
    (track,) = build.fill(songs, 1)
    videos = build.playlist(youtube, "Videos")
    (video,) = build.fill(videos, 1)
    pair = build.pair(alice, songs, videos, mode="two_way")
    SyncedItem.objects.create(pair=pair, source_track=track, target_track=video)
    # Picked in the review queue for the video: its Spotify counterpart.
    MatchChoice.objects.create(
        user=alice, source=video, target=track, target_platform="spotify", kind="pin"
    )

    for collection in (songs, videos):
        page = alice_client.get(reverse("platforms:collection", args=[collection.pk]))
        assert "your choice" in page.text, collection.name
