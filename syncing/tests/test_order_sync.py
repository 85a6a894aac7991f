"""A mirror that keeps order follows the source's order, through the sandbox over HTTP."""

from __future__ import annotations

from django.urls import reverse

from platforms.clients import client_for
from platforms.models import Connection, Track
from platforms.types import PlaylistEntry
from syncing.models import Run, SyncPair
from syncing.selectors import run_can_undo
from syncing.services.pairs import pair_create
from syncing.services.runs import run_execute, run_start
from syncing.tests.sandbox_views import (
    spotify_playlist_ids,
    stranger_video,
    youtube_playlist_ids,
)
from syncing.tests.test_engine_behaviour import smallest


def sync(pair: SyncPair, **options) -> Run:
    run = run_start(pair=pair, trigger=Run.Trigger.MANUAL, **options)
    run_execute(run_id=run.pk)
    run.refresh_from_db()
    return run


def client(user, platform: str):
    return client_for(Connection.objects.get(user=user, platform=platform))


def move(user, platform: str, playlist_id: str, ids: list[str], *, frm: int, to: int) -> None:
    """Moves, as the person would in the platform's own app."""
    track = Track.objects.filter(platform=platform, platform_id=ids[frm]).first()
    entry_id = ""
    if platform == "youtube":
        entries = client(user, platform).list_playlist_items(playlist_id)
        entry_id = entries[frm].entry_id
    client(user, platform).move(
        playlist_id, PlaylistEntry(frm, track.to_info(), entry_id=entry_id), to_index=to
    )


def counterparts(pair: SyncPair) -> dict[str, str]:
    return {
        s.source_track.platform_id: s.target_track.platform_id
        for s in pair.synced_items.select_related("source_track", "target_track")
    }


def in_source_order(pair: SyncPair, source_ids: list[str]) -> list[str]:
    links = counterparts(pair)
    return list(dict.fromkeys(links[s] for s in source_ids if s in links))


def spotify_to_youtube(user, mode="mirror", **fields) -> SyncPair:
    pair = pair_create(
        user=user, source=smallest(user, "spotify"), target=None, target_platform="youtube",
        target_name=f"Ordered {mode}", mode=mode, keep_order=True, **fields,
    )  # fmt: skip
    sync(pair)
    pair.refresh_from_db()
    return pair


def youtube_to_spotify(user) -> SyncPair:
    pair = pair_create(
        user=user, source=smallest(user, "youtube"), target=None, target_platform="spotify",
        target_name="Ordered copy", mode="mirror", keep_order=True,
    )  # fmt: skip
    sync(pair)
    pair.refresh_from_db()
    return pair


def test_songs_moved_in_the_source_are_moved_in_the_target_with_the_fewest_moves(
    library, platform_settings
):
    sandbox = platform_settings
    pair = spotify_to_youtube(library)
    source_id, target_id = pair.source.platform_id, pair.target.platform_id
    by_hand = stranger_video(sandbox, youtube_playlist_ids(sandbox, target_id))
    client(library, "youtube").add_items(target_id, [by_hand], position=1)
    ids = spotify_playlist_ids(sandbox, source_id)
    move(library, "spotify", source_id, ids, frm=len(ids) - 1, to=0)  # last to the top
    moved_once = spotify_playlist_ids(sandbox, source_id)
    move(library, "spotify", source_id, moved_once, frm=1, to=len(ids) - 1)  # first to the end
    source_now = spotify_playlist_ids(sandbox, source_id)
    assert source_now != ids

    run = sync(pair)

    remote = youtube_playlist_ids(sandbox, target_id)
    wanted = in_source_order(pair, source_now)
    assert [v for v in remote if v in wanted] == wanted
    assert by_hand in remote, "a video the person added is not the sync's to move or remove"
    assert run.status == Run.Status.SUCCEEDED
    assert run.moved == 2, "two songs changed place: the others stay put"
    assert run.changes.filter(action="move", outcome="applied").count() == 2
    assert not run_can_undo(run=run), "a run that only moved songs has nothing to undo"
    # Nothing moved since: the next run moves nothing.
    again = sync(pair)
    assert again.moved == 0 and not again.changes.filter(action="move").exists()
    assert youtube_playlist_ids(sandbox, target_id) == remote


