"""The sync pages: dashboard, pairs, runs and the review queue, as a person sees them."""

from __future__ import annotations

import re

import pytest
from django.urls import reverse

from platforms.models import Collection, CollectionItem, Connection
from platforms.tests import library_builders as build
from syncing.models import MatchChoice, ReviewItem, Run, RunChange, SyncPair

pytestmark = pytest.mark.django_db

XSS_NAME = '<script>alert(1)</script>"><img src=x onerror=alert(2)>'


def _text(response) -> str:
    return response.content.decode()


# --- Dashboard -----------------------------------------------------------------------


def test_dashboard_tells_a_new_person_to_connect_first(charlie, client):
    client.force_login(charlie)

    response = client.get(reverse("dashboard"))

    assert "Start here: connect your accounts" in _text(response)
    assert "Connect Spotify" in _text(response) and "Connect YouTube" in _text(response)


def test_dashboard_shows_connections_pairs_last_runs_quota_and_review_count(alice, alice_client):
    spotify, youtube = build.two_connected(alice)
    pair = build.pair(alice, build.playlist(spotify, "Road trip"))
    build.run(pair, status=Run.Status.PARTIAL, added=12, unmatched=2)
    ReviewItem.objects.create(
        user=alice, pair=pair, source=build.track(), target_platform="youtube"
    )

    text = _text(alice_client.get(reverse("dashboard")))

    assert "Connected" in text
    assert "Road trip" in text
    assert "Partial" in text and "+12" in text and "2 unmatched" in text
    assert "YouTube quota left today" in text and "10,000" in text
    assert "1 item waiting for review" in text
    assert "Sync all now" in text


def test_dashboard_offers_a_reconnect_button_for_a_connection_that_needs_it(alice, alice_client):
    build.connect(alice, "youtube", state="needs_reconnect", state_reason="refresh token revoked")

    text = _text(alice_client.get(reverse("dashboard")))

    assert "Needs reconnect" in text
    assert "Reconnect YouTube" in text
    assert "refresh token revoked" in text


@pytest.mark.parametrize("pairs", [2, 20])
def test_the_dashboard_costs_the_same_queries_with_two_or_twenty_pairs(
    alice, alice_client, django_assert_num_queries, pairs
):
    spotify, youtube = build.two_connected(alice)
    for n in range(pairs):
        pair = build.pair(alice, build.playlist(spotify, f"List {n}"))
        build.run(pair)
        build.run(pair, status=Run.Status.RUNNING, progress_total=10, progress_done=3)

    # user, connections, pairs, their last runs, quota, review count; plus the session
    # itself where sessions live in the database (no Redis).
    from django.conf import settings

    session = 1 if settings.SESSION_ENGINE.endswith(".db") else 0
    with django_assert_num_queries(6 + session):
        response = alice_client.get(reverse("dashboard"))

    assert "List 1" in _text(response)


def test_the_dashboard_polls_only_while_something_is_running(alice, alice_client):
    spotify, _ = build.two_connected(alice)
    pair = build.pair(alice, build.playlist(spotify))
    run = build.run(pair)

    assert 'hx-trigger="every 3s"' not in _text(alice_client.get(reverse("dashboard")))
    Run.objects.filter(pk=run.pk).update(status=Run.Status.RUNNING)
    assert 'hx-trigger="every 3s"' in _text(alice_client.get(reverse("dashboard")))
    # A run waiting for tomorrow's quota changes only when it resumes.
    Run.objects.filter(pk=run.pk).update(status=Run.Status.WAITING)
    waiting = _text(alice_client.get(reverse("dashboard")))
    assert 'hx-trigger="every 30s"' in waiting and "every 3s" not in waiting


def test_sync_now_queues_a_run_and_shows_it(alice, alice_client):
    spotify, _ = build.two_connected(alice)
    pair = build.pair(alice, build.playlist(spotify, "Road trip"))

    response = alice_client.post(reverse("syncing:pair_run", args=[pair.pk]), follow=True)

    run = Run.objects.get(pair=pair)
    assert run.status == Run.Status.QUEUED and run.trigger == Run.Trigger.MANUAL
    assert response.redirect_chain[-1][0] == reverse("syncing:run", args=[run.pk])
    assert "Sync started" in _text(response)


def test_sync_now_on_a_running_pair_joins_the_run_in_progress(alice, alice_client):
    spotify, _ = build.two_connected(alice)
    pair = build.pair(alice, build.playlist(spotify))
    active = build.run(pair, status=Run.Status.RUNNING)

    response = alice_client.post(reverse("syncing:pair_run", args=[pair.pk]), follow=True)

    assert Run.objects.filter(pair=pair).count() == 1
    assert response.redirect_chain[-1][0] == reverse("syncing:run", args=[active.pk])
    assert "already syncing" in _text(response)


def test_sync_all_starts_a_run_for_every_enabled_pair(alice, alice_client):
    spotify, _ = build.two_connected(alice)
    build.pair(alice, build.playlist(spotify, "One"))
    build.pair(alice, build.playlist(spotify, "Two"))
    build.pair(alice, build.playlist(spotify, "Off"), enabled=False)

    response = alice_client.post(reverse("syncing:runs_start_all"), follow=True)

    assert Run.objects.filter(user=alice).count() == 2
    assert "Started 2 sync runs" in _text(response)


def test_sync_now_is_refused_while_a_platform_is_disconnected(alice, alice_client):
    spotify, _ = build.two_connected(alice)
    pair = build.pair(alice, build.playlist(spotify, "One"))
    Connection.objects.filter(pk=spotify.pk).update(state=Connection.State.DISCONNECTED)

    response = alice_client.post(reverse("syncing:pair_run", args=[pair.pk]), follow=True)

    assert not Run.objects.exists()
    assert "Spotify is not connected: connect it on the dashboard, then sync." in _text(response)


