"""The sandbox's core: clock, knobs, counters, faults, persistence, control routes, validator."""

from __future__ import annotations

import json
from datetime import datetime
from zoneinfo import ZoneInfo

import pytest
import requests
from werkzeug.test import Client

from platforms.sandbox import conformance, spotify
from platforms.sandbox.core import Clock, Counters, Knobs, SandboxState, maybe_fault
from platforms.sandbox.seed import load_pairs_csv_text, seed_large_library
from platforms.sandbox.server import Persister, create_app
from platforms.sandbox.spotify_world import spotify_id


def test_the_clock_can_be_moved_forward_and_set():
    clock = Clock()
    before = clock.now()

    clock.advance(3600)

    assert clock.now() - before == pytest.approx(3600, abs=1)
    clock.set_offset(0)
    assert clock.now() - before == pytest.approx(0, abs=1)


def test_knobs_refuse_unknown_names_and_bad_values():
    knobs = Knobs()

    with pytest.raises(ValueError, match="unknown knob"):
        knobs.update(latency=5)
    with pytest.raises(ValueError):
        knobs.update(spotify_rate_limit="lots")
    with pytest.raises(ValueError):
        knobs.update(fail_next={"spotify.me.get": [999]})


def test_dict_knobs_merge_and_a_none_removes_a_key():
    knobs = Knobs()
    knobs.update(latency_ms={"*": 5, "spotify.me.get": 50})

    knobs.update(latency_ms={"spotify.me.get": None})

    assert knobs.latency_ms == {"*": 5.0}


def test_fail_next_answers_queued_statuses_once_each_then_stops():
    state = SandboxState(populate=False)
    state.knobs.update(fail_next={"youtube.*": [503, 429]})

    def error(status):
        return spotify.error_response(status)

    statuses = [maybe_fault(state, "youtube.videos.list", error) for _ in range(3)]

    assert [r.status_code if r else None for r in statuses] == [503, 429, None]


def test_an_error_rate_of_one_always_fails_and_is_deterministic_with_the_seed():
    state = SandboxState(seed=7, populate=False)
    state.knobs.update(error_rate_5xx={"spotify.*": 1.0})

    first = [state.fault_for("spotify.me.get")[1] for _ in range(5)]
    state.reset(seed=7, populate=False)
    state.knobs.update(error_rate_5xx={"spotify.*": 1.0})
    second = [state.fault_for("spotify.me.get")[1] for _ in range(5)]

    assert first == second
    assert all(status in (500, 502, 503) for status in first)


def test_quota_is_counted_per_pacific_day():
    clock = Clock()
    counters = Counters(clock)
    # Move to 23:00 Pacific today, so an hour and a half later is a new quota day.
    now = datetime.fromtimestamp(clock.now(), ZoneInfo("America/Los_Angeles"))
    clock.advance((23 - now.hour) * 3600 - now.minute * 60 - now.second)
    counters.add_quota("musicsync", 9_000)

    clock.advance(90 * 60)
    counters.add_quota("musicsync", 50)

    snapshot = counters.snapshot()
    assert snapshot["quota"]["musicsync"]["used"] == 50
    assert counters.quota_used("musicsync") == 50


def test_counters_snapshot_has_calls_and_statuses_by_endpoint():
    counters = Counters()
    counters.hit("spotify.me.get", 200)
    counters.hit("spotify.me.get", 429)

    snapshot = counters.snapshot()

    assert snapshot["calls"] == {"spotify.me.get": 2}
    assert snapshot["statuses"] == {"spotify.me.get": {"200": 1, "429": 1}}


def test_the_same_seed_builds_the_same_libraries_and_another_seed_shuffles_them():
    def road_trip(seed):
        state = SandboxState(seed=seed)
        playlist = state.spotify.playlists[
            spotify_id("playlist", "sandbox-alice", "Road Trip 2024")
        ]
        return [e.uri for e in playlist.entries]

    assert road_trip(1) == road_trip(1)
    assert road_trip(1) != road_trip(2)


def test_the_demo_people_exist_on_both_platforms_with_alice_the_busiest():
    state = SandboxState()

    assert {"sandbox-alice", "sandbox-bob", "sandbox-charlie"} <= set(state.spotify.users)
    sizes = [
        len(state.spotify.playlists[p].entries)
        for p in state.spotify.user_playlists["sandbox-alice"]
        if state.spotify.playlists[p].owner_id == "sandbox-alice"
    ]
    assert min(sizes) >= 10 and max(sizes) <= 120
    assert len(state.spotify.saved["sandbox-alice"]) == 150
    assert state.spotify.user_playlists["sandbox-charlie"] == []
    if state.youtube is not None:
        assert {"sandbox-alice", "sandbox-bob", "sandbox-charlie"} <= set(state.youtube.users)


