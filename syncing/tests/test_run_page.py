"""The run page tells what a run did, what it still plans to do, and what it left undone."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from platforms.tests import library_builders as build
from syncing.models import ReviewItem, Run, RunChange
from syncing.services.runs import run_cancel

pytestmark = pytest.mark.django_db

Action, Outcome = RunChange.Action, RunChange.Outcome


def _text(response) -> str:
    return response.content.decode()


def _pair_with_songs(alice, count: int = 4):
    spotify, youtube = build.two_connected(alice)
    source = build.playlist(spotify, "Road Trip")
    songs = build.fill(source, count)
    videos = [build.track("youtube", n=i, title=f"Video {i}") for i in range(1, count + 1)]
    return build.pair(alice, source), songs, videos


def _change(run: Run, seq: int, action: str, outcome: str, item=None, counterpart=None, **extra):
    return RunChange.objects.create(
        run=run, seq=seq, action=action, outcome=outcome, item=item, counterpart=counterpart,
        **extra,
    )  # fmt: skip


def test_a_run_waiting_for_quota_lists_the_removals_it_plans(alice, alice_client):
    pair, songs, videos = _pair_with_songs(alice)
    run = build.run(
        pair, status=Run.Status.WAITING, wait_reason=Run.WaitReason.QUOTA, planned=True,
        resume_at=timezone.now() + timedelta(hours=3), progress_total=2,
    )  # fmt: skip
    _change(run, 0, Action.KEEP, Outcome.SKIPPED, songs[0], videos[0], reason="already in step")
    _change(run, 1, Action.REMOVE, Outcome.PLANNED, None, videos[1], reason="not in the source")
    _change(run, 2, Action.REMOVE, Outcome.PLANNED, None, videos[2], reason="not in the source")

    text = _text(alice_client.get(reverse("syncing:run", args=[run.pk])))

    assert "Video 2" in text and "Video 3" in text
    assert "not made them yet" in text
    assert text.count(">Planned<") == 2
    assert "Hidden item" not in text  # a removal of a hand-added video has no source song


def test_the_poll_of_a_waiting_run_keeps_the_filter_the_person_chose(alice, alice_client):
    pair, songs, videos = _pair_with_songs(alice)
    run = build.run(pair, status=Run.Status.WAITING, wait_reason="quota", planned=True)
    _change(run, 0, Action.KEEP, Outcome.SKIPPED, songs[0], videos[0])
    _change(run, 1, Action.REMOVE, Outcome.PLANNED, None, videos[1])
    url = reverse("syncing:run", args=[run.pk])

    poll = _text(
        alice_client.get(
            url, {"action": "remove"}, headers={"HX-Request": "true", "HX-Target": "run-body"}
        )
    )

    assert f'hx-get="{url}?action=remove"' in poll
    assert "Video 2" in poll and "Video 1<" not in poll


def test_a_run_still_matching_does_not_claim_it_changed_nothing(alice, alice_client):
    pair, _, _ = _pair_with_songs(alice)
    run = build.run(pair, status=Run.Status.WAITING, wait_reason="quota", planned=False)

    text = _text(alice_client.get(reverse("syncing:run", args=[run.pk])))

    assert "changed nothing" not in text


def test_a_run_cancelled_before_it_planned_says_so_and_not_that_all_was_in_step(
    alice, alice_client
):
    pair, _, _ = _pair_with_songs(alice)
    run = build.run(pair, status=Run.Status.WAITING, wait_reason="quota", planned=False)
    run_cancel(run=run)

    text = _text(alice_client.get(reverse("syncing:run", args=[run.pk])))

    assert "everything was already in step" not in text
    assert "cancelled before it had planned" in text
    assert "not done" in text


def test_a_run_cancelled_midway_counts_what_it_did_and_what_it_did_not_do(alice, alice_client):
    pair, songs, videos = _pair_with_songs(alice)
    run = build.run(pair, status=Run.Status.WAITING, wait_reason="quota", planned=True)
    _change(run, 0, Action.ADD, Outcome.APPLIED, songs[0], videos[0])
    _change(run, 1, Action.ADD, Outcome.PLANNED, songs[1], videos[1])
    _change(run, 2, Action.ADD, Outcome.PLANNED, songs[2], videos[2])
    run_cancel(run=run)
    run.refresh_from_db()

    text = _text(alice_client.get(reverse("syncing:run", args=[run.pk])))

    assert run.added == 1
    assert "1 of its 3 planned changes" in text
    assert "the other 2 were not made" in text
    assert text.count(">Not done<") == 2
    assert "everything was already in step" not in text


def test_never_match_shows_as_skipped_and_offers_no_empty_review(alice, alice_client):
    pair, songs, _ = _pair_with_songs(alice)
    run = build.run(pair, status=Run.Status.SUCCEEDED, planned=True)
    _change(
        run, 0, Action.UNMATCHED, Outcome.SKIPPED, songs[0], method="never",
        reason="you chose never to match this",
    )  # fmt: skip

    text = _text(alice_client.get(reverse("syncing:run", args=[run.pk])))

    assert "you said never match" in text
    assert "Review unmatched" not in text


def test_review_unmatched_is_offered_while_the_pair_has_open_items(alice, alice_client):
    pair, songs, _ = _pair_with_songs(alice)
    run = build.run(pair, status=Run.Status.PARTIAL, planned=True, unmatched=1)
    _change(run, 0, Action.UNMATCHED, Outcome.SKIPPED, songs[0], reason="no match found")
    ReviewItem.objects.create(
        user=alice, source=songs[0], target_platform="youtube", pair=pair, run=run
    )

    text = _text(alice_client.get(reverse("syncing:run", args=[run.pk])))

    assert "Review unmatched" in text


def test_the_filter_tabs_count_the_runs_additions_whatever_became_of_them(alice, alice_client):
    pair, songs, videos = _pair_with_songs(alice, 2)
    run = build.run(pair, status=Run.Status.PARTIAL, failed=2)
    for seq in range(2):
        _change(run, seq, Action.ADD, Outcome.FAILED, songs[seq], videos[seq], error="rejected")

    page = _text(alice_client.get(reverse("syncing:run", args=[run.pk])))

    assert "Additions" in page and "Removals" in page
    assert "Added <span" not in page  # "Added 2" read as two songs added, beside "0 added"