def test_sync_all_says_which_pairs_it_could_not_start(alice, alice_client):
    spotify, youtube = build.two_connected(alice)
    build.pair(alice, build.playlist(spotify, "One"))
    build.pair(alice, build.playlist(youtube, "Two"))
    Connection.objects.filter(pk=youtube.pk).update(state=Connection.State.NEEDS_RECONNECT)

    response = alice_client.post(reverse("syncing:runs_start_all"), follow=True)

    assert not Run.objects.exists()
    text = _text(response)
    assert text.count("YouTube needs to be reconnected: do that on the dashboard") == 2
    assert "Started" not in text


def test_too_many_sync_triggers_get_a_429(alice, alice_client, settings):
    settings.MUSICSYNC_RATE_LIMITS = {**settings.MUSICSYNC_RATE_LIMITS, "sync-trigger": "2/h"}
    spotify, _ = build.two_connected(alice)
    pair = build.pair(alice, build.playlist(spotify))
    url = reverse("syncing:pair_run", args=[pair.pk])

    statuses = [alice_client.post(url).status_code for _ in range(3)]

    assert statuses == [302, 302, 429]


# --- Pair set-up ---------------------------------------------------------------------


def _pair_form(source, target="new", **extra):
    data = {
        "source": source.pk,
        "target": target,
        "target_name": "",
        "mode": "mirror",
        "schedule": "manual",
        "enabled": "on",
    }
    data.update(extra)
    return data


def test_a_new_playlist_name_longer_than_youtube_allows_is_refused(alice, alice_client):
    spotify, _ = build.two_connected(alice)
    source = build.playlist(spotify, "Road trip")

    response = alice_client.post(
        reverse("syncing:pair_new"), _pair_form(source, target_name="a" * 151)
    )

    assert response.status_code == 400
    assert "A YouTube playlist name can be at most 150 characters; this one has 151." in _text(
        response
    )
    assert not SyncPair.objects.exists()


def test_a_followed_playlist_whose_songs_spotify_refuses_cannot_be_the_source(alice, alice_client):
    spotify, _ = build.two_connected(alice)
    followed = build.playlist(spotify, "Bob's Bangers", editable=False, items_readable=False)
    Collection.objects.filter(pk=followed.pk).update(item_count=40)  # the platform's count
    why = "Spotify does not let apps read the songs of a playlist you follow"

    form = alice_client.get(reverse("syncing:pair_new"))
    saved = alice_client.post(
        reverse("syncing:pair_new"), _pair_form(followed, mode="add_only", action="save_run")
    )
    preview = alice_client.post(
        reverse("syncing:pair_new"),
        _pair_form(followed, mode="add_only", action="preview"),
        headers={"HX-Request": "true"},
    )

    assert "Bob&#x27;s Bangers (40 songs, not readable by apps)" in _text(form)
    assert saved.status_code == 400 and why in _text(saved)
    assert "Fix these first" in _text(preview) and why in _text(preview)
    assert not SyncPair.objects.exists() and not Run.objects.exists()


def test_a_source_name_too_long_for_youtube_is_shortened_when_nobody_typed_a_name(
    alice, alice_client
):
    spotify, _ = build.two_connected(alice)
    source = build.playlist(spotify, "Road trip " * 30, platform_id="long")  # 300 characters

    alice_client.post(reverse("syncing:pair_new"), _pair_form(source, target_name=""))

    pair = SyncPair.objects.get()
    assert len(pair.target_name) == 150 and pair.target_name.endswith("…")


def test_a_second_pair_from_one_source_into_a_new_playlist_of_the_same_name_is_refused(
    alice, alice_client
):
    spotify, _ = build.two_connected(alice)
    source = build.playlist(spotify, "Road trip")
    alice_client.post(reverse("syncing:pair_new"), _pair_form(source, target_name=""))

    again = alice_client.post(reverse("syncing:pair_new"), _pair_form(source, target_name=""))
    other = alice_client.post(
        reverse("syncing:pair_new"), _pair_form(source, target_name="Road trip, copy")
    )

    assert again.status_code == 400
    assert "already copies this playlist into one named “Road trip”" in _text(again)
    assert other.status_code == 302
    assert SyncPair.objects.count() == 2


def test_a_new_playlist_name_of_invisible_characters_is_refused(alice, alice_client):
    spotify, _ = build.two_connected(alice)
    source = build.playlist(spotify, "Road trip")

    response = alice_client.post(
        reverse("syncing:pair_new"), _pair_form(source, target_name="\u200b\u200b\u2066")
    )

    assert response.status_code == 400
    assert "This name shows nothing (only invisible characters)" in _text(response)
    assert not SyncPair.objects.exists()


def test_the_preview_lists_a_name_too_long_for_the_target_instead_of_a_plan(alice, alice_client):
    spotify, _ = build.two_connected(alice)
    source = build.playlist(spotify, "Road trip")

    response = alice_client.post(
        reverse("syncing:pair_new"),
        _pair_form(source, target_name="a" * 151, action="preview"),
        headers={"HX-Request": "true"},
    )

    assert "Fix these first" in _text(response)
    assert "at most 150 characters" in _text(response)


def test_new_pair_form_explains_each_mode(alice, alice_client):
    spotify, _ = build.two_connected(alice)
    build.playlist(spotify, "Road trip")

    text = _text(alice_client.get(reverse("syncing:pair_new")))

    assert "Road trip" in text and "Create a new playlist" in text
    assert "nothing is ever removed" in text
    assert "The target follows the source" in text
    assert "either side reach the other side" in text


def test_new_pair_form_with_nothing_imported_sends_people_to_the_dashboard(charlie, client):
    client.force_login(charlie)

    text = _text(client.get(reverse("syncing:pair_new")))

    assert "There is nothing to sync yet" in text


