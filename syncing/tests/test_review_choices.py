"""The person's choices in the review queue take effect on the next run, and keep it."""

from __future__ import annotations

from io import StringIO

from django.core.management import call_command
from django.urls import reverse

from platforms.clients import client_for
from platforms.models import Connection, Track
from platforms.selectors import collection_items_page
from syncing.models import ReviewItem, Run, SyncPair
from syncing.services.review import review_never, review_pick_url
from syncing.tests.sandbox_views import spotify_playlist_ids, youtube_playlist_ids
from syncing.tests.test_engine_behaviour import (
    add_song_youtube_lacks,
    new_pair,
    sync,
    two_way_pair,
)


def _untitled_upload_of(sandbox, song: Track, video_id: str) -> str:
    """An upload of ``song`` whose title says nothing: only a person can tell what it is."""
    with sandbox.state.lock:
        sandbox.state.youtube.add_video(
            video_id,
            "VID_20240412_2231 untitled upload",
            "UCreviewchoicechannel0",
            "Review Choice Uploads",
            song.duration_ms // 1000 + 40,
        )
    return video_id


def test_a_video_matched_in_review_to_a_song_already_synced_is_linked_and_never_removed(
    library, platform_settings
):
    sandbox = platform_settings
    pair = two_way_pair(library)
    sync(pair)
    linked = pair.synced_items.select_related("source_track", "target_track").first()
    song = linked.source_track
    video = _untitled_upload_of(sandbox, song, "rvwChoice01")
    youtube = client_for(Connection.objects.get(user=library, platform="youtube"))
    youtube.add_items(pair.target.platform_id, [video])
    sync(pair)
    review = ReviewItem.objects.get(user=library, status="open", source__platform_id=video)

    review_pick_url(item=review, url=f"https://open.spotify.com/track/{song.platform_id}")
    sync(pair)
    run = sync(pair)

    assert pair.synced_items.filter(source_track=song, target_track__platform_id=video).exists()
    rows = collection_items_page(collection=pair.target, user=library)
    row = next(r for r in rows if r.track and r.track.platform_id == video)
    assert row.counterpart == song, "the video the person matched still shows as not synced"
    assert spotify_playlist_ids(sandbox, pair.source.platform_id).count(song.platform_id) == 1
    assert run.added == run.removed == 0
    assert not ReviewItem.objects.filter(status="open", source__platform_id=video).exists()

    SyncPair.objects.filter(pk=pair.pk).update(mode=SyncPair.Mode.MIRROR, strict=True)
    pair.refresh_from_db()
    mirror = sync(pair)

    remote = youtube_playlist_ids(sandbox, pair.target.platform_id)
    assert video in remote, "a strict mirror removed the video the person matched"
    assert linked.target_track.platform_id in remote
    assert not mirror.changes.filter(action="remove", counterpart__platform_id=video).exists()


def test_a_spotify_uri_pasted_in_the_review_queue_matches_like_the_songs_link(
    library, platform_settings, client
):
    sandbox = platform_settings
    pair = two_way_pair(library)
    sync(pair)
    song = pair.synced_items.select_related("source_track").first().source_track
    video = _untitled_upload_of(sandbox, song, "rvwChoice03")
    youtube = client_for(Connection.objects.get(user=library, platform="youtube"))
    youtube.add_items(pair.target.platform_id, [video])
    sync(pair)
    review = ReviewItem.objects.get(user=library, status="open", source__platform_id=video)
    client.force_login(library)

    client.post(
        reverse("syncing:review_pick_url", args=[review.pk]),
        {"url": f"spotify:track:{song.platform_id}"},
    )
    sync(pair)

    review.refresh_from_db()
    assert review.status == ReviewItem.Status.RESOLVED and review.chosen == song
    assert pair.synced_items.filter(source_track=song, target_track__platform_id=video).exists()