def test_the_catalogue_has_the_messy_cases_matching_must_handle():
    state = SandboxState()
    names = [t.name for t in state.spotify.tracks.values()]
    titles = [v.title for v in state.youtube.videos.values()] if state.youtube else []

    assert any("feat." in n for n in names)
    assert any(" - Live" in n for n in names) and any("Remaster" in n for n in names)
    assert any(not t.available for t in state.spotify.tracks.values())
    isrcs = [t.isrc for t in state.spotify.tracks.values()]
    assert len(isrcs) != len(set(isrcs))  # singles share the album track's ISRC
    if titles:
        assert any(
            t.endswith(" - Topic") for t in (v.channel_title for v in state.youtube.videos.values())
        )
        assert any("VEVO" in v.channel_title for v in state.youtube.videos.values())
        assert any("(Official Video)" in t for t in titles)
        assert any("「" in t for t in titles)


def test_a_pairs_csv_adds_tracks_and_videos_at_run_time():
    state = SandboxState(populate=False)
    text = (
        "row_id,Artist,Track,Album,Album_type,Duration_ms,Title,Channel,Licensed,"
        "official_video,Views,Likes,Comments,Stream\n"
        "1,Invented Band,Made Up Song,Made Up Album,album,201000.0,"
        "Invented Band - Made Up Song (Official Video),InventedBandVEVO,True,True,1,1,1,1000\n"
        "2,Invented Band,No Video,Made Up Album,album,190000.0,,,,,,,,\n"
    )

    added = load_pairs_csv_text(state, text)

    assert added["tracks"] == 2
    assert added["videos"] == (1 if state.youtube is not None else 0)
    assert "Made Up Song" in [t.name for t in state.spotify.tracks.values()]


def test_a_large_library_is_built_for_benchmarks():
    state = SandboxState(populate=False)

    result = seed_large_library(state, "bench-user", n_tracks=1_200, playlists=[1_100, 50])

    sizes = [
        len(state.spotify.playlists[p["spotify"]].entries) for p in result["playlists"].values()
    ]
    assert sizes == [1_100, 50]
    assert len(state.spotify.saved["bench-user"]) == 600


def test_a_persisted_sandbox_comes_back_after_a_restart(tmp_path):
    path = tmp_path / "sandbox-state.json"
    state = SandboxState()
    persister = Persister(state, path)
    playlist = state.spotify.create_playlist("sandbox-alice", "Made by the app")
    persister.save()

    restarted = SandboxState()
    assert Persister(restarted, path).load()

    assert restarted.spotify.playlists[playlist.id].name == "Made by the app"
    assert json.loads(path.read_text())["format"] == 1
    assert not list(tmp_path.glob(".sandbox-*"))  # written atomically, no leftovers


def test_a_broken_state_file_is_ignored_with_the_seed_kept(tmp_path):
    path = tmp_path / "sandbox-state.json"
    path.write_text("{not json")
    state = SandboxState()

    assert not Persister(state, path).load()
    assert "sandbox-alice" in state.spotify.users


def test_create_app_saves_after_writes_when_persisting(tmp_path):
    path = tmp_path / "state.json"
    app = create_app(SandboxState(), persist_path=path)
    client = Client(app)

    client.post("/_control/spotify/users", json={"id": "sandbox-dana"})
    app.persister.stop()

    assert "sandbox-dana" in path.read_text()


def test_the_index_page_lists_the_sandbox_people():
    client = Client(create_app(SandboxState(), persist_path=None))

    page = client.get("/")

    assert page.status_code == 200
    assert "sandbox-alice" in page.text and "sandbox-charlie" in page.text


def test_control_routes_set_knobs_read_counters_and_move_the_clock(sandbox):
    control = f"{sandbox.url}/_control"

    knobs = requests.post(f"{control}/knobs", json={"latency_ms": {"*": 1}}).json()
    bad = requests.post(f"{control}/knobs", json={"nope": 1})
    clock = requests.post(f"{control}/clock/advance", json={"seconds": 60}).json()
    counters = requests.get(f"{control}/counters").json()

    assert knobs["latency_ms"] == {"*": 1.0}
    assert bad.status_code == 400
    assert clock["offset"] == 60
    assert set(counters) == {"calls", "statuses", "quota"}