def test_creating_a_pair_into_a_new_playlist_saves_it_and_shows_it(alice, alice_client):
    spotify, _ = build.two_connected(alice)
    source = build.playlist(spotify, "Road trip")

    response = alice_client.post(
        reverse("syncing:pair_new"), _pair_form(source, action="save"), follow=True
    )

    pair = SyncPair.objects.get(user=alice)
    assert pair.target is None and pair.target_name == "Road trip"
    assert pair.target_platform == "youtube" and pair.mode == "mirror"
    assert response.redirect_chain[-1][0] == reverse("syncing:pair", args=[pair.pk])
    assert "Sync pair created" in _text(response)


def test_save_and_sync_now_creates_the_pair_and_starts_a_run(alice, alice_client):
    spotify, youtube = build.two_connected(alice)
    source = build.playlist(spotify, "Road trip")
    target = build.playlist(youtube, "Existing")

    response = alice_client.post(
        reverse("syncing:pair_new"), _pair_form(source, target.pk, action="save_run")
    )

    run = Run.objects.get(pair__source=source)
    assert run.pair.target == target
    assert response["Location"] == reverse("syncing:run", args=[run.pk])


def test_a_target_on_the_same_platform_is_refused(alice, alice_client):
    spotify, _ = build.two_connected(alice)
    source = build.playlist(spotify, "Road trip")
    other = build.playlist(spotify, "Also Spotify")

    response = alice_client.post(
        reverse("syncing:pair_new"), _pair_form(source, other.pk, action="save")
    )

    assert response.status_code == 400
    assert "The target must be on YouTube" in _text(response)
    assert not SyncPair.objects.exists()


def test_bob_cannot_pair_alices_playlist(alice, bob, client):
    source = build.playlist(build.connect(alice), "Road trip")
    build.two_connected(bob)
    client.force_login(bob)

    response = client.post(reverse("syncing:pair_new"), _pair_form(source, action="save"))

    assert response.status_code == 400
    assert not SyncPair.objects.exists()


def test_the_dry_run_preview_shows_counts_and_first_items_before_saving(alice, alice_client):
    spotify, _ = build.two_connected(alice)
    source = build.playlist(spotify, "Road trip", items=3)

    response = alice_client.post(reverse("syncing:pair_new"), _pair_form(source, action="preview"))

    text = _text(response)
    assert response.status_code == 200
    assert "Dry-run preview" in text
    assert "Song 0" in text
    assert not SyncPair.objects.exists()


def test_an_htmx_preview_returns_only_the_preview_fragment(alice, alice_client):
    spotify, _ = build.two_connected(alice)
    source = build.playlist(spotify, "Road trip", items=2)

    response = alice_client.post(
        reverse("syncing:pair_new"),
        _pair_form(source, action="preview"),
        headers={"HX-Request": "true"},
    )

    text = _text(response)
    assert text.lstrip().startswith('<section id="preview"')
    assert "Song 1" in text


def test_an_htmx_preview_of_an_incomplete_form_lists_what_to_fix(alice, alice_client):
    build.two_connected(alice)

    response = alice_client.post(
        reverse("syncing:pair_new"),
        {"action": "preview", "mode": "mirror", "schedule": "manual"},
        headers={"HX-Request": "true"},
    )

    assert response.status_code == 200
    assert "Fix these first" in _text(response)
    assert "This field is required" in _text(response)
    assert "Choose one of your playlists" not in _text(response)  # one error per field


def test_the_pair_page_says_a_run_whose_time_has_passed_is_due_now(alice, alice_client):
    from datetime import timedelta

    from django.utils import timezone

    spotify, _ = build.two_connected(alice)
    pair = build.pair(alice, build.playlist(spotify), schedule="hourly")
    SyncPair.objects.filter(pk=pair.pk).update(next_run_at=timezone.now() - timedelta(minutes=2))

    page = _text(alice_client.get(reverse("syncing:pair", args=[pair.pk])))

    assert "next run due now: it starts within a minute" in page and "ago" not in page


def test_the_pair_page_says_when_a_disconnected_platform_stops_the_pair(alice, alice_client):
    spotify, _ = build.two_connected(alice)
    pair = build.pair(alice, build.playlist(spotify), schedule="hourly")
    url = reverse("syncing:pair", args=[pair.pk])
    assert "can't sync now" not in _text(alice_client.get(url))

    Connection.objects.filter(pk=spotify.pk).update(state="disconnected")

    page = _text(alice_client.get(url))
    assert "This pair can't sync now. Spotify is not connected" in page
    assert "Its scheduled runs wait for that." in page


def test_editing_a_pair_changes_its_mode_and_schedule(alice, alice_client):
    spotify, _ = build.two_connected(alice)
    pair = build.pair(alice, build.playlist(spotify))

    response = alice_client.post(
        reverse("syncing:pair_edit", args=[pair.pk]),
        {"target_name": "Renamed", "mode": "two_way", "schedule": "daily", "enabled": "on"},
        follow=True,
    )

    pair.refresh_from_db()
    assert (pair.mode, pair.schedule, pair.target_name) == ("two_way", "daily", "Renamed")
    assert "settings are saved" in _text(response)


def test_the_pair_page_says_two_way_keeps_one_copy_even_with_keep_duplicates_ticked(
    alice, alice_client
):
    spotify, _ = build.two_connected(alice)
    one_way = build.pair(alice, build.playlist(spotify, "One"), keep_duplicates=True)
    two_way = build.pair(alice, build.playlist(spotify, "Two"), keep_duplicates=True)
    SyncPair.objects.filter(pk=two_way.pk).update(mode="two_way")

    assert "duplicates kept" in _text(alice_client.get(reverse("syncing:pair", args=[one_way.pk])))
    page = _text(alice_client.get(reverse("syncing:pair", args=[two_way.pk])))
    assert "one copy of each song" in page and "duplicates kept" not in page
    form = _text(alice_client.get(reverse("syncing:pair_edit", args=[two_way.pk])))
    assert "two way keeps one copy of each song" in form


