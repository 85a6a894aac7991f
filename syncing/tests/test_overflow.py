"""A YouTube playlist holds 5,000 items: a longer source continues in "Name (2)"."""

from __future__ import annotations

import pytest

from platforms import clients
from platforms.models import Collection
from platforms.services import library_import
from syncing.models import Run
from syncing.services.pairs import pair_create
from syncing.services.runs import run_execute, run_start
from syncing.tests.sandbox_views import youtube_playlist_ids, youtube_playlists_named

LIMIT = 12  # stands in for 5,000 so the test stays quick


@pytest.mark.parametrize("app_knows_the_limit", [True, False])
def test_a_source_longer_than_a_youtube_playlist_continues_in_numbered_playlists(
    alice_connected, platform_settings, monkeypatch, app_knows_the_limit
):
    sandbox = platform_settings
    monkeypatch.setattr("platforms.sandbox.youtube_world.PLAYLIST_MAX_ITEMS", LIMIT)
    if app_knows_the_limit:
        monkeypatch.setitem(clients.PLAYLIST_LIMIT, clients.Platform.YOUTUBE, LIMIT)
    library_import(connection_id=alice_connected.spotify.pk)
    source = (
        Collection.objects.filter(
            connection=alice_connected.spotify, kind="playlist", editable=True, item_count__gte=30
        )
        .order_by("item_count")
        .first()
    )
    pair = pair_create(
        user=alice_connected,
        source=source,
        target=None,
        target_platform="youtube",
        target_name="Long list",
        mode="add_only",
    )

    run = run_start(pair=pair, trigger=Run.Trigger.MANUAL)
    run_execute(run_id=run.pk)
    run.refresh_from_db()

    assert run.status in (Run.Status.SUCCEEDED, Run.Status.PARTIAL), run.error
    playlists = youtube_playlists_named(sandbox, "sandbox-alice", "Long list")
    assert "Long list" in playlists and "Long list (2)" in playlists
    videos = [v for pid in playlists.values() for v in youtube_playlist_ids(sandbox, pid)]
    assert all(len(youtube_playlist_ids(sandbox, pid)) <= LIMIT for pid in playlists.values())
    assert len(videos) == len(set(videos)) == run.added > 2 * LIMIT
    assert run.failed == 0
