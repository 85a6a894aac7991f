"""The sync engine against the sandbox over HTTP: what ends up on the platforms."""

from __future__ import annotations

import pytest
from django.urls import reverse

from platforms.clients import client_for
from platforms.models import Collection
from platforms.types import PlaylistEntry
from syncing.models import ReviewItem, Run, RunChange
from syncing.services.pairs import pair_create
from syncing.services.runs import run_execute, run_start, run_undo
from syncing.tests.sandbox_views import spotify_playlist_ids, youtube_playlist_ids

pytestmark = pytest.mark.smoke


def spotify_playlist(user, min_items=5):
    return (
        Collection.objects.filter(
            connection__user=user,
            connection__platform="spotify",
            kind="playlist",
            editable=True,
            item_count__gte=min_items,
        )
        .order_by("item_count")
        .first()
    )


def execute(run: Run) -> Run:
    run_execute(run_id=run.pk)
    run.refresh_from_db()
    return run


def test_a_first_sync_creates_the_youtube_playlist_with_the_matched_songs(
    library, platform_settings
):
    source = spotify_playlist(library)
    pair = pair_create(
        user=library,
        source=source,
        target=None,
        target_platform="youtube",
        target_name="From Spotify",
        mode="add_only",
    )

    run = execute(run_start(pair=pair, trigger=Run.Trigger.MANUAL))

    assert run.status in (Run.Status.SUCCEEDED, Run.Status.PARTIAL), run.error
    pair.refresh_from_db()
    remote = youtube_playlist_ids(platform_settings, pair.target.platform_id)
    assert len(remote) == run.added > 0
    assert len(set(remote)) == len(remote), "a video was added twice"
    added = RunChange.objects.filter(run=run, action="add", outcome="applied")
    assert sorted(remote) == sorted(added.values_list("counterpart__platform_id", flat=True))
    assert run.unmatched == ReviewItem.objects.filter(user=library, status="open").count()


def test_an_unchanged_re_sync_writes_nothing_and_searches_nothing(library, platform_settings):
    sandbox = platform_settings
    pair = pair_create(
        user=library,
        source=spotify_playlist(library),
        target=None,
        target_platform="youtube",
        target_name="Again",
        mode="mirror",
    )
    first = execute(run_start(pair=pair, trigger=Run.Trigger.MANUAL))
    before = youtube_playlist_ids(sandbox, Collection.objects.get(pairs_as_target=pair).platform_id)
    sandbox.state.counters.reset()

    second = execute(run_start(pair=pair, trigger=Run.Trigger.MANUAL))

    calls = sandbox.state.counters.snapshot()["calls"]
    writes = {
        k: v
        for k, v in calls.items()
        if any(w in k for w in ("insert", "delete", "add", "remove", "rate", "post", "put"))
    }
    searches = {k: v for k, v in calls.items() if "search" in k}
    assert second.status in (Run.Status.SUCCEEDED, Run.Status.PARTIAL)
    assert writes == {} and searches == {}, calls
    assert second.added == 0 and second.removed == 0 and second.kept == first.added + first.kept
    after = youtube_playlist_ids(sandbox, Collection.objects.get(pairs_as_target=pair).platform_id)
    assert after == before


def test_a_dry_run_writes_nothing_but_shows_the_plan(library, platform_settings):
    sandbox = platform_settings
    pair = pair_create(
        user=library,
        source=spotify_playlist(library),
        target=None,
        target_platform="youtube",
        target_name="Dry",
        mode="add_only",
    )
    sandbox.state.counters.reset()

    run = execute(run_start(pair=pair, trigger=Run.Trigger.MANUAL, dry_run=True))

    calls = sandbox.state.counters.snapshot()["calls"]
    assert not any("insert" in k for k in calls), calls
    assert run.status == Run.Status.SUCCEEDED
    assert run.added > 0  # would add
    assert RunChange.objects.filter(run=run, action="add", outcome="planned").count() == run.added


def test_a_dry_run_ends_as_the_real_run_of_its_plan_would(library, platform_settings):
    # The YouTube playlist with the most uploads that have no Spotify counterpart (covers).
    sources = Collection.objects.filter(connection=library.youtube, kind="playlist")
    for source in sources.order_by("-item_count"):
        pair = pair_create(
            user=library, source=source, target=None, target_platform="spotify",
            target_name=f"Copy of {source.name}", mode="add_only",
        )  # fmt: skip
        dry = execute(run_start(pair=pair, trigger=Run.Trigger.MANUAL, dry_run=True))
        if dry.unmatched:
            break
    assert dry.unmatched, "the sandbox has uploads nobody can match"

    real = execute(run_start(pair=pair, trigger=Run.Trigger.MANUAL))

    assert real.unmatched == dry.unmatched
    assert dry.status == real.status == Run.Status.PARTIAL


def test_undo_restores_the_target_exactly(library, platform_settings):
    sandbox = platform_settings
    yt_target = (
        Collection.objects.filter(connection=library.youtube, kind="playlist", editable=True)
        .order_by("item_count")
        .first()
    )
    before = youtube_playlist_ids(sandbox, yt_target.platform_id)
    pair = pair_create(
        user=library,
        source=spotify_playlist(library),
        target=yt_target,
        target_platform="youtube",
        mode="add_only",
    )
    run = execute(run_start(pair=pair, trigger=Run.Trigger.MANUAL))
    assert run.added > 0
    assert youtube_playlist_ids(sandbox, yt_target.platform_id) != before

    undo = execute(run_undo(run=run))

    assert undo.status == Run.Status.SUCCEEDED, undo.error
    assert youtube_playlist_ids(sandbox, yt_target.platform_id) == before