def test_the_pair_form_refuses_keep_duplicates_on_a_two_way_pair_on_that_field(alice, alice_client):
    spotify, _ = build.two_connected(alice)
    source = build.playlist(spotify, "Road trip")

    response = alice_client.post(
        reverse("syncing:pair_new"), _pair_form(source, mode="two_way", keep_duplicates="on")
    )

    assert response.status_code == 400
    field = re.search(r'name="keep_duplicates".*?</div>', _text(response), re.S).group(0)
    assert "Keep duplicates applies to add-only and mirror pairs only" in field
    assert not SyncPair.objects.exists()


def test_a_two_way_pair_left_with_keep_duplicates_on_is_edited_without_it(alice, alice_client):
    spotify, _ = build.two_connected(alice)
    pair = build.pair(alice, build.playlist(spotify), keep_duplicates=True)
    SyncPair.objects.filter(pk=pair.pk).update(mode="two_way")
    url = reverse("syncing:pair_edit", args=[pair.pk])

    form = _text(alice_client.get(url))
    box = re.search(r'<input[^>]*name="keep_duplicates"[^>]*>', form).group(0)
    saved = alice_client.post(
        url, {"target_name": "Kept", "mode": "two_way", "schedule": "daily", "enabled": "on"},
        follow=True,
    )  # fmt: skip

    assert "checked" not in box, "the form shows two way keeping duplicates"
    assert "settings are saved" in _text(saved)
    pair.refresh_from_db()
    assert (pair.schedule, pair.keep_duplicates) == ("daily", False)


def test_editing_a_pair_with_a_target_playlist_saves_and_previews(alice, alice_client):
    spotify, youtube = build.two_connected(alice)
    pair = build.pair(alice, build.playlist(spotify), target=build.playlist(youtube, "Theirs"))
    url = reverse("syncing:pair_edit", args=[pair.pk])
    settings = {"mode": "two_way", "schedule": "daily", "enabled": "on"}

    page = alice_client.get(url)
    preview = alice_client.post(url, {**settings, "action": "preview"})
    saved = alice_client.post(url, settings, follow=True)

    assert "target_name" not in _text(page)
    assert preview.status_code == 200
    assert saved.status_code == 200
    pair.refresh_from_db()
    assert (pair.mode, pair.schedule, pair.target.name) == ("two_way", "daily", "Theirs")
    assert "settings are saved" in _text(saved)


def test_the_preview_of_a_pair_whose_source_spotify_refuses_to_read_says_why(alice, alice_client):
    spotify, _ = build.two_connected(alice)
    source = build.playlist(spotify, "Bob's Bangers", editable=False, items_readable=False)
    pair = build.pair(alice, source)  # made before the refusal was known

    preview = alice_client.post(
        reverse("syncing:pair_edit", args=[pair.pk]),
        {"mode": "add_only", "schedule": "manual", "enabled": "on", "action": "preview"},
        headers={"HX-Request": "true"},
    )

    assert "Fix these first" in _text(preview)
    assert "Spotify does not let apps read the songs of a playlist you follow" in _text(preview)
    assert "already in step" not in _text(preview)


def test_the_page_of_a_pair_whose_source_spotify_refuses_to_read_says_why(alice, alice_client):
    spotify, _ = build.two_connected(alice)
    source = build.playlist(spotify, "Bob's Bangers", editable=False, items_readable=False)
    pair = build.pair(alice, source)
    readable = build.pair(alice, build.playlist(spotify, "Road trip"))

    page = _text(alice_client.get(reverse("syncing:pair", args=[pair.pk])))
    other = _text(alice_client.get(reverse("syncing:pair", args=[readable.pk])))

    assert "The source playlist's songs could not be read: Spotify does not let" in page
    assert "could not be read" not in other


def test_deleting_a_pair_asks_first_and_says_what_goes_with_it(alice, alice_client):
    spotify, _ = build.two_connected(alice)
    pair = build.pair(alice, build.playlist(spotify))
    build.run(pair)
    build.run(pair)

    page = alice_client.get(reverse("syncing:pair", args=[pair.pk]))
    confirm = alice_client.get(reverse("syncing:pair_delete", args=[pair.pk]))

    assert reverse("syncing:pair_delete", args=[pair.pk]) in _text(page)
    assert "Delete this pair?" in _text(confirm)
    assert "its 2 runs and their change logs go with it" in _text(confirm)
    assert SyncPair.objects.filter(pk=pair.pk).exists()


def test_deleting_a_pair_removes_it_and_says_nothing_was_removed(alice, alice_client):
    spotify, _ = build.two_connected(alice)
    pair = build.pair(alice, build.playlist(spotify))

    response = alice_client.post(reverse("syncing:pair_delete", args=[pair.pk]), follow=True)

    assert not SyncPair.objects.exists()
    assert "Nothing was removed from your playlists" in _text(response)


def test_create_pairs_for_all_playlists(alice, alice_client):
    spotify, _ = build.two_connected(alice)
    build.playlist(spotify, "One")
    build.playlist(spotify, "Two")

    response = alice_client.post(
        reverse("syncing:pairs_create_all"),
        {
            "kind": "playlists",
            "source_platform": "spotify",
            "mode": "add_only",
            "schedule": "daily",
        },
        follow=True,
    )

    assert SyncPair.objects.filter(user=alice).count() == 2
    assert "Created 2 sync pairs" in _text(response)


# --- Run detail ----------------------------------------------------------------------


def _finished_run(alice):
    spotify, youtube = build.two_connected(alice)
    pair = build.pair(alice, build.playlist(spotify, "Road trip"))
    run = build.run(pair, added=1, unmatched=1, failed=1, planned=True)
    song, lost, broken = (build.track("spotify", n) for n in (1, 2, 3))
    video = build.track("youtube", 1, title="Song 1 (Official Video)")
    RunChange.objects.bulk_create(
        [
            RunChange(run=run, seq=1, action="add", item=song, counterpart=video,
                      confidence=0.91, outcome="applied"),
            RunChange(run=run, seq=2, action="unmatched", item=lost, outcome="skipped",
                      reason="no candidate above the threshold"),
            RunChange(run=run, seq=3, action="add", item=broken, outcome="failed",
                      error="YouTube said: video not found"),
        ]
    )  # fmt: skip
    return run