def test_a_song_matched_in_review_to_a_video_synced_with_another_song_is_linked(
    library, platform_settings
):
    sandbox = platform_settings
    pair = two_way_pair(library)
    sync(pair)
    linked = pair.synced_items.select_related("source_track", "target_track").first()
    other_id = add_song_youtube_lacks(sandbox, pair)  # a release YouTube has no video of
    sync(pair)
    review = ReviewItem.objects.get(user=library, status="open", source__platform_id=other_id)

    url = f"https://www.youtube.com/watch?v={linked.target_track.platform_id}"
    review_pick_url(item=review, url=url)
    run = sync(pair)

    assert pair.synced_items.filter(
        source_track__platform_id=other_id, target_track=linked.target_track
    ).exists()
    remote = youtube_playlist_ids(sandbox, pair.target.platform_id)
    assert remote.count(linked.target_track.platform_id) == 1
    assert run.added == run.removed == 0


def test_never_match_is_reported_as_skipped_and_does_not_make_the_run_partial(
    library, platform_settings, client
):
    pair = new_pair(library, "add_only")
    obscure_id = add_song_youtube_lacks(platform_settings, pair)
    first = sync(pair)
    assert first.unmatched >= 1
    review = ReviewItem.objects.get(user=library, status="open", source__platform_id=obscure_id)

    review_never(item=review)
    run = sync(pair)

    assert run.unmatched == first.unmatched - 1
    if first.unmatched == 1:
        assert run.status == Run.Status.SUCCEEDED
    client.force_login(library)
    page = client.get(reverse("syncing:run", args=[run.pk])).content.decode()
    assert "you said never match" in page
    open_items = ReviewItem.objects.filter(pair=pair, status="open").exists()
    assert ("Review unmatched" in page) == open_items
    out = StringIO()
    call_command("sync_user", library.email, "--pair", str(pair.pk), "--dry-run", stdout=out)
    assert "skipped 1 you said never to match" in out.getvalue()  # counted in the summary


def test_an_open_review_item_is_settled_when_a_later_run_matches_it(
    library, platform_settings, client
):
    sandbox = platform_settings
    pair = new_pair(library, "add_only")
    obscure_id = add_song_youtube_lacks(sandbox, pair)
    sync(pair)
    pair.refresh_from_db()
    review = ReviewItem.objects.get(user=library, status="open", source__platform_id=obscure_id)
    with sandbox.state.lock:  # the artist uploads it; the person puts it in the playlist
        sandbox.state.youtube.add_video(
            "zzyzxRoad01",
            "Nobody Anyone Knows - Zzyzx Road Lullaby (Official Audio)",
            "UCnobodyanyoneknows0001",
            "Nobody Anyone Knows",
            201,
        )
    youtube = client_for(Connection.objects.get(user=library, platform="youtube"))
    youtube.add_items(pair.target.platform_id, ["zzyzxRoad01"])

    run = sync(pair)

    assert run.changes.filter(action="keep", item=review.source).exists()
    review.refresh_from_db()
    assert review.status == ReviewItem.Status.RESOLVED
    assert review.chosen.platform_id == "zzyzxRoad01"
    client.force_login(library)
    queue = client.get(reverse("syncing:review")).content.decode()
    assert "Zzyzx Road Lullaby" not in queue
    assert youtube_playlist_ids(sandbox, pair.target.platform_id).count("zzyzxRoad01") == 1


def test_a_video_marked_never_match_is_no_counterpart_for_a_song_the_other_way(alice):
    from platforms.tests import library_builders as build
    from syncing.models import MatchChoice
    from syncing.services.resolve import Resolver

    song = build.track("spotify", 1, title="Winter Harbour", artists=["DJ Kestrel"])
    video = build.track("youtube", 2, title="Winter Harbour | DJ Kestrel", channel="DJ Kestrel")
    resolver = Resolver(
        user_id=alice.pk, target_platform="youtube", client=None, target_tracks=[video]
    )
    assert resolver.resolve([song])[song.pk].target_id == video.pk  # it would match

    # The person said this video never matches anything on Spotify.
    MatchChoice.objects.create(
        user=alice, source=video, target_platform="spotify", kind=MatchChoice.Kind.NEVER
    )
    resolver = Resolver(
        user_id=alice.pk, target_platform="youtube", client=None, target_tracks=[video]
    )
    assert resolver.resolve([song])[song.pk].target_id is None