def test_undo_of_removals_puts_each_song_back_in_its_place(library, platform_settings):
    sandbox = platform_settings
    pair = pair_create(
        user=library, source=spotify_playlist(library), target=None,
        target_platform="youtube", target_name="Undo order", mode="mirror",
    )  # fmt: skip
    execute(run_start(pair=pair, trigger=Run.Trigger.MANUAL))
    pair.refresh_from_db()
    target_id = pair.target.platform_id
    before = youtube_playlist_ids(sandbox, target_id)
    links = pair.synced_items.select_related("source_track", "target_track")
    # Three songs, none of them next to another, leave the source.
    leaving = [s for s in links if s.target_track.platform_id in before[1::3]][:3]
    assert len(leaving) == 3
    spotify = client_for(library.spotify)
    spotify.remove_items(
        pair.source.platform_id, [PlaylistEntry(0, s.source_track.to_info()) for s in leaving]
    )
    removal = execute(run_start(pair=pair, trigger=Run.Trigger.MANUAL))
    assert removal.removed == 3

    undo = execute(run_undo(run=removal))

    assert undo.status == Run.Status.SUCCEEDED, undo.error
    assert youtube_playlist_ids(sandbox, target_id) == before, "back in place, in order"


def test_undo_puts_songs_back_in_place_on_spotify_too(library, platform_settings):
    sandbox = platform_settings
    source = (
        Collection.objects.filter(connection=library.youtube, kind="playlist", item_count__gte=6)
        .order_by("item_count")
        .first()
    )
    pair = pair_create(
        user=library, source=source, target=None, target_platform="spotify",
        target_name="Undo order", mode="mirror",
    )  # fmt: skip
    execute(run_start(pair=pair, trigger=Run.Trigger.MANUAL))
    pair.refresh_from_db()
    target_id = pair.target.platform_id
    before = spotify_playlist_ids(sandbox, target_id)
    links = pair.synced_items.select_related("source_track", "target_track")
    leaving = [s for s in links if s.target_track.platform_id in (before[0], before[3])]
    youtube = client_for(library.youtube)
    entries = youtube.list_playlist_items(source.platform_id)
    gone = {s.source_track.platform_id for s in leaving}
    youtube.remove_items(
        source.platform_id, [e for e in entries if e.track and e.track.platform_id in gone]
    )
    removal = execute(run_start(pair=pair, trigger=Run.Trigger.MANUAL))
    assert removal.removed == 2

    execute(run_undo(run=removal))

    assert spotify_playlist_ids(sandbox, target_id) == before


def test_a_duplicate_message_does_nothing_twice(library, platform_settings):
    sandbox = platform_settings
    pair = pair_create(
        user=library,
        source=spotify_playlist(library),
        target=None,
        target_platform="youtube",
        target_name="Twice",
        mode="add_only",
    )
    run = run_start(pair=pair, trigger=Run.Trigger.MANUAL)
    execute(run)
    assert run_execute(run_id=run.pk) is None  # the second delivery finds it finished
    pair.refresh_from_db()
    remote = youtube_playlist_ids(sandbox, pair.target.platform_id)
    assert len(remote) == len(set(remote))


def test_youtube_to_spotify_adds_the_matched_tracks(library, platform_settings):
    source = (
        Collection.objects.filter(connection=library.youtube, kind="playlist", item_count__gte=5)
        .order_by("item_count")
        .first()
    )
    pair = pair_create(
        user=library,
        source=source,
        target=None,
        target_platform="spotify",
        target_name="From YouTube",
        mode="add_only",
    )

    run = execute(run_start(pair=pair, trigger=Run.Trigger.MANUAL))

    assert run.status in (Run.Status.SUCCEEDED, Run.Status.PARTIAL), run.error
    pair.refresh_from_db()
    remote = spotify_playlist_ids(platform_settings, pair.target.platform_id)
    assert len(remote) == run.added > 0


def test_videos_a_search_found_are_matched_and_listed_with_their_length(
    library, platform_settings, client
):
    sandbox = platform_settings
    pair = pair_create(
        user=library, source=spotify_playlist(library), target=None,
        target_platform="youtube", target_name="With lengths", mode="add_only",
    )  # fmt: skip

    run = execute(run_start(pair=pair, trigger=Run.Trigger.MANUAL))

    searched = RunChange.objects.filter(run=run, action="add", method="search")
    assert searched.exists()
    for change in searched.select_related("counterpart"):
        with sandbox.state.lock:
            seconds = sandbox.state.youtube.videos[change.counterpart.platform_id].duration_s
        assert change.counterpart.duration_ms == seconds * 1000
        assert "duration" in change.reason, change.reason  # the matcher weighed it
    pair.refresh_from_db()
    client.force_login(library)
    page = client.get(reverse("platforms:collection", args=[pair.target_id])).content.decode()
    assert page.count('<td class="hide-narrow muted">—</td>') == 0