def test_run_detail_shows_the_change_log_with_reasons(alice, alice_client):
    run = _finished_run(alice)

    text = _text(alice_client.get(reverse("syncing:run", args=[run.pk])))

    assert "Succeeded" in text
    assert "Song 1 (Official Video)" in text and "91% sure" in text
    assert "no candidate above the threshold" in text
    assert "YouTube said: video not found" in text
    assert "Undo this run" in text
    assert "Retry failed items" in text
    assert 'hx-trigger="every 2s"' not in text


def test_a_run_page_says_it_was_undone_and_in_which_mode_it_ran(alice, alice_client):
    run = _finished_run(alice)
    Run.objects.filter(pk=run.pk).update(mode="mirror")
    undo = build.run(run.pair, undo_of=run, trigger=Run.Trigger.UNDO)

    text = _text(alice_client.get(reverse("syncing:run", args=[run.pk])))

    link = reverse("syncing:run", args=[undo.pk])
    assert f'Undone by <a href="{link}">run #{undo.pk}</a>' in text
    assert "Ran as mirror for this run only; the pair is add only." in text


def test_a_run_page_offers_to_carry_out_the_removals_it_held_back(alice, alice_client):
    run = _finished_run(alice)
    songs = [build.track("youtube", 10 + n) for n in range(12)]
    RunChange.objects.bulk_create(
        RunChange(run=run, seq=10 + n, action="remove", counterpart=song, outcome="skipped",
                  reason="held back: this run would remove 12 of the 13 songs in the target")
        for n, song in enumerate(songs)
    )  # fmt: skip
    page = _text(alice_client.get(reverse("syncing:run", args=[run.pk])))
    response = alice_client.post(reverse("syncing:run_confirm_removals", args=[run.pk]))

    assert "12 removals were held back" in page and "Remove them (12)" in page
    again = Run.objects.exclude(pk=run.pk).get()
    assert again.confirm_removals and again.pair_id == run.pair_id
    assert response.url == reverse("syncing:run", args=[again.pk])


def test_removals_held_back_by_an_older_run_are_confirmed_on_the_newest_one(alice, alice_client):
    run = _finished_run(alice)
    RunChange.objects.create(
        run=run, seq=10, action="remove", counterpart=build.track("youtube", 10),
        outcome="skipped", reason="held back: this run would remove 12 of the 13 songs",
    )  # fmt: skip
    later = build.run(run.pair, planned=True)

    page = _text(alice_client.get(reverse("syncing:run", args=[run.pk])))
    response = alice_client.post(
        reverse("syncing:run_confirm_removals", args=[run.pk]), follow=True
    )

    link = reverse("syncing:run", args=[later.pk])
    assert f'Run <a href="{link}">#{later.pk}</a> came after this one' in page
    assert "Remove them" not in page
    assert f"Run #{later.pk} of this pair came after this one" in _text(response)
    assert not Run.objects.exclude(pk__in=[run.pk, later.pk]).exists()


def test_confirming_removals_of_a_run_that_held_none_back_starts_nothing(alice, alice_client):
    run = _finished_run(alice)

    response = alice_client.post(
        reverse("syncing:run_confirm_removals", args=[run.pk]), follow=True
    )

    assert "This run held back no removals, so there is nothing to confirm." in _text(response)
    assert not Run.objects.exclude(pk=run.pk).exists()


def test_run_detail_filters_the_change_log(alice, alice_client):
    run = _finished_run(alice)
    url = reverse("syncing:run", args=[run.pk])

    unmatched = _text(alice_client.get(url, {"action": "unmatched"}))
    failed = _text(alice_client.get(url, {"outcome": "failed"}))

    assert "Song 2" in unmatched and "Song 1 (Official Video)" not in unmatched
    assert "video not found" in failed and "Song 2<" not in failed


def test_a_running_run_polls_its_progress_and_stops_when_it_ends(alice, alice_client):
    spotify, _ = build.two_connected(alice)
    pair = build.pair(alice, build.playlist(spotify))
    run = build.run(
        pair, status=Run.Status.RUNNING, progress_done=30, progress_total=120,
        progress_label="Adding songs",
    )  # fmt: skip
    url = reverse("syncing:run", args=[run.pk])
    poll = {"HX-Request": "true", "HX-Target": "run-body"}

    running = _text(alice_client.get(url, headers=poll))
    Run.objects.filter(pk=run.pk).update(status=Run.Status.WAITING)
    waiting = _text(alice_client.get(url, headers=poll))
    Run.objects.filter(pk=run.pk).update(status=Run.Status.SUCCEEDED)
    ended = _text(alice_client.get(url, headers=poll))

    assert 'hx-trigger="every 2s"' in running and "25%" in running and "Adding songs" in running
    assert 'hx-trigger="every 30s"' in waiting
    assert "Cancel run" in running
    assert "<html" not in running
    assert 'hx-trigger="every 2s"' not in ended
    assert "changed nothing" in ended


def test_a_waiting_run_says_why_and_when_it_resumes(alice, alice_client):
    from datetime import timedelta

    from django.utils import timezone

    spotify, _ = build.two_connected(alice)
    pair = build.pair(alice, build.playlist(spotify))
    run = build.run(
        pair, status=Run.Status.WAITING, wait_reason=Run.WaitReason.QUOTA,
        resume_at=timezone.now() + timedelta(hours=3),
    )  # fmt: skip

    text = _text(alice_client.get(reverse("syncing:run", args=[run.pk])))

    assert "Waiting for YouTube quota" in text and "resumes by itself" in text


