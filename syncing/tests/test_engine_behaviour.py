"""Each mode's semantics, the review queue, and waiting on quota, rate limits and reconnects."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
import requests
from django.db.models import Count
from django.urls import reverse
from django.utils import timezone

from conftest import connect
from platforms.clients import client_for
from platforms.models import Collection, Connection, Track
from platforms.quota import next_quota_reset, quota_left_today
from platforms.services import library_import
from platforms.types import PlaylistEntry
from syncing.models import MatchChoice, ReviewItem, Run, SyncPair
from syncing.services.pairs import pair_create
from syncing.services.review import review_pick_url
from syncing.services.runs import run_execute, run_start, runs_resume_due
from syncing.tests.sandbox_views import (
    spotify_playlist_ids,
    stranger_video,
    youtube_playlist_ids,
)


def execute(run: Run) -> Run:
    run_execute(run_id=run.pk)
    run.refresh_from_db()
    return run


def sync(pair: SyncPair) -> Run:
    return execute(run_start(pair=pair, trigger=Run.Trigger.MANUAL))


def smallest(user, platform: str, min_items: int = 5) -> Collection:
    return (
        Collection.objects.filter(
            connection__user=user,
            connection__platform=platform,
            kind="playlist",
            editable=True,
            item_count__gte=min_items,
        )
        .order_by("item_count")
        .first()
    )


def new_pair(user, mode="add_only", **fields) -> SyncPair:
    return pair_create(
        user=user,
        source=smallest(user, "spotify"),
        target=None,
        target_platform="youtube",
        target_name=f"Test {mode}",
        mode=mode,
        **fields,
    )


def test_mirror_removes_what_it_added_once_it_leaves_the_source(library, platform_settings):
    sandbox = platform_settings
    pair = new_pair(library, "mirror")
    first = sync(pair)
    pair.refresh_from_db()
    target_id = pair.target.platform_id
    added = (
        first.changes.filter(action="add", outcome="applied")
        .select_related("item", "counterpart")
        .first()
    )
    by_hand = stranger_video(sandbox, youtube_playlist_ids(sandbox, target_id))
    youtube = client_for(Connection.objects.get(user=library, platform="youtube"))
    youtube.add_items(target_id, [by_hand])
    spotify = client_for(Connection.objects.get(user=library, platform="spotify"))
    spotify.remove_items(pair.source.platform_id, [PlaylistEntry(0, added.item.to_info())])

    second = sync(pair)

    remote = youtube_playlist_ids(sandbox, target_id)
    assert added.counterpart.platform_id not in remote
    assert by_hand in remote, "an item added by hand was removed from a non-strict mirror"
    assert second.removed == 1
    target = Collection.objects.get(pk=pair.target_id)
    assert target.item_count == len(remote)  # the playlist page counts what is left


def test_strict_mirror_also_removes_items_added_by_hand(library, platform_settings):
    sandbox = platform_settings
    pair = new_pair(library, "mirror", strict=True)
    sync(pair)
    pair.refresh_from_db()
    target_id = pair.target.platform_id
    stranger = stranger_video(sandbox, youtube_playlist_ids(sandbox, target_id))
    client_for(Connection.objects.get(user=library, platform="youtube")).add_items(
        target_id, [stranger]
    )

    sync(pair)

    assert stranger not in youtube_playlist_ids(sandbox, target_id)


def test_add_only_never_removes(library, platform_settings):
    sandbox = platform_settings
    pair = new_pair(library, "add_only")
    first = sync(pair)
    pair.refresh_from_db()
    added = (
        first.changes.filter(action="add", outcome="applied")
        .select_related("item", "counterpart")
        .first()
    )
    spotify = client_for(Connection.objects.get(user=library, platform="spotify"))
    spotify.remove_items(pair.source.platform_id, [PlaylistEntry(0, added.item.to_info())])

    second = sync(pair)

    assert second.removed == 0
    assert added.counterpart.platform_id in youtube_playlist_ids(sandbox, pair.target.platform_id)


def two_way_pair(user):
    return pair_create(
        user=user,
        source=smallest(user, "spotify"),
        target=smallest(user, "youtube"),
        target_platform="youtube",
        mode="two_way",
    )


def test_two_way_merges_both_sides_then_propagates_a_removal(library, platform_settings):
    sandbox = platform_settings
    pair = two_way_pair(library)
    source_id, target_id = pair.source.platform_id, pair.target.platform_id
    first = sync(pair)
    assert first.status in (Run.Status.SUCCEEDED, Run.Status.PARTIAL), first.error
    to_source = first.changes.filter(action="add", side="source", outcome="applied").count()
    to_target = first.changes.filter(action="add", side="target", outcome="applied").count()
    assert to_source > 0 and to_target > 0
    linked = pair.synced_items.select_related("source_track", "target_track").first()
    assert linked is not None

    spotify = client_for(Connection.objects.get(user=library, platform="spotify"))
    spotify.remove_items(source_id, [PlaylistEntry(0, linked.source_track.to_info())])
    second = sync(pair)

    assert linked.target_track.platform_id not in youtube_playlist_ids(sandbox, target_id)
    assert linked.source_track.platform_id not in spotify_playlist_ids(sandbox, source_id)
    assert second.removed == 1
    third = sync(pair)
    assert third.added == 0 and third.removed == 0


def test_two_way_keeps_one_copy_of_a_song_added_on_both_sides(library, platform_settings):
    sandbox = platform_settings
    pair = two_way_pair(library)
    sync(pair)
    source_id, target_id = pair.source.platform_id, pair.target.platform_id
    # A song matched elsewhere (in another pair's run) added by hand on both sides.
    other = new_pair(library, "add_only")
    other_run = sync(other)
    change = (
        other_run.changes.filter(action="add", outcome="applied")
        .exclude(counterpart__platform_id__in=youtube_playlist_ids(sandbox, target_id))
        .exclude(item__platform_id__in=spotify_playlist_ids(sandbox, source_id))
        .select_related("item", "counterpart")
        .first()
    )
    assert change is not None
    client_for(Connection.objects.get(user=library, platform="spotify")).add_items(
        source_id, [change.item.platform_id]
    )
    client_for(Connection.objects.get(user=library, platform="youtube")).add_items(
        target_id, [change.counterpart.platform_id]
    )

    run = sync(pair)

    assert run.added == 0, list(run.changes.filter(action="add").values_list("reason", flat=True))
    assert youtube_playlist_ids(sandbox, target_id).count(change.counterpart.platform_id) == 1
    assert spotify_playlist_ids(sandbox, source_id).count(change.item.platform_id) == 1


def test_two_way_remove_on_one_side_and_add_on_the_other(library, platform_settings):
    sandbox = platform_settings
    pair = two_way_pair(library)
    sync(pair)
    source_id, target_id = pair.source.platform_id, pair.target.platform_id
    gone = pair.synced_items.select_related("source_track", "target_track").first()
    client_for(Connection.objects.get(user=library, platform="youtube")).remove_items(
        target_id,
        [
            PlaylistEntry(
                0,
                gone.target_track.to_info(),
                entry_id=next(
                    i.entry_id
                    for i in Collection.objects.get(pk=pair.target_id).items.filter(
                        track=gone.target_track
                    )
                ),
            )
        ],
    )
    extra = stranger_video(sandbox, youtube_playlist_ids(sandbox, target_id))
    client_for(Connection.objects.get(user=library, platform="youtube")).add_items(
        target_id, [extra]
    )

    run = sync(pair)

    assert gone.source_track.platform_id not in spotify_playlist_ids(sandbox, source_id)
    assert run.removed >= 1


def test_undoing_a_two_way_copy_never_deletes_what_the_person_added(library, platform_settings):
    sandbox = platform_settings
    pair = two_way_pair(library)
    sync(pair)
    source_id, target_id = pair.source.platform_id, pair.target.platform_id
    by_hand = stranger_video(sandbox, youtube_playlist_ids(sandbox, target_id))
    client_for(Connection.objects.get(user=library, platform="youtube")).add_items(
        target_id, [by_hand]
    )
    copied = sync(pair)
    assert copied.added == 1, list(copied.changes.values_list("action", "reason"))
    on_spotify = spotify_playlist_ids(sandbox, source_id)

    undo = run_start(pair=pair, trigger=Run.Trigger.UNDO, undo_of=copied)
    run_execute(run_id=undo.pk)
    undone = spotify_playlist_ids(sandbox, source_id)
    after = sync(pair)

    assert len(undone) == len(on_spotify) - 1  # the undo took the copy out of Spotify
    assert by_hand in youtube_playlist_ids(sandbox, target_id), "the person's video was deleted"
    assert after.removed == 0, list(after.changes.filter(action="remove").values_list("reason"))


def add_song_youtube_lacks(sandbox, pair: SyncPair) -> str:
    """Puts a song that YouTube does not have into the pair's Spotify source; its id."""
    with sandbox.state.lock:
        obscure = sandbox.state.spotify.add_track(
            "Zzyzx Road Lullaby", ["Nobody Anyone Knows"], "Basement Sessions", 201_000
        )
    obscure_id = getattr(obscure, "id", obscure)
    spotify = client_for(Connection.objects.get(user=pair.user, platform="spotify"))
    spotify.add_items(pair.source.platform_id, [obscure_id])
    return obscure_id