def test_control_routes_show_a_users_playlist_for_assertions(sandbox):
    playlist_id = spotify_id("playlist", "sandbox-alice", "Morning Commute")

    body = requests.get(
        f"{sandbox.url}/_control/spotify/users/sandbox-alice/playlists/{playlist_id}"
    ).json()

    assert body["name"] == "Morning Commute"
    assert len(body["items"]) == 12 and body["items"][0]["isrc"]


def test_control_reset_rebuilds_the_worlds_from_a_seed(sandbox):
    sandbox.state.spotify.create_playlist("sandbox-alice", "Temporary")

    requests.post(f"{sandbox.url}/_control/reset", json={"seed": 0}).raise_for_status()

    assert "Temporary" not in [p.name for p in sandbox.state.spotify.playlists.values()]


# --- the conformance validator -------------------------------------------------------------


def test_the_validator_accepts_a_body_the_sandbox_sends():
    state = SandboxState()
    client = Client(create_app(state, persist_path=None, validate=True))
    token, _ = state.spotify.issue_tokens(
        client_id="sandbox-spotify-client",
        user_id="sandbox-alice",
        scope="playlist-read-private",
        lifetime=3600,
        now=state.clock.now(),
    )

    answer = client.get(
        "/spotify/api/v1/me/playlists", headers={"Authorization": f"Bearer {token.token}"}
    )

    assert answer.status_code == 200
    assert state.conformance_failures == []


def test_the_validator_catches_a_deliberately_wrong_body():
    good_page = {
        "href": "http://x/v1/me/playlists",
        "items": [],
        "limit": 20,
        "next": None,
        "offset": 0,
        "previous": None,
        "total": 0,
    }
    wrong_page = {**good_page, "total": "zero"}
    del wrong_page["next"]

    assert conformance.validate("/spotify/api/v1/me/playlists", "GET", 200, good_page) == []
    problems = conformance.validate("/spotify/api/v1/me/playlists", "GET", 200, wrong_page)
    assert any("next" in p for p in problems)
    assert any("total" in p for p in problems)


def test_the_validator_checks_nested_objects_and_error_bodies():
    bad_track = {"name": "x", "artists": [{"name": 3}], "album": {"name": "y"}}

    assert conformance.validate("/spotify/api/v1/tracks/abc", "GET", 200, bad_track)
    assert conformance.validate("/spotify/api/v1/me", "GET", 401, {"error": "nope"})
    assert (
        conformance.validate(
            "/spotify/api/v1/me", "GET", 401, {"error": {"status": 401, "message": "x"}}
        )
        == []
    )


def test_the_validator_checks_token_responses_against_the_documented_shape():
    good = {
        "access_token": "a",
        "token_type": "Bearer",
        "scope": "",
        "expires_in": 3600,
        "refresh_token": "r",
    }

    assert conformance.validate("/spotify/accounts/api/token", "POST", 200, good) == []
    assert conformance.validate(
        "/spotify/accounts/api/token", "POST", 200, {**good, "token_type": "bearer"}
    )


def test_a_wrong_body_from_the_server_is_recorded_as_a_failure(monkeypatch):
    state = SandboxState()
    client = Client(create_app(state, persist_path=None, validate=True))
    token, _ = state.spotify.issue_tokens(
        client_id="sandbox-spotify-client",
        user_id="sandbox-alice",
        scope="",
        lifetime=3600,
        now=state.clock.now(),
    )
    real_page = spotify.Render.page

    def broken_page(self, *args, **kwargs):
        return {**real_page(self, *args, **kwargs), "total": "lots"}

    monkeypatch.setattr(spotify.Render, "page", broken_page)
    client.get("/spotify/api/v1/me/playlists", headers={"Authorization": f"Bearer {token.token}"})

    assert any("total" in failure for failure in state.conformance_failures)


def test_missing_specs_skip_validation_with_a_warning_but_fail_under_ci(monkeypatch, tmp_path):
    monkeypatch.setenv("MUSICSYNC_SPECS_DIR", str(tmp_path))
    monkeypatch.delenv("CI", raising=False)

    with pytest.warns(UserWarning, match="not validated"):
        assert conformance.validate("/spotify/api/v1/me", "GET", 200, {"id": 1}) == []
    monkeypatch.setenv("CI", "true")
    with pytest.raises(conformance.SpecsMissing):
        conformance.validate("/spotify/api/v1/me", "GET", 200, {"id": 1})