def test_the_dashboard_runs_pairs_and_pair_pages_say_when_a_waiting_pair_resumes(
    alice, alice_client, settings
):
    from datetime import UTC, timedelta

    from django.utils import timezone

    settings.TIME_ZONE = "UTC"
    spotify, _ = build.two_connected(alice)
    pair = build.pair(alice, build.playlist(spotify), schedule="daily")
    resume = timezone.now() + timedelta(hours=23)
    run = build.run(
        pair, status=Run.Status.WAITING, wait_reason=Run.WaitReason.QUOTA, resume_at=resume
    )
    at = resume.astimezone(UTC).strftime("%H:%M")

    dashboard = _text(alice_client.get(reverse("dashboard")))
    runs = _text(alice_client.get(reverse("syncing:runs")))
    pairs = _text(alice_client.get(reverse("syncing:pairs")))
    detail = _text(alice_client.get(reverse("syncing:pair", args=[pair.pk])))

    for page in (dashboard, runs, pairs, detail):
        page = page.replace("\xa0", " ")  # humanize joins "22 hours" with a no-break space
        assert f"for YouTube quota; resumes 22 hours from now ({at} UTC)" in page
    assert f">#{run.pk}</a> is waiting" in detail and "next run" not in detail


def test_a_run_waiting_for_a_reconnect_or_overdue_says_so_without_a_far_off_date(
    alice, alice_client
):
    from datetime import timedelta

    from django.utils import timezone

    spotify, _ = build.two_connected(alice)
    pair = build.pair(alice, build.playlist(spotify))
    reconnect = build.run(
        pair, status=Run.Status.WAITING, wait_reason=Run.WaitReason.RECONNECT,
        resume_at=timezone.now() + timedelta(days=365),
    )  # fmt: skip
    overdue = build.run(
        build.pair(alice, build.playlist(spotify, "Other")), status=Run.Status.WAITING,
        wait_reason=Run.WaitReason.QUOTA, resume_at=timezone.now() - timedelta(seconds=24),
    )  # fmt: skip

    waiting = _text(alice_client.get(reverse("syncing:run", args=[reconnect.pk])))
    late = _text(alice_client.get(reverse("syncing:run", args=[overdue.pk])))

    assert "it carries on by itself once you reconnect" in waiting
    assert "from now" not in waiting and "resumes by itself" not in waiting
    assert "it resumes within a minute" in late and "ago" not in late.split("Waiting for")[1]


def test_a_finished_run_is_at_100_percent_whatever_its_counter_reached(alice):
    spotify, _ = build.two_connected(alice)
    run = build.run(build.pair(alice, build.playlist(spotify)), progress_done=25, progress_total=29)

    assert run.progress_percent == 100


def test_cancel_stops_an_active_run(alice, alice_client):
    spotify, _ = build.two_connected(alice)
    run = build.run(build.pair(alice, build.playlist(spotify)), status=Run.Status.RUNNING)

    response = alice_client.post(reverse("syncing:run_cancel", args=[run.pk]), follow=True)

    run.refresh_from_db()
    assert run.status == Run.Status.CANCELLED
    assert "Run cancelled" in _text(response)


def test_undo_queues_a_run_that_reverses_the_last_one(alice, alice_client):
    run = _finished_run(alice)

    response = alice_client.post(reverse("syncing:run_undo", args=[run.pk]), follow=True)

    undo = Run.objects.get(undo_of=run)
    assert undo.trigger == Run.Trigger.UNDO
    assert response.redirect_chain[-1][0] == reverse("syncing:run", args=[undo.pk])
    assert "Undo started" in _text(response)


def test_undo_of_an_older_run_is_refused_with_a_message(alice, alice_client):
    run = _finished_run(alice)
    build.run(run.pair, added=2)

    response = alice_client.post(reverse("syncing:run_undo", args=[run.pk]), follow=True)

    assert not Run.objects.filter(undo_of=run).exists()
    assert "Only the last run" in _text(response)


def test_a_later_run_that_changed_nothing_keeps_the_undo(alice, alice_client):
    run = _finished_run(alice)
    build.run(run.pair)  # a scheduled run with nothing to do

    page = _text(alice_client.get(reverse("syncing:run", args=[run.pk])))
    response = alice_client.post(reverse("syncing:run_undo", args=[run.pk]), follow=True)

    assert "Undo this run" in page
    assert Run.objects.filter(undo_of=run).exists()
    assert "Undo started" in _text(response)


def test_retry_failed_items_queues_a_retry_run(alice, alice_client):
    run = _finished_run(alice)

    response = alice_client.post(reverse("syncing:run_retry", args=[run.pk]), follow=True)

    assert Run.objects.filter(retry_of=run, trigger=Run.Trigger.RETRY).exists()
    assert "Retrying the failed items" in _text(response)


def test_run_list_filters_by_status_and_platform(alice, alice_client):
    spotify, youtube = build.two_connected(alice)
    to_youtube = build.pair(alice, build.playlist(spotify, "Road trip"))
    to_spotify = build.pair(alice, build.playlist(youtube, "Gym videos"))
    build.run(to_youtube, status=Run.Status.FAILED)
    build.run(to_spotify, status=Run.Status.SUCCEEDED)

    failed = _text(alice_client.get(reverse("syncing:runs"), {"status": "failed"}))
    spotify_bound = _text(alice_client.get(reverse("syncing:runs"), {"platform": "spotify"}))

    assert "Road trip" in failed and "Gym videos" not in failed
    assert "Gym videos" in spotify_bound and "Road trip" not in spotify_bound


# --- Review queue --------------------------------------------------------------------


def _review_item(alice):
    spotify, youtube = build.two_connected(alice)
    pair = build.pair(alice, build.playlist(spotify, "Road trip"))
    source = build.track("spotify", 1, title="Hallelujah", artists=["Jeff Buckley"])
    good = build.track("youtube", 2, title="Jeff Buckley - Hallelujah", channel="JeffBuckleyVEVO")
    cover = build.track("youtube", 3, title="Hallelujah (cover)", channel="Some Cover Band")
    return ReviewItem.objects.create(
        user=alice, pair=pair, source=source, target_platform="youtube", best_confidence=0.66,
        candidates=[
            {"track": good.pk, "confidence": 0.66, "reasons": ["title matches", "VEVO channel"]},
            {"track": cover.pk, "confidence": 0.21, "reasons": ["cover version"]},
        ],
    )  # fmt: skip