def test_an_unmatched_item_resolved_in_review_is_added_on_the_next_run(library, platform_settings):
    sandbox = platform_settings
    pair = new_pair(library, "add_only")
    obscure_id = add_song_youtube_lacks(sandbox, pair)
    first = sync(pair)
    review = ReviewItem.objects.get(user=library, status="open", source__platform_id=obscure_id)
    pair.refresh_from_db()
    video = stranger_video(sandbox, youtube_playlist_ids(sandbox, pair.target.platform_id))

    review_pick_url(item=review, url=f"https://www.youtube.com/watch?v={video}")
    second = sync(pair)

    assert MatchChoice.objects.filter(user=library, source=review.source, kind="pin").exists()
    assert video in youtube_playlist_ids(sandbox, pair.target.platform_id)
    assert second.unmatched == first.unmatched - 1
    assert second.added == 1


def test_running_out_of_quota_waits_for_the_reset_then_finishes(
    library, platform_settings, monkeypatch
):
    sandbox = platform_settings
    pair = new_pair(library, "add_only")
    # A dry run does the searches (and caches them); the real run then only inserts.
    preview = execute(run_start(pair=pair, trigger=Run.Trigger.MANUAL, dry_run=True))
    assert preview.added >= 4
    used = sandbox.state.counters.snapshot()["quota"]
    spent = sum(day.get("used", 0) for day in used.values())
    sandbox.state.knobs.update(youtube_daily_quota=spent + 50 * (preview.added // 2) + 60)

    run = sync(pair)

    assert run.status == Run.Status.WAITING and run.wait_reason == "quota", run.error
    assert run.resume_at is not None and run.resume_at > timezone.now()
    landed = run.changes.filter(action="add", outcome="applied").count()
    assert 0 < landed < preview.added
    assert run.added == landed  # the waiting run's page counts what it already did
    assert run.progress_done == landed  # and its progress bar agrees ("4 of 28", not 0)
    sandbox.state.clock.advance(24 * 3600)
    move_app_clock(monkeypatch, (run.resume_at - timezone.now()).total_seconds() + 1)
    runs_resume_due(now=run.resume_at + timedelta(seconds=1))
    run.refresh_from_db()
    assert run.status == Run.Status.QUEUED
    run = execute(run)
    assert run.status in (Run.Status.SUCCEEDED, Run.Status.PARTIAL), run.error
    pair.refresh_from_db()
    remote = youtube_playlist_ids(sandbox, pair.target.platform_id)
    assert len(remote) == len(set(remote)) == run.added == preview.added


def google_has_units_left(sandbox, settings, units: int) -> None:
    """The deployment's Google project, also used elsewhere, has ``units`` left today."""
    settings.YOUTUBE_DAILY_QUOTA = 10_000
    sandbox.state.knobs.update(youtube_daily_quota=10_000)
    answer = requests.post(
        f"{sandbox.url}/_control/youtube/quota", json={"used": 10_000 - units}, timeout=5
    )
    answer.raise_for_status()


def move_app_clock(monkeypatch, seconds: float) -> None:
    real_now = timezone.now
    monkeypatch.setattr(timezone, "now", lambda: real_now() + timedelta(seconds=seconds))


def youtube_writes(sandbox) -> int:
    calls = sandbox.state.counters.snapshot()["calls"]
    return sum(
        calls.get(f"youtube.{endpoint}", 0)
        for endpoint in ("search.list", "playlists.insert", "playlistItems.insert")
    )


def test_once_youtube_says_the_quota_is_spent_nobody_has_any_left_today(
    library, bob, platform_settings, settings, client
):
    sandbox = platform_settings
    pair = new_pair(library, "add_only")
    bob.spotify = connect(bob, "spotify", sandbox, "sandbox-bob")
    bob.youtube = connect(bob, "youtube", sandbox, "sandbox-bob")
    library_import(connection_id=bob.spotify.pk)
    library_import(connection_id=bob.youtube.pk)
    bob_pair = new_pair(bob, "add_only")
    google_has_units_left(sandbox, settings, 60)  # less than one search

    run = sync(pair)

    assert run.status == Run.Status.WAITING and run.wait_reason == "quota", run.error
    assert quota_left_today() == 0
    client.force_login(bob)
    assert client.get("/api/quota/").json()["units_left_today"] == 0
    dashboard = client.get(reverse("dashboard")).content.decode()
    assert re.search(r'class="big-number">0 <span class="muted small">units', dashboard)

    writes = youtube_writes(sandbox)
    bob_run = sync(bob_pair)

    assert bob_run.status == Run.Status.WAITING and bob_run.wait_reason == "quota"
    assert youtube_writes(sandbox) == writes, "bob's run asked YouTube for what it had refused"


def test_the_next_quota_day_has_the_full_budget_again(
    library, platform_settings, settings, monkeypatch
):
    sandbox = platform_settings
    pair = new_pair(library, "add_only")
    google_has_units_left(sandbox, settings, 60)
    run = sync(pair)
    assert run.wait_reason == "quota" and quota_left_today() == 0

    move_app_clock(monkeypatch, (next_quota_reset() - timezone.now()).total_seconds() + 60)

    assert quota_left_today() == 10_000


def test_a_long_retry_after_from_spotify_moves_the_run_to_waiting(library, platform_settings):
    sandbox = platform_settings
    pair = pair_create(
        user=library,
        source=smallest(library, "youtube"),
        target=None,
        target_platform="spotify",
        target_name="Rate limited",
        mode="add_only",
    )
    sandbox.state.knobs.update(spotify_retry_after=3600, fail_next={"spotify.search.get": [429]})

    run = sync(pair)

    assert run.status == Run.Status.WAITING and run.wait_reason == "rate_limit"
    assert run.resume_at > timezone.now() + timedelta(minutes=50)


def test_a_revoked_token_waits_for_a_reconnect_and_shows_why(library, platform_settings):
    sandbox = platform_settings
    pair = new_pair(library, "add_only")
    conn = Connection.objects.get(user=library, platform="spotify")
    Connection.objects.filter(pk=conn.pk).update(token_expires_at=timezone.now())
    import requests

    requests.post(f"{sandbox.url}/_control/spotify/users/sandbox-alice/revoke", timeout=5)

    run = sync(pair)

    conn.refresh_from_db()
    assert conn.state == "needs_reconnect"
    assert run.status == Run.Status.WAITING and run.wait_reason == "reconnect"


def test_unavailable_source_items_are_reported_not_matched(library, platform_settings):
    source = (
        Collection.objects.filter(
            connection=library.spotify,
            kind="playlist",
            editable=True,
            items__track__available=False,
        )
        .distinct()
        .first()
        or Collection.objects.filter(
            connection=library.spotify, kind="playlist", editable=True, items__track__isnull=True
        )
        .distinct()
        .first()
    )
    assert source is not None, "the demo library has a playlist with unavailable items"
    pair = pair_create(
        user=library,
        source=source,
        target=None,
        target_platform="youtube",
        target_name="Unavailable",
        mode="add_only",
    )

    run = sync(pair)

    assert run.unavailable > 0
    assert run.changes.filter(action="unavailable", counterpart__isnull=False).count() == 0


def test_people_waiting_for_youtube_quota_share_what_is_left(
    library, bob, platform_settings, settings
):
    """With bob also waiting, alice's run spends about half of what is left, then steps aside."""
    from platforms.quota import quota_left_today, quota_spent_today_by

    pair = new_pair(library, "add_only")
    preview = execute(run_start(pair=pair, trigger=Run.Trigger.MANUAL, dry_run=True))
    assert preview.added >= 6
    bob_source = Collection.objects.create(
        connection=Connection.objects.create(user=bob, platform="spotify"),
        name="Bob's",
        platform_id="b",
    )
    bob_pair = pair_create(user=bob, source=bob_source, target=None, target_platform="youtube",
                           target_name="Bob's", mode="add_only")  # fmt: skip
    Run.objects.create(pair=bob_pair, user=bob, status=Run.Status.WAITING, wait_reason="quota")
    spent_before = quota_spent_today_by(library.pk)
    settings.YOUTUBE_DAILY_QUOTA = (
        settings.YOUTUBE_DAILY_QUOTA - quota_left_today() + 50 * preview.added + 60
    )
    left = quota_left_today()

    run = sync(pair)

    assert run.status == Run.Status.QUEUED, "alice's run should step aside for bob"
    spent = quota_spent_today_by(library.pk) - spent_before
    assert 0 < spent <= left // 2 + 50
    assert 0 < run.changes.filter(action="add", outcome="applied").count() < preview.added


def test_keeping_order_puts_a_song_added_at_the_top_of_the_source_at_the_top_of_the_target(
    library, platform_settings
):
    sandbox = platform_settings
    pair = new_pair(library, "mirror", keep_order=True)
    sync(pair)
    pair.refresh_from_db()
    in_source = set(pair.source.items.values_list("track_id", flat=True))
    newcomer = (
        Track.objects.filter(platform="spotify", available=True, collectionitem__isnull=False)
        .exclude(pk__in=in_source)
        .order_by("pk")
        .first()
    )
    spotify = client_for(Connection.objects.get(user=library, platform="spotify"))
    spotify.add_items(pair.source.platform_id, [newcomer.platform_id], position=0)

    run = sync(pair)

    added = run.changes.get(action="add", outcome="applied")
    assert added.item_id == newcomer.pk
    remote = youtube_playlist_ids(sandbox, pair.target.platform_id)
    assert remote[0] == added.counterpart.platform_id, (
        "appended, not placed where the source has it"
    )


def test_a_song_removed_on_one_side_leaves_every_copy_on_the_other(library, platform_settings):
    sandbox = platform_settings
    pair = two_way_pair(library)
    sync(pair)
    source_id, target_id = pair.source.platform_id, pair.target.platform_id
    linked = pair.synced_items.select_related("source_track", "target_track").first()
    video = linked.target_track.platform_id
    youtube = client_for(Connection.objects.get(user=library, platform="youtube"))
    youtube.add_items(target_id, [video])  # the person has it twice on YouTube
    sync(pair)
    assert youtube_playlist_ids(sandbox, target_id).count(video) == 2

    client_for(Connection.objects.get(user=library, platform="spotify")).remove_items(
        source_id, [PlaylistEntry(0, linked.source_track.to_info())]
    )
    removal = sync(pair)
    after = sync(pair)

    assert video not in youtube_playlist_ids(sandbox, target_id)
    assert removal.removed == 2
    kept = removal.changes.filter(action="keep", item=linked.target_track)
    assert not kept.exists(), "the log said one copy was kept while both went"
    assert linked.source_track.platform_id not in spotify_playlist_ids(sandbox, source_id), (
        "the song came back: " + "; ".join(after.changes.values_list("reason", flat=True))
    )
    assert after.added == 0 and after.removed == 0


def test_a_song_removed_from_the_target_by_hand_is_added_again_and_the_log_says_why(
    library, platform_settings
):
    sandbox = platform_settings
    pair = new_pair(library, "add_only")
    first = sync(pair)
    pair.refresh_from_db()
    added = first.changes.filter(action="add", outcome="applied").first()
    entry = Collection.objects.get(pk=pair.target_id).items.get(track=added.counterpart)
    client_for(Connection.objects.get(user=library, platform="youtube")).remove_items(
        pair.target.platform_id,
        [PlaylistEntry(0, added.counterpart.to_info(), entry_id=entry.entry_id)],
    )

    second = sync(pair)

    again = second.changes.get(action="add", item=added.item)
    assert again.reason.startswith("no longer in the target, added again"), again.reason
    assert "duplicates" not in again.reason
    assert added.counterpart.platform_id in youtube_playlist_ids(sandbox, pair.target.platform_id)


def test_a_video_turning_private_or_deleted_removes_nothing_in_two_way(library, platform_settings):
    sandbox = platform_settings
    pair = two_way_pair(library)
    sync(pair)
    source_id = pair.source.platform_id
    links = list(pair.synced_items.select_related("source_track", "target_track")[:2])
    on_spotify = spotify_playlist_ids(sandbox, source_id)
    with sandbox.state.lock:  # nobody removed anything: the videos just went away
        sandbox.state.youtube.set_video_status(links[0].target_track.platform_id, "private")
        sandbox.state.youtube.set_video_status(links[1].target_track.platform_id, "deleted")

    run = sync(pair)
    again = sync(pair)

    assert spotify_playlist_ids(sandbox, source_id) == on_spotify
    assert run.removed == 0 and again.removed == 0
    assert run.changes.filter(action="unavailable", reason="unavailable on YouTube").count() >= 2


def test_a_source_video_turning_private_or_deleted_keeps_its_copy_in_a_mirror(
    library, platform_settings
):
    sandbox = platform_settings
    pair = pair_create(
        user=library, source=smallest(library, "youtube"), target=None,
        target_platform="spotify", target_name="Mirror of videos", mode="mirror",
    )  # fmt: skip
    first = sync(pair)
    pair.refresh_from_db()
    added = list(first.changes.filter(action="add", outcome="applied")[:2])
    assert len(added) == 2
    with sandbox.state.lock:
        sandbox.state.youtube.set_video_status(added[0].item.platform_id, "private")
        sandbox.state.youtube.set_video_status(added[1].item.platform_id, "deleted")

    run = sync(pair)

    remote = spotify_playlist_ids(sandbox, pair.target.platform_id)
    assert {a.counterpart.platform_id for a in added} <= set(remote)
    assert run.removed == 0, list(run.changes.filter(action="remove").values_list("reason"))


def test_a_mirror_that_keeps_duplicates_removes_the_copy_the_source_no_longer_has(
    library, platform_settings
):
    sandbox = platform_settings
    pair = new_pair(library, "mirror", keep_duplicates=True)
    song = pair.source.items.exclude(track=None).select_related("track").first().track
    spotify = client_for(Connection.objects.get(user=library, platform="spotify"))
    spotify.add_items(pair.source.platform_id, [song.platform_id])  # twice in the source
    first = sync(pair)
    pair.refresh_from_db()
    video = first.changes.filter(item=song, action="add").first().counterpart.platform_id
    assert youtube_playlist_ids(sandbox, pair.target.platform_id).count(video) == 2
    with sandbox.state.lock:  # the person takes the second copy out of the source
        playlist = sandbox.state.spotify.playlists[pair.source.platform_id]
        last = max(i for i, e in enumerate(playlist.entries) if e.uri.endswith(song.platform_id))
        del playlist.entries[last]
        playlist.bump()

    run = sync(pair)

    assert youtube_playlist_ids(sandbox, pair.target.platform_id).count(video) == 1
    assert run.removed == 1
    spotify.remove_items(pair.source.platform_id, [PlaylistEntry(0, song.to_info())])
    gone = sync(pair)  # the copy left is still the sync's own: it goes with the song
    assert video not in youtube_playlist_ids(sandbox, pair.target.platform_id)
    assert gone.removed == 1


def test_a_spotify_track_spotify_no_longer_offers_removes_nothing(library, platform_settings):
    sandbox = platform_settings
    two_way = two_way_pair(library)
    sync(two_way)
    mirror = new_pair(library, "mirror")
    sync(mirror)
    mirror.refresh_from_db()
    gone = [
        two_way.synced_items.select_related("source_track").first().source_track,
        mirror.synced_items.select_related("source_track").first().source_track,
    ]
    before = {p.pk: youtube_playlist_ids(sandbox, p.target.platform_id) for p in (two_way, mirror)}
    with sandbox.state.lock:  # Spotify lists them as empty (null) entries from now on
        for track in gone:
            sandbox.state.spotify.tracks[track.platform_id].available = False

    runs = [sync(two_way), sync(mirror)]

    for pair, run in zip((two_way, mirror), runs, strict=True):
        assert youtube_playlist_ids(sandbox, pair.target.platform_id) == before[pair.pk]
        assert run.removed == 0, list(run.changes.filter(action="remove").values_list("reason"))
    assert runs[0].changes.filter(action="unavailable", item=gone[0]).exists()


def test_songs_the_sync_added_side_by_side_that_spotify_stops_offering_remove_nothing(
    library, platform_settings
):
    # A two-way run adds the YouTube-only songs to the end of the Spotify playlist, all
    # at one moment; our copy of those entries has no date until the playlist is read.
    sandbox = platform_settings
    pair = two_way_pair(library)
    first = sync(pair)
    added = first.changes.filter(action="add", side="source", outcome="applied").count()
    assert added >= 2, "the test needs two songs added to Spotify side by side"
    pair.refresh_from_db()
    before = youtube_playlist_ids(sandbox, pair.target.platform_id)
    with sandbox.state.lock:  # the last two of them are no longer offered: empty entries
        entries = sandbox.state.spotify.playlists[pair.source.platform_id].entries
        gone = [entry.uri.rsplit(":", 1)[-1] for entry in entries[-2:]]
        for track_id in gone:
            sandbox.state.spotify.tracks[track_id].available = False

    run = sync(pair)

    assert youtube_playlist_ids(sandbox, pair.target.platform_id) == before
    assert run.removed == 0, list(run.changes.filter(action="remove").values_list("reason"))
    unavailable = run.changes.filter(action="unavailable").values_list(
        "item__platform_id", flat=True
    )
    assert set(gone) <= set(unavailable)


@pytest.mark.parametrize("mode", ["two_way", "mirror"])
def test_an_empty_entry_that_may_be_either_of_two_songs_removes_neither(
    library, platform_settings, mode
):
    sandbox = platform_settings
    pair = two_way_pair(library) if mode == "two_way" else new_pair(library, mode)
    source_id = pair.source.platform_id
    with sandbox.state.lock:  # the first two songs were added to the playlist together
        entries = sandbox.state.spotify.playlists[source_id].entries
        entries[1].added_at = entries[0].added_at
        gone, removed = (entries[i].uri.rsplit(":", 1)[-1] for i in (0, 1))
    Collection.objects.filter(pk=pair.source_id).update(version="")  # read it again
    sync(pair)
    pair.refresh_from_db()
    linked = dict(pair.synced_items.values_list("source_track__platform_id", "target_track_id"))
    before = youtube_playlist_ids(sandbox, pair.target.platform_id)
    # Spotify stops offering one of them, and the person removes the other: the playlist
    # now holds one empty entry of that moment, and nothing says which song it was.
    with sandbox.state.lock:
        sandbox.state.spotify.tracks[gone].available = False
    spotify = client_for(Connection.objects.get(user=library, platform="spotify"))
    by_hand = Track.objects.get(platform_id=removed).to_info()
    spotify.remove_items(source_id, [PlaylistEntry(1, by_hand)])

    runs = [sync(pair), sync(pair)]

    assert youtube_playlist_ids(sandbox, pair.target.platform_id) == before
    for run in runs:
        assert run.removed == 0, list(run.changes.filter(action="remove").values_list("reason"))
    note = runs[0].changes.get(action="unavailable").reason
    assert "one of 2 songs added at the same moment" in note
    assert set(pair.synced_items.values_list("target_track_id", flat=True)) >= set(
        linked.values()
    )  # both links stay, so neither song comes back as new


def test_a_liked_video_gone_private_or_deleted_is_not_unliked_on_spotify(
    library, platform_settings
):
    sandbox = platform_settings
    liked = {
        c.connection.platform: c
        for c in Collection.objects.filter(connection__user=library, kind="liked").select_related(
            "connection"
        )
    }
    pair = pair_create(
        user=library, source=liked["youtube"], target=liked["spotify"],
        target_platform="spotify", mode="two_way",
    )  # fmt: skip
    sync(pair)

    # Songs paired once: unliking a video whose song Spotify holds twice (a single and
    # its album copy) rightly unlikes both copies, and a track another liked video
    # still stands for stays.
    def once(side: str):
        counted = pair.synced_items.values(side).annotate(links=Count("pk"))
        return counted.filter(links=1).values(side)

    gone_private, deleted, unliked = (
        pair.synced_items.select_related("source_track", "target_track")
        .filter(
            source_track__platform="youtube", source_track__available=True,
            source_track__in=once("source_track"), target_track__in=once("target_track"),
        )
        .order_by("pk")[:3]
    )  # fmt: skip
    with sandbox.state.lock:  # nobody unliked these two: the videos stopped playing
        sandbox.state.youtube.set_video_status(gone_private.source_track.platform_id, "private")
        sandbox.state.youtube.set_video_status(deleted.source_track.platform_id, "deleted")
    youtube = client_for(Connection.objects.get(user=library, platform="youtube"))
    youtube.unlike([PlaylistEntry(0, unliked.source_track.to_info())])  # this one, a person did

    run = sync(pair)

    saved = set(sandbox.state.spotify.saved["sandbox-alice"])
    assert gone_private.target_track.platform_id in saved
    assert deleted.target_track.platform_id in saved
    assert unliked.target_track.platform_id not in saved
    assert run.removed == 1
    assert set(
        run.changes.filter(action="unavailable").values_list("item__platform_id", flat=True)
    ) >= {gone_private.source_track.platform_id, deleted.source_track.platform_id}


def test_a_song_with_a_10000_character_title_does_not_stop_the_run(library, platform_settings):
    sandbox = platform_settings
    pair = new_pair(library, "add_only")
    with sandbox.state.lock:
        entries = sandbox.state.spotify.playlists[pair.source.platform_id].entries
        long_one = entries[0].uri.rsplit(":", 1)[-1]
        sandbox.state.spotify.tracks[long_one].name = "Endless " * 1250
    Collection.objects.filter(pk=pair.source_id).update(version="")  # read it again

    run = sync(pair)

    assert run.status in (Run.Status.SUCCEEDED, Run.Status.PARTIAL), run.error
    pair.refresh_from_db()
    others = run.changes.filter(action="add", outcome="applied").exclude(item__platform_id=long_one)
    assert others.count() >= len(entries) - 3  # the rest of the playlist went through
    assert len(youtube_playlist_ids(sandbox, pair.target.platform_id)) == run.added


def test_a_search_the_platform_refuses_leaves_that_song_unmatched_and_the_run_goes_on(
    library, platform_settings
):
    sandbox = platform_settings
    pair = new_pair(library, "add_only")
    sandbox.state.knobs.update(fail_next={"youtube.search.list": [400, 400]})

    run = sync(pair)

    assert run.status == Run.Status.PARTIAL, run.error
    refused = run.changes.filter(action="unmatched", reason__contains="search refused the query")
    assert refused.count() == 2  # one YouTube search per song: the first two songs'
    assert run.added >= 1


def test_a_run_that_fails_on_a_platform_error_says_why_in_the_log(
    library, platform_settings, caplog
):
    sandbox = platform_settings
    pair = new_pair(library, "add_only")
    sandbox.state.knobs.update(fail_next={"youtube.playlists.insert": [400]})

    with caplog.at_level("WARNING", logger="syncing.services.runs"):
        run = sync(pair)

    assert run.status == Run.Status.FAILED
    assert f"run {run.pk} failed: bad_request error from youtube (400)" in caplog.text


def test_a_source_playlist_deleted_on_the_platform_pauses_the_pair_and_says_so(
    library, platform_settings
):
    sandbox = platform_settings
    source = smallest(library, "youtube")
    pair = pair_create(
        user=library, source=source, target=None, target_platform="spotify",
        target_name="From YouTube", mode="add_only", schedule="hourly",
    )  # fmt: skip
    with sandbox.state.lock:
        world = sandbox.state.youtube
        world.delete_playlist(world.playlists[source.platform_id])
    Collection.objects.filter(pk=source.pk).update(version="")  # read it again

    run = sync(pair)

    pair.refresh_from_db()
    assert run.status == Run.Status.FAILED
    assert f"The source playlist “{source.name}” no longer exists on YouTube" in run.error
    assert "The pair is paused" in run.error
    assert pair.enabled is False


REFUSED = "Spotify does not let apps read the songs of a playlist you follow"


def test_a_source_whose_songs_spotify_stops_letting_us_read_fails_the_run_and_writes_nothing(
    library, platform_settings
):
    sandbox = platform_settings
    source = Collection.objects.get(connection__user=library, name="Shared Sunday")
    pair = pair_create(
        user=library, source=source, target=None, target_platform="youtube",
        target_name="Sunday copy", mode="mirror", schedule="hourly",
    )  # fmt: skip
    first = sync(pair)
    assert first.status in (Run.Status.SUCCEEDED, Run.Status.PARTIAL), first.error
    pair.refresh_from_db()
    on_youtube = youtube_playlist_ids(sandbox, pair.target.platform_id)
    with sandbox.state.lock:
        sandbox.state.spotify.playlists[source.platform_id].collaborators = []  # Bob's choice
    Collection.objects.filter(pk=source.pk).update(version="")  # read it again

    run = sync(pair)

    pair.refresh_from_db()
    source.refresh_from_db()
    assert run.status == Run.Status.FAILED
    assert REFUSED in run.error and f"the source playlist “{source.name}”" in run.error
    assert "The pair is paused" in run.error and pair.enabled is False
    assert not run.changes.exists() and run.removed == 0
    assert youtube_playlist_ids(sandbox, pair.target.platform_id) == on_youtube
    assert source.items_readable is False and not source.items.exists()


def test_a_pair_made_from_a_followed_playlist_before_the_refusal_was_known_fails_its_run(
    library, platform_settings
):
    sandbox = platform_settings
    followed = Collection.objects.get(connection__user=library, name="Bob's Bangers")
    playlists_before = set(sandbox.state.youtube.playlists)
    pair = SyncPair.objects.create(  # what the pair form let through until it knew better
        user=library, source=followed, target_platform="youtube", target_name="Bangers"
    )

    run = sync(pair)

    pair.refresh_from_db()
    assert run.status == Run.Status.FAILED
    assert REFUSED in run.error and run.added == 0
    assert pair.enabled is False and pair.target is None
    assert set(sandbox.state.youtube.playlists) == playlists_before


def test_a_run_that_would_empty_most_of_a_side_holds_its_removals_until_confirmed(
    library, platform_settings
):
    from syncing.services.runs import run_confirm_removals, run_held_removals

    sandbox = platform_settings
    pair = pair_create(
        user=library, source=smallest(library, "spotify", min_items=12),
        target=smallest(library, "youtube"), target_platform="youtube", mode="two_way",
    )  # fmt: skip
    sync(pair)
    source_id, target_id = pair.source.platform_id, pair.target.platform_id
    before = youtube_playlist_ids(sandbox, target_id)
    with sandbox.state.lock:  # the source comes back nearly empty (a glitch, or a reset)
        playlist = sandbox.state.spotify.playlists[source_id]
        gone = len(playlist.entries) - 1
        playlist.entries = playlist.entries[:1]
    Collection.objects.filter(pk=pair.source_id).update(version="")

    held = sync(pair)
    again = sync(pair)

    assert youtube_playlist_ids(sandbox, target_id) == before  # nothing lost on YouTube
    assert len(spotify_playlist_ids(sandbox, source_id)) == 1  # and nothing copied back
    assert held.removed == again.removed == 0
    assert held.status == Run.Status.PARTIAL, "removals not made yet: not a success"
    assert run_held_removals(run=held) >= gone - 2 >= 10
    assert run_held_removals(run=again) == run_held_removals(run=held)

    confirmed = execute(run_confirm_removals(run=again))

    assert confirmed.removed == run_held_removals(run=held)
    assert len(youtube_playlist_ids(sandbox, target_id)) == len(before) - confirmed.removed
    assert run_held_removals(run=confirmed) == 0


def test_a_confirmation_removes_only_what_the_person_saw_held_back(library, platform_settings):
    from syncing.services.runs import run_confirm_removals, run_held_removals

    sandbox = platform_settings
    pair = pair_create(
        user=library, source=smallest(library, "spotify", min_items=20), target=None,
        target_platform="youtube", target_name="Mirror", mode="mirror",
    )  # fmt: skip
    sync(pair)
    pair.refresh_from_db()
    source_id, target_id = pair.source.platform_id, pair.target.platform_id
    before = youtube_playlist_ids(sandbox, target_id)
    keep = len(before) // 2 - 1
    with sandbox.state.lock:  # the source loses more than half its songs
        playlist = sandbox.state.spotify.playlists[source_id]
        playlist.entries = playlist.entries[:keep]
    Collection.objects.filter(pk=pair.source_id).update(version="")
    held = sync(pair)
    seen = run_held_removals(run=held)
    assert seen == len(before) - keep >= 10 and held.removed == 0
    with sandbox.state.lock:  # then, before the person confirms, nearly all the rest
        playlist.entries = playlist.entries[:1]
    Collection.objects.filter(pk=pair.source_id).update(version="")

    confirmed = execute(run_confirm_removals(run=held))

    assert confirmed.removed == seen  # what the person saw on the page, and no more
    assert len(youtube_playlist_ids(sandbox, target_id)) == len(before) - seen
    assert run_held_removals(run=confirmed) == keep - 1  # the rest wait to be confirmed
    total = len(before) - 1
    waiting = confirmed.changes.filter(action="remove", outcome="skipped").first()
    said = f"would remove {total} of the {len(before)} songs in the target at once, {seen} of them"
    assert f"{said} confirmed already; confirm on the run page" in waiting.reason
    again = execute(run_confirm_removals(run=confirmed))
    assert again.removed == keep - 1
    assert len(youtube_playlist_ids(sandbox, target_id)) == 1
