"""`manage.py sync_user` and the scheduler."""

from __future__ import annotations

from datetime import timedelta
from io import StringIO

import pytest
from django.core.management import CommandError, call_command
from django.utils import timezone

from platforms.clients import client_for
from platforms.models import Collection, Connection
from platforms.services import library_import
from platforms.types import PlaylistEntry
from syncing.models import Run, SyncPair
from syncing.services.pairs import pair_create
from syncing.services.schedule import schedule_tick
from syncing.tests.sandbox_views import youtube_playlist_ids


@pytest.fixture
def pair(alice_connected):
    library_import(connection_id=alice_connected.spotify.pk)
    source = (
        Collection.objects.filter(
            connection=alice_connected.spotify, kind="playlist", editable=True, item_count__gte=5
        )
        .order_by("item_count")
        .first()
    )
    return pair_create(
        user=alice_connected,
        source=source,
        target=None,
        target_platform="youtube",
        target_name="From the command line",
        mode="add_only",
    )


class Terminal(StringIO):
    def isatty(self) -> bool:
        return True


def test_sync_user_runs_in_the_foreground_and_prints_the_summary(pair, platform_settings):
    out = Terminal()
    call_command("sync_user", "alice@example.com", stdout=out)
    text = out.getvalue()
    run = Run.objects.get(pair=pair)
    assert run.trigger == "command" and run.status in ("succeeded", "partial")
    assert f"added {run.added}" in text and "unmatched" in text
    assert "\r  [" in text and "]" in text  # the progress bar, redrawn in place
    assert (run.progress_done, run.progress_total) == (run.added, run.added)  # all of it
    pair.refresh_from_db()
    assert len(youtube_playlist_ids(platform_settings, pair.target.platform_id)) == run.added


def test_sync_user_writes_a_line_per_step_to_a_log_file(pair, platform_settings):
    out = StringIO()  # not a terminal: a file or a pipe
    call_command("sync_user", "alice@example.com", stdout=out)
    text = out.getvalue()
    run = Run.objects.get(pair=pair)

    assert "\r" not in text and "[#" not in text
    assert f"  Adding {run.added} of {run.added} ({run.added - 1}/{run.added})" in text.splitlines()
    assert f"added {run.added}" in text


def test_sync_user_dry_run_writes_nothing(pair, platform_settings):
    out = StringIO()
    call_command("sync_user", "alice@example.com", "--pair", str(pair.pk), "--dry-run", stdout=out)
    assert "would add" in out.getvalue() and "would remove 0" in out.getvalue()
    pair.refresh_from_db()
    assert pair.target is None


def test_sync_user_mode_is_for_that_run_only(pair, platform_settings):
    call_command("sync_user", "alice@example.com", "--pair", str(pair.pk), stdout=StringIO())
    first = Run.objects.get(pair=pair)
    change = first.changes.filter(action="add").select_related("item").first()
    spotify = client_for(Connection.objects.get(user=pair.user, platform="spotify"))
    spotify.remove_items(pair.source.platform_id, [PlaylistEntry(0, change.item.to_info())])
    args = ["sync_user", "alice@example.com", "--pair", str(pair.pk), "--mode", "mirror"]

    dry, real = StringIO(), StringIO()
    call_command(*args, "--dry-run", stdout=dry)
    call_command(*args, stdout=real)

    pair.refresh_from_db()
    assert pair.mode == "add_only"
    assert "as mirror, for this run only" in dry.getvalue() and "would remove 1" in dry.getvalue()
    assert "removed 1" in real.getvalue()  # a mirror's removal, which add only never makes
    assert change.counterpart.platform_id not in youtube_playlist_ids(
        platform_settings, pair.target.platform_id
    )
    assert list(pair.runs.order_by("pk").values_list("mode", flat=True)) == ["", "mirror", "mirror"]


def test_sync_user_says_why_it_did_not_start_a_disconnected_pair(pair, platform_settings):
    Connection.objects.filter(user=pair.user, platform="youtube").update(state="disconnected")
    out = StringIO()

    with pytest.raises(CommandError, match="1 not started"):
        call_command("sync_user", "alice@example.com", stdout=out)

    assert "not started: YouTube is not connected" in out.getvalue()
    assert not Run.objects.filter(pair=pair).exists()


def test_sync_user_says_clearly_when_the_person_does_not_exist(db):
    with pytest.raises(CommandError, match="No person"):
        call_command("sync_user", "nobody@example.com")


def test_two_schedulers_ticking_at_once_fire_a_due_pair_once(pair, monkeypatch):
    sent = []
    monkeypatch.setattr("syncing.tasks.execute_run.send", lambda run_id: sent.append(run_id))
    SyncPair.objects.filter(pk=pair.pk).update(
        schedule="hourly", next_run_at=timezone.now() - timedelta(minutes=1)
    )
    first = schedule_tick()
    second = schedule_tick()
    assert first["fired"] == 1 and second["fired"] == 0
    assert Run.objects.filter(pair=pair).count() == 1
    pair.refresh_from_db()
    assert pair.next_run_at > timezone.now() + timedelta(minutes=59)


def test_a_finished_scheduled_run_sets_the_next_run_with_its_jitter(
    pair, platform_settings, monkeypatch
):
    SyncPair.objects.filter(pk=pair.pk).update(schedule="hourly")
    monkeypatch.setattr("syncing.models.random.random", lambda: 1.0)  # the most jitter
    before = timezone.now()

    call_command("sync_user", "alice@example.com", "--pair", str(pair.pk), stdout=StringIO())

    pair.refresh_from_db()
    # An hour after the run, plus up to a tenth of it: pairs do not all fire together.
    assert (
        before + timedelta(minutes=66) <= pair.next_run_at <= timezone.now() + timedelta(minutes=66)
    )