def test_review_queue_shows_candidates_with_confidence_and_why(alice, alice_client):
    _review_item(alice)

    text = _text(alice_client.get(reverse("syncing:review")))

    assert "Hallelujah" in text and "Jeff Buckley" in text
    assert "Jeff Buckley - Hallelujah" in text and "JeffBuckleyVEVO" in text
    assert "66% sure" in text and "title matches; VEVO channel" in text
    assert "Never match" in text and "paste a YouTube link" in text


def test_review_candidates_that_look_the_same_show_their_album_and_id(alice, alice_client):
    spotify, _ = build.two_connected(alice)
    pair = build.pair(alice, build.playlist(spotify), target_platform="spotify")
    video = build.track("youtube", 1, title="Nadia Voss - Lanterns", channel="Nadia Voss")
    twins = [
        build.track("spotify", n, title="Lanterns", artists=["Nadia Voss"], album="Lanterns",
                    duration_ms=201_000)
        for n in (2, 3)
    ]  # fmt: skip
    other = build.track("spotify", 4, title="Lanterns", artists=["Nadia Voss"], album="Live 2024")
    ReviewItem.objects.create(
        user=alice, pair=pair, source=video, target_platform="spotify", best_confidence=0.7,
        candidates=[{"track": t.pk, "confidence": 0.7, "reasons": []} for t in [*twins, other]],
    )  # fmt: skip

    text = _text(alice_client.get(reverse("syncing:review")))

    assert "Live 2024" in text
    assert all(f"<code>{t.platform_id}</code>" in text for t in twins)
    assert f"<code>{other.platform_id}</code>" not in text


def test_picking_a_candidate_resolves_the_item_and_remembers_the_choice(alice, alice_client):
    item = _review_item(alice)
    chosen = item.candidates[0]["track"]

    response = alice_client.post(
        reverse("syncing:review_pick", args=[item.pk]), {"track_id": chosen}, follow=True
    )

    item.refresh_from_db()
    assert item.status == ReviewItem.Status.RESOLVED
    assert MatchChoice.objects.get(user=alice, source=item.source).target_id == chosen
    assert "Matched “Hallelujah”" in _text(response)


def test_an_htmx_pick_replaces_the_card_with_a_confirmation(alice, alice_client):
    item = _review_item(alice)

    response = alice_client.post(
        reverse("syncing:review_pick", args=[item.pk]),
        {"track_id": item.candidates[0]["track"]},
        headers={"HX-Request": "true"},
    )

    assert f'id="review-{item.pk}"' in _text(response) and "Matched" in _text(response)
    assert "<html" not in _text(response)


def test_pasting_a_link_of_the_wrong_platform_is_refused(alice, alice_client):
    item = _review_item(alice)

    response = alice_client.post(
        reverse("syncing:review_pick_url", args=[item.pk]),
        {"url": "https://open.spotify.com/track/4uLU6hMCjMI75M1A2tKUQC"},
        follow=True,
    )

    item.refresh_from_db()
    assert item.status == ReviewItem.Status.OPEN
    assert "needs a YouTube link" in _text(response)


@pytest.mark.parametrize(
    "url, says",
    [
        ("https://open.spotify.com/album/1ATL5GLyefJaxhQzSPVrLX", "That is a Spotify album link"),
        ("https://open.spotify.com/track/4uLU6hMC", "That Spotify song link is cut short"),
        ("spotify:playlist:37i9dQZF1DXcBWIGoYBM5M", "That is a Spotify playlist link"),
        ("spotify:track:4uLU6hMC", "That Spotify song link is cut short"),
        ("https://www.youtube.com/playlist?list=PLx0sYbCqOb8TBPRdmBHs5Iftvv9TPboYG",
         "That is a YouTube playlist link"),
        ("https://www.youtube.com/watch?v=dQw4", "That YouTube link names no video"),
        ("hello", "Paste a Spotify song link or a YouTube video link"),
    ],
)  # fmt: skip
def test_a_link_that_cannot_be_used_says_what_is_wrong_with_it(alice, alice_client, url, says):
    item = _review_item(alice)

    response = alice_client.post(
        reverse("syncing:review_pick_url", args=[item.pk]), {"url": url}, follow=True
    )

    item.refresh_from_db()
    assert item.status == ReviewItem.Status.OPEN
    assert says in _text(response)


def test_pasting_a_link_to_a_known_video_resolves_the_item(alice, alice_client):
    item = _review_item(alice)
    known = build.track("youtube", 9, title="The right one")
    known.platform_id = "dQw4w9WgXcQ"
    known.save()

    alice_client.post(
        reverse("syncing:review_pick_url", args=[item.pk]),
        {"url": "https://www.youtube.com/watch?v=dQw4w9WgXcQ"},
    )

    item.refresh_from_db()
    assert item.status == ReviewItem.Status.RESOLVED and item.chosen == known


def test_never_match_resolves_the_item(alice, alice_client):
    item = _review_item(alice)

    response = alice_client.post(reverse("syncing:review_never", args=[item.pk]), follow=True)

    item.refresh_from_db()
    assert item.status == ReviewItem.Status.NEVER
    assert "will never be matched" in _text(response)


def test_accepting_suggestions_in_bulk(alice, alice_client):
    _review_item(alice)

    response = alice_client.post(reverse("syncing:review_accept"), follow=True)

    assert not ReviewItem.objects.filter(status=ReviewItem.Status.OPEN).exists()
    assert "Accepted 1 suggestion. The next sync uses them" in _text(response)


def test_an_empty_review_queue_says_so(alice, alice_client):
    assert "Nothing to review" in _text(alice_client.get(reverse("syncing:review")))


# --- Other people's things, and hostile names -----------------------------------------


