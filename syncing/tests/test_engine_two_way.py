"""Two-way runs of the demo's "Road Trip 2024" pair, against the sandbox over HTTP.

Both sides hold duplicates, remasters, a clean version, live takes and official
videos whose length differs from the track's: every item must be accounted for, the
two directions must agree, a second run must change nothing, and the preview must
plan what the run does.
"""

from __future__ import annotations

from collections import Counter

import pytest

from platforms.models import Collection
from syncing.models import Run, RunChange, SyncPair
from syncing.services.pairs import pair_create
from syncing.services.runs import plan_preview, run_execute, run_start
from syncing.tests.sandbox_views import spotify_playlist_ids, youtube_playlist_ids

Action, Side = RunChange.Action, RunChange.Side


def sync(pair: SyncPair, *, dry_run: bool = False) -> Run:
    run = run_start(pair=pair, trigger=Run.Trigger.MANUAL, dry_run=dry_run)
    run_execute(run_id=run.pk)
    run.refresh_from_db()
    return run


def road_trip(user, platform: str) -> Collection:
    return Collection.objects.get(
        connection__user=user, connection__platform=platform, name="Road Trip 2024"
    )


def road_trip_pair(user) -> SyncPair:
    return pair_create(
        user=user,
        source=road_trip(user, "spotify"),
        target=road_trip(user, "youtube"),
        target_platform="youtube",
        mode="two_way",
    )


def youtube_titles(sandbox, playlist_id: str) -> list[str]:
    with sandbox.state.lock:
        videos = sandbox.state.youtube.videos
        return [videos[v].title for v in youtube_playlist_ids(sandbox, playlist_id)]


def mentions(run: Run) -> Counter:
    """How often the run's log speaks of each track, on either side."""
    seen: Counter = Counter()
    for item, counterpart in run.changes.values_list("item_id", "counterpart_id"):
        seen[item] += 1
        if counterpart != item:
            seen[counterpart] += 1
    return seen


def entries(collection: Collection) -> Counter:
    return Counter(collection.items.exclude(track=None).values_list("track_id", flat=True))


def test_a_two_way_first_run_logs_every_item_of_both_sides(library, platform_settings):
    pair = road_trip_pair(library)

    run = sync(pair)

    assert run.status in (Run.Status.SUCCEEDED, Run.Status.PARTIAL), run.error
    logged = mentions(run)
    for side in (pair.source, pair.target):
        missing = {track: count for track, count in entries(side).items() if logged[track] < count}
        assert not missing, f"{side.name} on {side.connection.platform}: not in the log"
    duplicates = run.changes.filter(action=Action.KEEP, reason__contains="same song as")
    titles = set(duplicates.values_list("item__title", flat=True))
    assert {"Velvet Hours", "Hafið - Remastered 2021", "Golden Hour"} <= titles, titles
    reasons = list(duplicates.values_list("reason", flat=True))
    assert not [r for r in reasons if "'?'" in r], reasons  # each names the songs it means


def test_a_second_two_way_run_with_nothing_changed_adds_nothing(library, platform_settings):
    sandbox = platform_settings
    pair = road_trip_pair(library)
    first = sync(pair)
    assert first.status in (Run.Status.SUCCEEDED, Run.Status.PARTIAL), first.error
    on_spotify = spotify_playlist_ids(sandbox, pair.source.platform_id)
    on_youtube = youtube_playlist_ids(sandbox, pair.target.platform_id)

    second = sync(pair)

    adds = list(second.changes.filter(action=Action.ADD).values_list("item__title", flat=True))
    assert second.added == 0 and second.removed == 0, adds
    assert spotify_playlist_ids(sandbox, pair.source.platform_id) == on_spotify
    assert youtube_playlist_ids(sandbox, pair.target.platform_id) == on_youtube
    assert sync(pair).added == 0


def test_a_song_matched_to_its_official_video_is_not_added_again_as_a_topic_upload(
    library, platform_settings
):
    sandbox = platform_settings
    pair = road_trip_pair(library)

    sync(pair)
    sync(pair)

    titles = youtube_titles(sandbox, pair.target.platform_id)
    for song in ("Velvet Hours", "Hafið", "Glow in the Dark Stars"):
        copies = [t for t in titles if song in t]
        assert len(copies) == 1, copies


def test_two_way_links_an_official_video_that_differs_only_in_length_instead_of_adding_another(
    library, platform_settings
):
    sandbox = platform_settings
    pair = road_trip_pair(library)

    run = sync(pair)

    titles = youtube_titles(sandbox, pair.target.platform_id)
    for song in ("Sleepy Static", "Restless Compass", "Lonely Compass"):
        assert len([t for t in titles if song in t]) == 1, titles
        kept = run.changes.get(action=Action.KEEP, item__title=song)
        assert "(Official" in kept.counterpart.title
        assert "duration differs" in kept.reason, kept.reason
    assert not run.changes.filter(action=Action.UNMATCHED, item__title__contains="Sleepy Static")


def test_a_live_video_is_added_as_the_live_track_in_the_first_run(library, platform_settings):
    sandbox = platform_settings
    pair = road_trip_pair(library)

    run = sync(pair)

    live = run.changes.get(item__title="Paper Lanterns - Live at the Roundhouse")
    assert (live.action, live.side) == (Action.ADD, Side.SOURCE), (live.action, live.reason)
    assert live.counterpart.platform_id in spotify_playlist_ids(sandbox, pair.source.platform_id)


@pytest.mark.parametrize("mode", ["two_way", "add_only", "mirror"])
def test_the_preview_plans_what_the_dry_run_plans(library, platform_settings, mode):
    pair = road_trip_pair(library)
    pair.mode = mode
    pair.save(update_fields=["mode"])
    dry = sync(pair, dry_run=True)  # searches, and fills the match cache the preview reads

    preview = plan_preview(pair=pair, sample_size=500)

    assert preview.counts["needs_search"] == 0, preview.samples.get("needs_search")
    assert preview.counts["add"] == dry.added
    assert preview.counts["remove"] == dry.removed
    assert preview.counts["keep"] == dry.kept
    assert preview.counts["unmatched"] == dry.unmatched
    for item in preview.samples.get("add", []):
        assert "already in the target" not in item.reason, item


def test_the_preview_of_a_new_two_way_pair_never_plans_an_item_already_in_the_target_as_an_add(
    library, platform_settings
):
    unsaved = SyncPair(
        user=library,
        source=road_trip(library, "spotify"),
        target=road_trip(library, "youtube"),
        target_platform="youtube",
        mode="two_way",
    )

    preview = plan_preview(pair=unsaved, sample_size=500)

    reasons = [item.reason for item in preview.samples.get("add", [])]
    assert not [r for r in reasons if "already in the target" in r], reasons
    kept = {item.title for item in preview.samples["keep"]}
    assert {"Velvet Hours", "Hafið - Remastered 2021", "Golden Hour"} <= kept