def test_a_dry_run_lists_the_moves_and_makes_none(library, platform_settings):
    sandbox = platform_settings
    pair = spotify_to_youtube(library)
    source_id, target_id = pair.source.platform_id, pair.target.platform_id
    ids = spotify_playlist_ids(sandbox, source_id)
    move(library, "spotify", source_id, ids, frm=len(ids) - 1, to=0)
    before = youtube_playlist_ids(sandbox, target_id)

    run = sync(pair, dry_run=True)

    planned = run.changes.filter(action="move")
    assert planned.count() == 1 and run.moved == 1
    assert planned.get().counterpart.platform_id == in_source_order(pair, ids)[-1]
    assert youtube_playlist_ids(sandbox, target_id) == before


def test_a_youtube_source_moved_around_reorders_its_spotify_copy(library, platform_settings):
    sandbox = platform_settings
    pair = youtube_to_spotify(library)
    source_id, target_id = pair.source.platform_id, pair.target.platform_id
    ids = youtube_playlist_ids(sandbox, source_id)
    move(library, "youtube", source_id, ids, frm=0, to=len(ids) - 1)  # first to the end

    run = sync(pair)

    wanted = in_source_order(pair, youtube_playlist_ids(sandbox, source_id))
    remote = spotify_playlist_ids(sandbox, target_id)
    assert [t for t in remote if t in wanted] == wanted
    assert run.moved == 1


def test_new_songs_in_several_places_land_in_their_places_on_spotify(library, platform_settings):
    sandbox = platform_settings
    pair = youtube_to_spotify(library)
    source_id, target_id = pair.source.platform_id, pair.target.platform_id
    linked = set(counterparts(pair))
    newcomers = [
        t.platform_id
        for t in Track.objects.filter(platform="youtube", available=True).order_by("pk")
        if t.platform_id not in linked
    ][:2]
    youtube = client(library, "youtube")
    youtube.add_items(source_id, [newcomers[0]], position=0)
    youtube.add_items(source_id, [newcomers[1]], position=3)

    run = sync(pair)

    wanted = in_source_order(pair, youtube_playlist_ids(sandbox, source_id))
    assert len(wanted) == len(linked) + 2, "both newcomers should match"
    assert [t for t in spotify_playlist_ids(sandbox, target_id) if t in wanted] == wanted
    assert run.added == 2 and run.moved == 0, "each went in at its place in one call"


def test_add_only_leaves_the_order_of_the_target_to_the_person(library, platform_settings):
    sandbox = platform_settings
    pair = spotify_to_youtube(library, mode="add_only")
    source_id, target_id = pair.source.platform_id, pair.target.platform_id
    before = youtube_playlist_ids(sandbox, target_id)
    ids = spotify_playlist_ids(sandbox, source_id)
    move(library, "spotify", source_id, ids, frm=len(ids) - 1, to=0)

    run = sync(pair)

    assert youtube_playlist_ids(sandbox, target_id) == before
    assert run.moved == 0


def test_the_run_page_counts_and_lists_the_moves(library, platform_settings, client):
    sandbox = platform_settings
    pair = spotify_to_youtube(library)
    ids = spotify_playlist_ids(sandbox, pair.source.platform_id)
    move(library, "spotify", pair.source.platform_id, ids, frm=len(ids) - 1, to=0)
    run = sync(pair)
    client.force_login(library)

    page = client.get(reverse("syncing:run", args=[run.pk])).content.decode()
    moves = client.get(reverse("syncing:run", args=[run.pk]) + "?action=move").content.decode()

    assert "1</strong> moved into the source" in page
    assert 'Moves <span class="count">1</span>' in page
    moved = run.changes.get(action="move").counterpart
    assert moved.title in moves and "moved to place 1, to follow the source" in moves