def test_bob_gets_404_for_alices_pair_run_and_review_item(alice, bob, client):
    run = _finished_run(alice)
    item = ReviewItem.objects.create(
        user=alice, pair=run.pair, source=build.track("spotify", 50), target_platform="youtube"
    )
    client.force_login(bob)

    gets = [
        reverse("syncing:pair", args=[run.pair.pk]),
        reverse("syncing:pair_edit", args=[run.pair.pk]),
        reverse("syncing:run", args=[run.pk]),
    ]
    posts = [
        reverse("syncing:pair_run", args=[run.pair.pk]),
        reverse("syncing:pair_delete", args=[run.pair.pk]),
        reverse("syncing:run_cancel", args=[run.pk]),
        reverse("syncing:run_undo", args=[run.pk]),
        reverse("syncing:run_retry", args=[run.pk]),
        reverse("syncing:review_pick", args=[item.pk]),
        reverse("syncing:review_never", args=[item.pk]),
        reverse("syncing:review_pick_url", args=[item.pk]),
    ]
    assert [client.get(url).status_code for url in gets] == [404] * len(gets)
    assert [client.post(url).status_code for url in posts] == [404] * len(posts)
    assert SyncPair.objects.filter(pk=run.pair.pk).exists()
    assert not Run.objects.filter(undo_of=run).exists()


def test_the_404_page_is_in_the_layout(alice_client):
    response = alice_client.get("/sync/runs/999999/")

    assert response.status_code == 404
    assert "That page is not here" in _text(response)


def test_names_with_markup_are_escaped_on_every_sync_page(alice, alice_client):
    spotify, _ = build.two_connected(alice)
    source = build.playlist(spotify, XSS_NAME)
    pair = build.pair(alice, source, target_name=XSS_NAME)
    evil = build.track("spotify", 66, title=XSS_NAME, artists=[XSS_NAME])
    CollectionItem.objects.create(collection=source, position=0, track=evil)
    run = build.run(pair, added=1, error=XSS_NAME)
    RunChange.objects.create(run=run, seq=1, action="add", item=evil, reason=XSS_NAME)
    ReviewItem.objects.create(
        user=alice, pair=pair, source=evil, target_platform="youtube",
        candidates=[{"track": evil.pk, "confidence": 0.5, "reasons": [XSS_NAME]}],
    )  # fmt: skip

    pages = [
        reverse("dashboard"),
        reverse("syncing:pairs"),
        reverse("syncing:pair", args=[pair.pk]),
        reverse("syncing:pair_new"),
        reverse("syncing:pair_edit", args=[pair.pk]),
        reverse("syncing:runs"),
        reverse("syncing:run", args=[run.pk]),
        reverse("syncing:review"),
    ]
    for url in pages:
        text = _text(alice_client.get(url))
        assert "<script>alert(1)</script>" not in text, url
        assert "<img src=x" not in text, url
    preview = _text(
        alice_client.post(reverse("syncing:pair_new"), _pair_form(source, action="preview"))
    )
    assert "<script>alert(1)</script>" not in preview
    assert "&lt;script&gt;" in preview


def test_sync_pages_need_a_login(client):
    for url in [reverse("syncing:pairs"), reverse("syncing:review"), reverse("dashboard")]:
        assert client.get(url).status_code == 302


# --- Schedules -----------------------------------------------------------------------


def test_settings_count_the_scheduled_pairs_and_lead_to_their_schedules(alice, alice_client):
    spotify, _ = build.two_connected(alice)
    build.pair(alice, build.playlist(spotify, "Road trip"), schedule="hourly")
    build.pair(alice, build.playlist(spotify, "Quiet evenings"))

    page = _text(alice_client.get(reverse("settings")))

    assert "1 of your 2 pairs syncs by itself." in page
    assert reverse("syncing:schedules") in page
    SyncPair.objects.filter(user=alice).update(schedule="manual")
    assert "Your 2 pairs sync only when you press Sync." in _text(
        alice_client.get(reverse("settings"))
    )


def test_schedules_of_several_pairs_change_together(alice, alice_client, bob):
    spotify, _ = build.two_connected(alice)
    road = build.pair(alice, build.playlist(spotify, "Road trip"))
    quiet = build.pair(alice, build.playlist(spotify, "Quiet evenings"), schedule="daily")
    theirs = build.pair(bob, build.playlist(build.connect(bob), "Bob's"), schedule="daily")

    page = _text(alice_client.get(reverse("syncing:schedules")))
    response = alice_client.post(
        reverse("syncing:schedules"),
        {f"schedule-{road.pk}": "hourly", f"schedule-{quiet.pk}": "manual",
         f"schedule-{theirs.pk}": "hourly"},
    )  # fmt: skip

    assert "Road trip" in page and "Quiet evenings" in page and "Bob&#x27;s" not in page
    assert response.status_code == 302
    road.refresh_from_db(), quiet.refresh_from_db(), theirs.refresh_from_db()
    assert (road.schedule, quiet.schedule, theirs.schedule) == ("hourly", "manual", "daily")
    assert road.next_run_at is not None and quiet.next_run_at is None
    after = _text(alice_client.get(reverse("syncing:schedules")))
    assert "2 schedules changed." in after


def test_a_schedule_that_is_not_offered_is_refused_and_nothing_changes(alice, alice_client):
    spotify, _ = build.two_connected(alice)
    road = build.pair(alice, build.playlist(spotify, "Road trip"))
    quiet = build.pair(alice, build.playlist(spotify, "Quiet evenings"))

    response = alice_client.post(
        reverse("syncing:schedules"),
        {f"schedule-{road.pk}": "every-minute", f"schedule-{quiet.pk}": "daily"},
    )

    assert response.status_code == 400
    assert "Choose one of the schedules listed." in _text(response)
    road.refresh_from_db(), quiet.refresh_from_db()
    assert (road.schedule, quiet.schedule) == ("manual", "manual")
    assert '<option value="daily" selected>' in _text(response)  # the choice is kept
