"""Platforms misbehaving mid-run: bursts of 500 and 429, a write whose answer never came,
a grant revoked between two writes. Each ends with the target exactly as planned."""

from __future__ import annotations

import time
from collections.abc import Callable
from datetime import timedelta

import pytest
from django.utils import timezone

from platforms.models import Connection
from platforms.sandbox.youtube import YouTubeApp
from syncing.models import Run
from syncing.services.runs import run_execute, run_start, runs_resume_after_reconnect
from tests.faults.conftest import (
    applied_adds,
    assert_target_is_exactly_the_plan,
    drive,
    new_pair,
    planned_adds,
)


def after_youtube_inserts(monkeypatch, hook: Callable[[int], None]) -> None:
    """Calls ``hook(n)`` after the n-th playlistItems.insert has been applied and answered
    by the sandbox, before the answer leaves: outside the sandbox's lock, so other calls
    (the app re-reading the playlist) go on meanwhile."""
    original = YouTubeApp.__call__
    count = {"n": 0}

    def wrapped(self, environ, start_response):
        response = original(self, environ, start_response)
        if environ["REQUEST_METHOD"] == "POST" and environ["PATH_INFO"].endswith("/playlistItems"):
            count["n"] += 1
            hook(count["n"])
        return response

    monkeypatch.setattr(YouTubeApp, "__call__", wrapped)


def test_bursts_of_500_and_429_on_both_platforms_end_with_every_item_once(
    library, platform_settings
):
    sandbox = platform_settings
    to_youtube = new_pair(library, name="Through the storm")
    to_spotify = new_pair(library, source_platform="youtube", name="Back through the storm")
    expected = {to_youtube.pk: planned_adds(to_youtube), to_spotify.pk: planned_adds(to_spotify)}
    assert min(expected.values()) >= 3
    sandbox.state.counters.reset()
    sandbox.state.knobs.update(
        spotify_retry_after=1,
        # Reads fail at random (retried in place); every write path gets a burst in a row.
        error_rate_5xx={"spotify.*": 0.15, "youtube.*": 0.15},
        error_rate_429={"spotify.*": 0.05, "youtube.*": 0.05},
        fail_next={
            "youtube.playlistItems.insert": [500, 429, 429, 503],
            "spotify.playlist_items.post": [502, 429],
        },
    )

    for pair in (to_youtube, to_spotify):
        run, states = drive(run_start(pair=pair, trigger=Run.Trigger.MANUAL))
        assert any(s.startswith("waiting:") for s in states), states
        assert_target_is_exactly_the_plan(sandbox, run, expected[pair.pk])

    statuses = sandbox.state.counters.snapshot()["statuses"]
    seen = {code for codes in statuses.values() for code in map(int, codes)}
    assert {429, 500}.issubset(seen) and seen & {502, 503}, seen


def test_a_write_that_landed_but_timed_out_is_not_made_twice(
    library, platform_settings, settings, monkeypatch
):
    sandbox = platform_settings
    pair = new_pair(library, name="Slow answers")
    expected = planned_adds(pair)
    assert expected >= 4
    settings.PLATFORM_HTTP_TIMEOUT = 0.5

    def answer_slowly(n: int) -> None:
        if n == 3:  # the third insert is applied, then its answer is too late
            time.sleep(2.0)

    after_youtube_inserts(monkeypatch, answer_slowly)
    run = run_start(pair=pair, trigger=Run.Trigger.MANUAL)
    run_execute(run_id=run.pk)
    run.refresh_from_db()

    # The run says what happened: it lost an answer and will try again later.
    assert run.status == Run.Status.WAITING and run.wait_reason == "retry", run.error
    assert "network" in run.error
    # It looked before giving up: the insert that timed out is already counted as done.
    assert applied_adds(run) == 3

    run, _ = drive(run)
    assert_target_is_exactly_the_plan(sandbox, run, expected)


def test_a_grant_revoked_between_two_writes_waits_for_a_reconnect_then_finishes(
    library, platform_settings
):
    sandbox = platform_settings
    pair = new_pair(library, name="Revoked midway")
    expected = planned_adds(pair)
    assert expected >= 4

    def revoke_after_second(n: int) -> None:
        if n == 2:  # the person removes the app's access on Google's side
            with sandbox.state.lock:
                sandbox.state.youtube.revoke_user("sandbox-alice")

    from pytest import MonkeyPatch

    with MonkeyPatch.context() as patch:
        after_youtube_inserts(patch, revoke_after_second)
        run = run_start(pair=pair, trigger=Run.Trigger.MANUAL)
        run_execute(run_id=run.pk)
    run.refresh_from_db()
    youtube = Connection.objects.get(user=library, platform="youtube")

    assert run.status == Run.Status.WAITING and run.wait_reason == "reconnect", run.error
    assert youtube.state == Connection.State.NEEDS_RECONNECT
    assert applied_adds(run) == 2

    # Reconnecting (a fresh grant) resumes the run where it stopped.
    from platforms.sandbox.youtube import mint_tokens

    with sandbox.state.lock:
        grant = mint_tokens(
            sandbox.state, "sandbox-alice", scope="https://www.googleapis.com/auth/youtube",
            client_id="sandbox-google-client.apps.googleusercontent.com",
        )  # fmt: skip
    youtube.access_token, youtube.refresh_token = grant["access_token"], grant["refresh_token"]
    youtube.token_expires_at = timezone.now() + timedelta(hours=1)
    youtube.state = Connection.State.ACTIVE
    youtube.save()
    assert runs_resume_after_reconnect(user_id=library.pk) == 1
    run, _ = drive(run)
    assert_target_is_exactly_the_plan(sandbox, run, expected)
    assert run.finished_at <= timezone.now()


@pytest.mark.parametrize("status", [500, 503])
def test_a_failed_playlist_creation_is_retried_without_a_second_playlist(
    library, platform_settings, status
):
    sandbox = platform_settings
    pair = new_pair(library, name="Created once")
    expected = planned_adds(pair)
    sandbox.state.knobs.update(fail_next={"youtube.playlists.insert": [status]})

    run, states = drive(run_start(pair=pair, trigger=Run.Trigger.MANUAL))

    assert states[0] == "waiting:retry"
    assert_target_is_exactly_the_plan(sandbox, run, expected)
    with sandbox.state.lock:
        named = [p for p in sandbox.state.youtube.playlists.values() if p.title == "Created once"]
    assert len(named) == 1


def test_a_new_playlist_whose_creation_timed_out_is_not_created_twice(
    library, platform_settings, settings, monkeypatch
):
    sandbox = platform_settings
    pair = new_pair(library, name="Created in the dark")
    expected = planned_adds(pair)
    settings.PLATFORM_HTTP_TIMEOUT = 0.5
    original = YouTubeApp.__call__
    slow = {"once": True}

    def wrapped(self, environ, start_response):
        response = original(self, environ, start_response)
        if environ["REQUEST_METHOD"] == "POST" and environ["PATH_INFO"].endswith("/playlists"):
            if slow.pop("once", False):
                time.sleep(2.0)
        return response

    monkeypatch.setattr(YouTubeApp, "__call__", wrapped)

    run, _ = drive(run_start(pair=pair, trigger=Run.Trigger.MANUAL))

    assert_target_is_exactly_the_plan(sandbox, run, expected)
    with sandbox.state.lock:
        named = [
            p for p in sandbox.state.youtube.playlists.values() if p.title == "Created in the dark"
        ]
    assert len(named) == 1, "the playlist was created twice"
