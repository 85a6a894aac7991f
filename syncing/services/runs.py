"""Runs: start, plan, apply, finish; and undo, cancel, retry, resume.

A run stores its whole plan (RunChange rows) before the first write and records each
change as it lands, so a killed worker or a message delivered twice resumes from the
plan: it re-reads what it writes to and applies only what is still missing.
"""

from __future__ import annotations

import logging
import os
import socket
import threading
from collections import Counter, defaultdict
from collections.abc import Callable
from contextlib import nullcontext
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from django.core.exceptions import ValidationError
from django.db import (
    DatabaseError,
    IntegrityError,
    InterfaceError,
    OperationalError,
    close_old_connections,
    transaction,
)
from django.db.models import Count, F
from django.db.models.functions import Coalesce
from django.utils import timezone

from platforms.clients import LIBRARY_BATCH, PLAYLIST_LIMIT, WRITE_BATCH, PlatformClient, client_for
from platforms.errors import PlatformError, QuotaExhausted
from platforms.models import Collection, CollectionItem, Connection, Track
from platforms.quota import next_quota_reset, quota_cost, quota_flush, quota_left_today
from platforms.services import (
    collection_mark_unreadable,
    collection_replace_items,
    liked_entries,
)
from platforms.types import Platform, PlaylistEntry
from syncing.models import ReviewItem, Run, RunChange, SyncedItem, SyncPair
from syncing.selectors import NEVER_MATCH
from syncing.services.order import moves_to_follow
from syncing.services.plan import (
    BACKWARD,
    FORWARD,
    HELD_BACK,
    MOVE_REASON,
    Entry,
    desired_order,
    entries_of,
    first_sources,
    follows_source_order,
    listed_ids,
    plan_changes,
)
from syncing.services.resolve import Resolution, Resolver

logger = logging.getLogger(__name__)

Action, Side, Outcome = RunChange.Action, RunChange.Side, RunChange.Outcome
WRITE_ACTIONS = (Action.ADD, Action.REMOVE, Action.MOVE)
# What an undo reverses and a resumed run looks for: a move is not undone (the order it
# left is the source's), and the next run works the moves out afresh anyway.
UNDOABLE = (Action.ADD, Action.REMOVE)
# How long a run steps aside when it used its fair share of today's YouTube quota.
TURN_DELAY = timedelta(seconds=5)
# Errors that say nothing about the request (5xx, network) are retried this many times.
MAX_TRANSIENT_ATTEMPTS = 6
WORKER_ID = f"{socket.gethostname()}:{os.getpid()}"
# Applied changes are recorded in groups of this many writes.
RECORD_EVERY = 50


class _Wait(Exception):
    def __init__(self, reason: str, resume_at: datetime, message: str = ""):
        super().__init__(message or reason)
        self.reason, self.resume_at, self.message = reason, resume_at, message


class _Cancelled(Exception):
    pass


class _Gone(Exception):
    """A collection of the pair can't be read any more: gone from its platform (a deleted
    playlist), or its items refused (a playlist the person only follows)."""


def _log_context(run_id: int):
    try:
        from musicsync.observability import log_context
    except ImportError:  # structured logging arrives with the operations work
        return nullcontext()
    return log_context(run_id=run_id)


def _metrics():
    try:
        from musicsync import metrics

        return metrics
    except ImportError:  # metrics arrive with the operations work
        return None


# --- starting and stopping -------------------------------------------------------------


def _enqueue(run_id: int, *, delay: timedelta | None = None) -> None:
    from syncing.tasks import execute_run

    def send() -> None:
        try:
            if delay:
                execute_run.send_with_options(
                    args=(run_id,), delay=int(delay.total_seconds() * 1000)
                )
            else:
                execute_run.send(run_id)
        except Exception:  # noqa: BLE001 - broker down: the run is stored; the rescue sends it
            logger.warning("could not enqueue run %s; the scheduler will resend it", run_id)

    transaction.on_commit(send)


def run_start(*, pair: SyncPair, trigger: str, dry_run: bool = False, **extra) -> Run:
    """Queues a run of the pair; if one is already active, returns that one instead.

    A person's request to sync a pair whose platform is not connected is refused
    (ValidationError) rather than left waiting; a scheduled run waits for the reconnect.
    """
    if trigger != Run.Trigger.SCHEDULE:
        from syncing.services.pairs import pair_sync_blocker

        if blocker := pair_sync_blocker(pair=pair):
            raise ValidationError(blocker)
    if not dry_run:
        active = pair.runs.filter(status__in=Run.ACTIVE, dry_run=False).first()
        if active is not None:
            return active
    try:
        with transaction.atomic():
            run = Run.objects.create(
                pair=pair, user_id=pair.user_id, trigger=trigger, dry_run=dry_run,
                progress_label="Queued", **extra,
            )  # fmt: skip
    except IntegrityError:  # another trigger won the race: join its run
        return pair.runs.filter(status__in=Run.ACTIVE, dry_run=False).first()
    _enqueue(run.pk)
    return run


def runs_start_all(*, user, trigger: str) -> tuple[list[Run], list[tuple[SyncPair, str]]]:
    """Starts every enabled pair that can sync; returns the runs and the pairs refused, why."""
    pairs = SyncPair.objects.filter(user=user, enabled=True).select_related("source__connection")
    runs, refused = [], []
    for pair in pairs:
        try:
            runs.append(run_start(pair=pair, trigger=trigger))
        except ValidationError as error:
            refused.append((pair, " ".join(error.messages)))
    return runs, refused


def run_cancel(*, run: Run) -> bool:
    cancelled = Run.objects.filter(pk=run.pk, status__in=Run.ACTIVE).update(
        status=Run.Status.CANCELLED, finished_at=timezone.now(), progress_label="Cancelled"
    )
    if cancelled:  # what it did before the cancel, as a finished run shows it
        Run.objects.filter(pk=run.pk).update(**_run_counts(run))
    return bool(cancelled)


def run_undo(*, run: Run) -> Run:
    """Reverses what ``run`` changed, if it is the pair's last finished run."""
    from syncing.selectors import run_last_finished

    if run.pair.runs.filter(status__in=Run.ACTIVE, dry_run=False).exists():
        raise ValidationError("A run of this pair is under way: undo when it has finished.")
    last = run_last_finished(pair=run.pair)
    if last is None or last.pk != run.pk:
        raise ValidationError("Only the last run of a pair can be undone.")
    if run.undo_of_id:
        raise ValidationError("This run was itself an undo.")
    if not run.changes.filter(action__in=UNDOABLE, outcome=Outcome.APPLIED).exists():
        raise ValidationError("This run added and removed nothing, so there is nothing to undo.")
    return run_start(pair=run.pair, trigger=Run.Trigger.UNDO, undo_of=run, mode=run.mode)


def run_retry_failed(*, run: Run) -> Run:
    """A new run of the pair: its fresh plan picks up every item that failed."""
    if run.pair.runs.filter(status__in=Run.ACTIVE, dry_run=False).exists():
        raise ValidationError("A run of this pair is under way: it will pick up failed items.")
    return run_start(pair=run.pair, trigger=Run.Trigger.RETRY, retry_of=run)


def run_confirm_removals(*, run: Run, trigger: str = Run.Trigger.MANUAL) -> Run:
    """A new run of the pair that carries out the removals ``run`` held back."""
    if run.pair.runs.filter(status__in=Run.ACTIVE, dry_run=False).exists():
        raise ValidationError("A run of this pair is under way: wait for it to end.")
    # A confirmed run holds nothing back, so it must answer removals someone has seen.
    if run.dry_run:
        raise ValidationError(
            "A dry run removes nothing: confirm the removals that a real run held back."
        )
    held = set(_held_back(run).values_list("side", "counterpart_id"))
    if not held:
        raise ValidationError("This run held back no removals, so there is nothing to confirm.")
    if (later := run_latest_after(run=run)) is not None:
        raise ValidationError(
            f"Run #{later.pk} of this pair came after this one: confirm on its page, which "
            "shows what a run would remove now."
        )
    # Only what the person saw: a removal the source called for since is not confirmed.
    seen = [[side, track_id] for side, track_id in sorted(held)]
    return run_start(pair=run.pair, trigger=trigger, confirm_removals=True, confirmed_removals=seen)


def run_latest_after(*, run: Run) -> Run | None:
    """The pair's newest real run, if it is newer than ``run``."""
    latest = run.pair.runs.filter(dry_run=False).order_by("-created_at", "-pk").first()
    return latest if latest is not None and latest.pk != run.pk else None


def run_held_removals(*, run: Run) -> int:
    """How many removals ``run`` held back for the person to confirm."""
    return _held_back(run).count()


def _confirmed(run: Run) -> frozenset[tuple[str, int]] | None:
    """The removals the person confirmed for ``run``, by (side, track); None: all."""
    if not run.confirm_removals:
        return frozenset()
    if run.confirmed_removals is None:
        return None
    return frozenset((side, track_id) for side, track_id in run.confirmed_removals)


def _held_back(run: Run):
    return run.changes.filter(
        action=Action.REMOVE, outcome=Outcome.SKIPPED, reason__startswith=HELD_BACK
    )


def runs_resume_after_reconnect(*, user_id: int) -> int:
    runs = list(
        Run.objects.filter(
            user_id=user_id, status=Run.Status.WAITING, wait_reason=Run.WaitReason.RECONNECT
        ).values_list("pk", flat=True)
    )
    resumed = 0
    for run_id in runs:
        if Run.objects.filter(pk=run_id, status=Run.Status.WAITING).update(
            status=Run.Status.QUEUED, wait_reason="", resume_at=None
        ):
            _enqueue(run_id)
            resumed += 1
    return resumed


def runs_resume_due(*, now: datetime | None = None) -> list[int]:
    """Queues again the waiting runs whose resume time has come (quota reset, Retry-After)."""
    now = now or timezone.now()
    resumed = []
    due = Run.objects.filter(status=Run.Status.WAITING, resume_at__lte=now).exclude(
        wait_reason=Run.WaitReason.RECONNECT
    )
    for run_id in due.values_list("pk", flat=True):
        if Run.objects.filter(pk=run_id, status=Run.Status.WAITING).update(
            status=Run.Status.QUEUED, wait_reason="", resume_at=None
        ):
            _enqueue(run_id)
            resumed.append(run_id)
    return resumed


# --- executing -------------------------------------------------------------------------


def run_execute(*, run_id: int, progress: Callable[[Run], None] | None = None) -> Run | None:
    """Claims the run and carries it as far as it can go. Safe to call twice."""
    now = timezone.now()
    claimed = Run.objects.filter(pk=run_id, status=Run.Status.QUEUED).update(
        status=Run.Status.RUNNING,
        claimed_by=f"{WORKER_ID}:{threading.get_ident()}",
        started_at=Coalesce(F("started_at"), now),
        heartbeat_at=now,
        attempts=F("attempts") + 1,
        wait_reason="",
        resume_at=None,
    )
    if not claimed:
        return None  # someone else has it, or it is finished: a duplicate message
    run = Run.objects.select_related("pair__source__connection", "pair__target__connection").get(
        pk=run_id
    )
    if run.mode:
        run.pair.mode = run.mode  # for this run only; never saved
    metrics = _metrics()
    if metrics and run.attempts == 1:
        metrics.run_started(mode=run.pair.mode, queued_for_s=(now - run.created_at).total_seconds())
    with _log_context(run.pk):
        try:
            return _Executor(run, progress).execute()
        finally:
            quota_flush()


@dataclass
class _Side:
    """One collection being written (the target, or the source of a two-way pair)."""

    client: PlatformClient
    collections: list[Collection]
    entries: list[Entry] = field(default_factory=list)

    @property
    def liked(self) -> bool:
        return self.collections[0].kind == Collection.Kind.LIKED

    @property
    def platform(self) -> str:
        return self.client.platform


def _refresh_collection(client: PlatformClient, collection: Collection, *, force: bool) -> None:
    """Reads a collection from the platform unless its version says it is unchanged."""
    if collection.kind == Collection.Kind.LIKED:
        known = collection.version if collection.imported_at else ""
        version = (
            client.liked_version(known=known)
            if client.platform == Platform.YOUTUBE
            else client.liked_version()
        )
        if not force and collection.imported_at and version and version == collection.version:
            return
        entries = liked_entries(client, collection)
    else:
        info = client.get_playlist(collection.platform_id)
        version = info.version
        if not force and collection.imported_at and version and version == collection.version:
            return
        try:
            entries = client.list_playlist_items(collection.platform_id)
        except PlatformError as exc:
            if exc.kind == "forbidden":
                collection_mark_unreadable(collection=collection)
            raise
    collection_replace_items(collection=collection, entries=entries)
    Collection.objects.filter(pk=collection.pk).update(
        version=version, imported_at=timezone.now(), items_readable=True
    )
    collection.version, collection.imported_at = version, timezone.now()
    collection.items_readable = True


class _Executor:
    def __init__(self, run: Run, progress: Callable[[Run], None] | None):
        self.run = run
        self.pair = run.pair
        self.progress = progress
        self.quota_spent = 0
        self.sharers_checked_at: datetime | None = None
        self.sharers = 1
        self._last_beat: datetime | None = None
        self._left: int | None = None
        self._left_checked_at: datetime | None = None
        self._next_position: dict[int, int] = {}

    # --- outcome ----------------------------------------------------------------------

    def execute(self) -> Run:
        try:
            self._execute()
        except _Wait as wait:
            self._set_waiting(wait)
        except _Cancelled:
            # Writes recorded after the cancel (the batch in flight) count too.
            Run.objects.filter(pk=self.run.pk, status=Run.Status.CANCELLED).update(**self._counts())
        except QuotaExhausted as exc:
            self._set_waiting(_Wait(Run.WaitReason.QUOTA, exc.resume_at or next_quota_reset()))
        except _Gone as gone:
            logger.warning("run %s failed: %s", self.run.pk, gone)
            self._finish(Run.Status.FAILED, error=str(gone))
        except PlatformError as exc:
            self._on_platform_error(exc)
        except (OperationalError, InterfaceError) as exc:
            # The database went away mid-run: a passing fault, not the run's failure.
            logger.warning("run %s lost its database connection: %s", self.run.pk, exc)
            try:
                close_old_connections()
                self._set_waiting(
                    _Wait(
                        Run.WaitReason.RETRY,
                        timezone.now() + timedelta(seconds=60),
                        "The database connection was lost; trying again shortly.",
                    )
                )
            except DatabaseError:
                pass  # still down: the run stays "running" until the scheduler rescues it
            return self.run
        except Exception as exc:
            logger.exception("run %s failed", self.run.pk)
            self._finish(Run.Status.FAILED, error=f"Unexpected error: {type(exc).__name__}")
            raise
        self.run.refresh_from_db()
        return self.run

    def _on_platform_error(self, exc: PlatformError) -> None:
        if exc.needs_reconnect:
            self._set_waiting(
                _Wait(Run.WaitReason.RECONNECT, timezone.now() + timedelta(days=365), str(exc))
            )
        elif exc.kind == "rate_limit":
            wait = timedelta(seconds=exc.retry_after or 60)
            self._set_waiting(_Wait(Run.WaitReason.RATE_LIMIT, timezone.now() + wait, str(exc)))
        elif not exc.permanent and self.run.attempts < MAX_TRANSIENT_ATTEMPTS:
            wait = timedelta(seconds=min(600, 15 * 2**self.run.attempts))
            self._set_waiting(_Wait(Run.WaitReason.RETRY, timezone.now() + wait, str(exc)))
        else:
            # The platform's own words, for the operator: the page says it in ours.
            logger.warning(
                "run %s failed: %s error from %s (%s): %s",
                self.run.pk, exc.kind, exc.platform, exc.status, exc.message,
            )  # fmt: skip
            self._finish(Run.Status.FAILED, error=_describe(exc))

    def _set_waiting(self, wait: _Wait) -> None:
        if wait.reason == "turn":
            Run.objects.filter(pk=self.run.pk, status=Run.Status.RUNNING).update(
                status=Run.Status.QUEUED, progress_label="Waiting for its turn at the YouTube quota"
            )
            _enqueue(self.run.pk, delay=TURN_DELAY)
            return
        labels = {
            Run.WaitReason.QUOTA: "Waiting for YouTube quota",
            Run.WaitReason.RATE_LIMIT: "Waiting out a rate limit",
            Run.WaitReason.RECONNECT: "Waiting for you to reconnect",
            Run.WaitReason.RETRY: "Waiting to try again",
        }
        done = self._writes_done()
        Run.objects.filter(pk=self.run.pk, status=Run.Status.RUNNING).update(
            # What it did before the wait shows while it waits ("1 removed"), not 0, and
            # its progress says so too (heartbeats write it at most once a second).
            **self._counts(),
            progress_done=done,
            status=Run.Status.WAITING,
            wait_reason=wait.reason,
            resume_at=wait.resume_at,
            progress_label=labels.get(wait.reason, "Waiting"),
            error=wait.message[:1000],
            claimed_by="",
        )

    def _finish(self, status: str, *, error: str = "") -> None:
        counts = self._counts()
        now = timezone.now()
        # Heartbeats write progress at most once a second: the last writes are counted here.
        done = self._writes_done()
        updated = Run.objects.filter(pk=self.run.pk, status=Run.Status.RUNNING).update(
            status=status, finished_at=now, error=error[:2000], claimed_by="",
            progress_label="Finished" if status != Run.Status.FAILED else "Failed",
            wait_reason="", resume_at=None, progress_done=done, **counts,
        )  # fmt: skip
        metrics = _metrics()
        if updated and metrics:
            started = self.run.started_at or now
            metrics.run_finished(
                mode=self.pair.mode, status=status, duration_s=(now - started).total_seconds()
            )
            for action in ("added", "removed"):
                if counts.get(action):
                    metrics.items_synced(action=action, count=counts[action])

    def _counts(self) -> dict[str, int]:
        return _run_counts(self.run)

    def _changes(self):
        return RunChange.objects.filter(run=self.run)

    def _writes_done(self) -> int:
        """The planned writes tried so far (applied or failed)."""
        return (
            self._changes()
            .filter(action__in=WRITE_ACTIONS, outcome__in=[Outcome.APPLIED, Outcome.FAILED])
            .count()
        )

    # --- the work ---------------------------------------------------------------------

    def _heartbeat(
        self, label: str | None = None, *, done: int | None = None, total: int | None = None
    ):
        now = timezone.now()
        finished = done is not None and total is not None and done >= total
        # At most one write a second: a heartbeat per YouTube insert would double the queries.
        if self._last_beat and (now - self._last_beat).total_seconds() < 1 and not finished:
            if label is None or not label.startswith(("Reading", "Resuming", "Matching")):
                self.run.progress_done = done if done is not None else self.run.progress_done
                if self.progress:  # a line in the terminal costs no query
                    if total is not None:
                        self.run.progress_total = total
                    if label is not None:
                        self.run.progress_label = label[:255]
                    self.progress(self.run)
                return
        self._last_beat = now
        fields = {"heartbeat_at": now}
        if label is not None:
            fields["progress_label"] = label[:255]
        if done is not None:
            fields["progress_done"] = done
        if total is not None:
            fields["progress_total"] = total
        if not Run.objects.filter(pk=self.run.pk, status=Run.Status.RUNNING).update(**fields):
            raise _Cancelled()
        for name, value in fields.items():
            setattr(self.run, name, value)
        if self.progress:
            self.progress(self.run)

    def _connection(self, platform: str) -> Connection:
        conn = Connection.objects.filter(user_id=self.pair.user_id, platform=platform).first()
        if conn is None or conn.state != Connection.State.ACTIVE:
            raise _Wait(
                Run.WaitReason.RECONNECT,
                timezone.now() + timedelta(days=365),
                f"Connect {Platform(platform).label} again to continue.",
            )
        return conn

    def _execute(self) -> None:
        pair = self.pair
        source_conn = self._connection(pair.source.connection.platform)
        target_conn = self._connection(pair.target_platform)
        source_client, target_client = client_for(source_conn), client_for(target_conn)
        self.clients = {source_conn.platform: source_client, target_conn.platform: target_client}
        if not self.run.planned:
            self._heartbeat("Reading your library")
            self._plan(source_client, target_client)
        else:
            self._heartbeat("Resuming: checking what already landed")
            self._reconcile()
        if self.run.dry_run:
            self._finish(self._ending())  # what a real run of this plan would end as
            return
        self._apply()
        self._complete()

    # --- planning ---------------------------------------------------------------------

    def _target_collections(self, target_client: PlatformClient) -> list[Collection]:
        pair = self.pair
        if pair.target_id is None:
            if self.run.dry_run:
                return []
            # The run's mark in the description lets a later attempt find a playlist whose
            # creation landed although its answer was lost, instead of making a second one.
            mark = f"[sync {self.run.pk}]"
            info = self._created_before(target_client, mark) if self.run.attempts > 1 else None
            if info is None:
                about = pair.source.description or f"Synced from {pair.source.name}"
                info = target_client.create_playlist(
                    name=pair.target_name or pair.source.name,
                    description=f"{about[: 290 - len(mark)]} {mark}",
                )
            with transaction.atomic():
                target = Collection.objects.create(
                    connection=target_client.connection, platform_id=info.platform_id,
                    name=info.name, description=info.description, version="",
                    imported_at=timezone.now(),
                )  # fmt: skip
                SyncPair.objects.filter(pk=pair.pk).update(target=target)
                pair.target = target
            return [target]
        extra = list(Collection.objects.filter(pk__in=pair.overflow_targets))
        extra.sort(key=lambda c: pair.overflow_targets.index(c.pk))
        return [pair.target, *extra]

    def _read(self, client: PlatformClient, collection: Collection, side: str) -> None:
        """Reads a collection of the pair; one the platform no longer has, or whose items
        it refuses, pauses the pair, which would otherwise fail the same way at every
        scheduled run (or, refused, copy nothing and look like it succeeded)."""
        try:
            # A refusal lifted (the person made a collaborator) leaves the version as it was.
            _refresh_collection(client, collection, force=not collection.items_readable)
        except PlatformError as exc:
            if collection.kind == Collection.Kind.LIKED:
                raise
            if exc.kind == "forbidden" and not collection.items_readable:
                why = (
                    f"{collection.unreadable_reason} Nothing was synced: the {side} playlist "
                    f"“{collection.name}” is one. The pair is paused: delete it, or turn it on "
                    "again once you own or collaborate on that playlist."
                )
            elif exc.kind == "not_found":
                why = (
                    f"The {side} playlist “{collection.name}” no longer exists on "
                    f"{Platform(client.platform).label}. The pair is paused: delete it, or "
                    "edit it to choose another playlist and turn it on again."
                )
            else:
                raise
            SyncPair.objects.filter(pk=self.pair.pk).update(enabled=False)
            raise _Gone(why) from exc

    @staticmethod
    def _created_before(target_client: PlatformClient, mark: str):
        for info in target_client.list_playlists():
            if mark in (info.description or ""):
                return info
        return None

    def _plan(self, source_client: PlatformClient, target_client: PlatformClient) -> None:
        pair = self.pair
        if self.run.undo_of_id:
            changes = self._plan_undo()
        else:
            self._read(source_client, pair.source, "source")
            targets = self._target_collections(target_client)
            for collection in targets:
                self._read(target_client, collection, "target")
            changes = plan_changes(
                pair=pair,
                source=entries_of([pair.source]),
                target=entries_of(targets) if targets else [],
                resolve=self._plan_resolve(source_client, target_client),
                confirmed=_confirmed(self.run),
            )
        for seq, change in enumerate(changes):
            change.run = self.run
            change.seq = seq
        writes = sum(
            1 for c in changes if c.action in WRITE_ACTIONS and c.outcome == Outcome.PLANNED
        )
        with transaction.atomic():
            self._changes().delete()  # a plan interrupted before it was stored
            RunChange.objects.bulk_create(changes, batch_size=1000)
            Run.objects.filter(pk=self.run.pk).update(
                planned=True,
                progress_total=writes,
                progress_done=0,
                kept=sum(1 for c in changes if c.action == Action.KEEP),
            )
        self.run.planned = True
        self._record_review(changes)

    def _resolver(
        self, *, client: PlatformClient, target_platform: str, target_tracks, links
    ) -> Resolver:
        return Resolver(
            user_id=self.pair.user_id,
            target_platform=target_platform,
            client=client,
            target_tracks=target_tracks,
            links=links,
            before_search=lambda: self._spend(client.platform, "search"),
        )

    def _tracks(self, ids) -> dict[int, Track]:
        ids = [i for i in set(ids) if i]
        found: dict[int, Track] = {}
        for start in range(0, len(ids), 1000):
            found.update(Track.objects.in_bulk(ids[start : start + 1000]))
        return found

    def _resolve(
        self, track_ids: list[int], resolver: Resolver, label: str
    ) -> dict[int, Resolution]:
        tracks = self._tracks(track_ids)
        unique = [tracks[i] for i in dict.fromkeys(track_ids) if i in tracks]

        def on_progress(done: int, total: int) -> None:
            if done == 1 or done % 10 == 0 or done == total:
                self._heartbeat(f"{label}: searching {done} of {total}")

        return resolver.resolve(unique, on_progress=on_progress)

    def _plan_resolve(self, source_client: PlatformClient, target_client: PlatformClient):
        two_way = self.pair.mode == SyncPair.Mode.TWO_WAY

        def resolve(direction, sources, candidates, links) -> dict[int, Resolution]:
            if direction == FORWARD:
                client, platform = target_client, self.pair.target_platform
                label = "Matching new source items" if two_way else "Matching"
            else:
                client, platform = source_client, self.pair.source.connection.platform
                label = "Matching new target items"
            resolver = self._resolver(
                client=client, target_platform=platform,
                target_tracks=list(self._tracks(candidates).values()), links=links,
            )  # fmt: skip
            return self._resolve(sources, resolver, label)

        return resolve

    def _plan_undo(self) -> list[RunChange]:
        changes = []
        applied = self.run.undo_of.changes.filter(action__in=UNDOABLE, outcome=Outcome.APPLIED)
        # What the run added goes first; what it removed goes back where it was, the
        # first place first, so that each lands before the ones after it.
        for old in sorted(
            applied,
            key=lambda c: (c.action == Action.REMOVE, c.position is None, c.position or 0, c.seq),
        ):
            reverse = Action.REMOVE if old.action == Action.ADD else Action.ADD
            changes.append(RunChange(
                action=reverse, side=old.side, item_id=old.item_id,
                counterpart_id=old.counterpart_id,
                entry_id=old.entry_id if reverse == Action.REMOVE else "",
                position=old.position if reverse == Action.ADD else None,
                collection_id=old.collection_id, reason=f"undo of run {self.run.undo_of_id}",
            ))  # fmt: skip
        return changes

    def _platform_of(self, change: RunChange) -> str:
        """The platform a change's counterpart lives on."""
        if change.side == Side.TARGET:
            return self.pair.target_platform
        return self.pair.source.connection.platform

    def _record_review(self, changes: list[RunChange]) -> None:
        self._close_review(changes)
        for change in changes:
            if change.action != Action.UNMATCHED or change.method == "never" or not change.item_id:
                continue
            platform = self._platform_of(change)
            candidates = getattr(change, "_candidates", [])
            best = max((c["confidence"] for c in candidates), default=0.0)
            try:
                with transaction.atomic():
                    ReviewItem.objects.update_or_create(
                        user_id=self.pair.user_id, source_id=change.item_id,
                        target_platform=platform,
                        status=ReviewItem.Status.OPEN,
                        defaults={"pair": self.pair, "run": self.run, "candidates": candidates,
                                  "best_confidence": best},
                    )  # fmt: skip
            except IntegrityError:
                pass

    def _close_review(self, changes: list[RunChange]) -> None:
        """Open review items this plan has matched after all (the person added the right
        item by hand, or a search found it) are settled with that match."""
        if self.run.undo_of_id:
            return
        matched: dict[tuple[int, str], int] = {}
        for change in changes:
            if change.action in (Action.ADD, Action.KEEP) and change.item_id:
                if change.counterpart_id:
                    matched[(change.item_id, self._platform_of(change))] = change.counterpart_id
        if not matched:
            return
        open_items = ReviewItem.objects.filter(
            user_id=self.pair.user_id, status=ReviewItem.Status.OPEN
        ).values_list("pk", "source_id", "target_platform")
        now = timezone.now()
        for pk, source_id, platform in open_items:
            if (chosen := matched.get((source_id, platform))) is not None:
                ReviewItem.objects.filter(pk=pk, status=ReviewItem.Status.OPEN).update(
                    status=ReviewItem.Status.RESOLVED, chosen_id=chosen, resolved_at=now
                )

    # --- resuming ---------------------------------------------------------------------

    def _side(self, side: str) -> _Side:
        if side == Side.SOURCE:
            collections = [self.pair.source]
        else:
            collections = self._target_collections(self.clients[self.pair.target_platform])
        platform = collections[0].connection.platform
        return _Side(self.clients[platform], collections)

    def _reconcile(self) -> None:
        """After a crash or an ambiguous answer: mark planned changes that already landed."""
        planned = self._changes().filter(action__in=UNDOABLE, outcome=Outcome.PLANNED)
        for side in set(planned.values_list("side", flat=True)):
            state = self._side(side)
            for collection in state.collections:
                _refresh_collection(state.client, collection, force=True)
            present = Counter(e.track_id for e in entries_of(state.collections))
            entry_ids = {
                e.track_id: e.entry_id for e in entries_of(state.collections) if e.entry_id
            }
            landed_add, landed_remove = [], []
            for change in planned.filter(side=side):
                if change.action == Action.ADD and present[change.counterpart_id] > 0:
                    present[change.counterpart_id] -= 1
                    change.entry_id = entry_ids.get(change.counterpart_id, "")
                    landed_add.append(change)
                elif change.action == Action.REMOVE and present[change.counterpart_id] == 0:
                    landed_remove.append(change)
            now = timezone.now()
            for change in landed_add + landed_remove:
                change.outcome, change.applied_at = Outcome.APPLIED, now
            RunChange.objects.bulk_update(
                landed_add + landed_remove, ["outcome", "applied_at", "entry_id"]
            )
            self._record_links(landed_add, landed_remove)
        done = self._writes_done()
        self._heartbeat(done=done)

    # --- applying ---------------------------------------------------------------------

    def _spend(self, platform: str, operation: str) -> None:
        """Checks the YouTube quota before a call that spends it; shares it fairly."""
        if platform != Platform.YOUTUBE:
            return
        units = quota_cost(operation)
        now = timezone.now()
        # Read the ledger every couple of seconds and count down in between; other
        # workers' spending shows at the next read, and YouTube itself refuses overdrafts.
        if self._left is None or (now - self._left_checked_at).total_seconds() > 2:
            self._left, self._left_checked_at = quota_left_today(), now
        left = self._left
        if left < units:
            raise _Wait(
                Run.WaitReason.QUOTA, next_quota_reset(), "YouTube's daily quota is used up"
            )
        now = timezone.now()
        if self.sharers_checked_at is None or now - self.sharers_checked_at > timedelta(seconds=10):
            self.sharers = max(1, _quota_sharers())
            self.sharers_checked_at = now
        if self.sharers > 1 and self.quota_spent + units > max(units, left // self.sharers):
            raise _Wait("turn", now + TURN_DELAY)
        self.quota_spent += units
        self._left -= units

    def _apply(self) -> None:
        order = {Action.REMOVE: 0, Action.ADD: 1, Action.MOVE: 2}
        planned = list(
            self._changes()
            .filter(action__in=WRITE_ACTIONS, outcome=Outcome.PLANNED)
            .select_related("counterpart")
        )
        planned.sort(key=lambda c: (c.side, order[c.action], c.seq))
        done = self._writes_done()
        total = done + len(planned)
        groups: dict[tuple[str, str], list[RunChange]] = defaultdict(list)
        for change in planned:
            groups[(change.side, change.action)].append(change)
        for (side, action), changes in sorted(
            groups.items(), key=lambda kv: (kv[0][0], order[kv[0][1]])
        ):
            state = self._side(side)
            if action == Action.REMOVE:
                done = self._apply_removes(state, changes, done, total)
            elif action == Action.ADD:
                done = self._apply_adds(state, changes, done, total)
        if (
            follows_source_order(self.pair)
            and not self.run.undo_of_id
            and (groups.get((Side.TARGET, Action.MOVE)) or groups.get((Side.TARGET, Action.ADD)))
        ):
            # Additions went in at their place, but the platform's answer is the truth:
            # the moves are worked out on the target as it now stands.
            self._apply_moves(self._side(Side.TARGET), groups.get((Side.TARGET, Action.MOVE), []))

    def _apply_removes(self, state: _Side, changes: list[RunChange], done: int, total: int) -> int:
        batch = LIBRARY_BATCH[state.platform] if state.liked else WRITE_BATCH[state.platform]
        for start in range(0, len(changes), batch):
            chunk = changes[start : start + batch]
            self._heartbeat(f"Removing {done + 1} of {total}", done=done, total=total)
            for _ in chunk:
                self._spend(state.platform, "rate" if state.liked else "delete")
            entries = [
                PlaylistEntry(position=0, track=c.counterpart.to_info(), entry_id=c.entry_id)
                for c in chunk
            ]
            by_collection = defaultdict(list)
            for c, e in zip(chunk, entries, strict=True):
                by_collection[c.collection_id or state.collections[0].pk].append(e)
            try:
                for collection_id, group in by_collection.items():
                    collection = next(c for c in state.collections if c.pk == collection_id) if any(
                        c.pk == collection_id for c in state.collections
                    ) else state.collections[0]  # fmt: skip
                    if state.liked:
                        state.client.unlike(group)
                    else:
                        state.client.remove_items(collection.platform_id, group)
            except PlatformError as exc:
                if exc.permanent and exc.kind in ("not_found", "bad_request", "forbidden"):
                    self._mark(chunk, Outcome.FAILED, error=_describe(exc))
                    done += len(chunk)
                    continue
                raise
            self._mark(chunk, Outcome.APPLIED)
            self._local_remove(state, chunk)
            self._record_links([], chunk)
            done += len(chunk)
        self._heartbeat(done=done)
        return done

    def _apply_adds(self, state: _Side, changes: list[RunChange], done: int, total: int) -> int:
        batch = LIBRARY_BATCH[state.platform] if state.liked else WRITE_BATCH[state.platform]
        limit = PLAYLIST_LIMIT[state.platform]
        # What landed is recorded in groups (a query per group, not per YouTube insert);
        # a crash before a group is recorded is caught by _reconcile, which re-reads the
        # target, so nothing is added twice.
        landed: list[tuple[Collection, list[RunChange]]] = []

        def record() -> None:
            if not landed:
                return
            self._mark([c for _, chunk in landed for c in chunk], Outcome.APPLIED)
            by_collection: dict[int, tuple[Collection, list[RunChange]]] = {}
            for target, chunk in landed:
                by_collection.setdefault(target.pk, (target, []))[1].extend(chunk)
            for target, chunk in by_collection.values():
                self._local_add(state, target, chunk)
            self._record_links([c for _, chunk in landed for c in chunk], [])
            landed.clear()

        try:
            done = self._add_loop(state, changes, done, total, batch, limit, landed, record)
        finally:
            record()
        self._flush_local()
        self._heartbeat(done=done)
        return done

    def _add_loop(self, state, changes, done, total, batch, limit, landed, record) -> int:
        counts = Counter(
            CollectionItem.objects.filter(collection__in=state.collections).values_list(
                "collection_id", flat=True
            )
        )
        # Additions go in at their place when the pair keeps order, and an undo puts
        # removed songs back where they were.
        placed = self.pair.keep_order or bool(self.run.undo_of_id)
        start = 0
        while start < len(changes):
            chunk = changes[start : start + batch]
            if placed and chunk[0].position is not None:
                # One call adds at one place: a batch stops where the places stop following.
                run = 1
                while run < len(chunk) and chunk[run].position == chunk[0].position + run:
                    run += 1
                chunk = chunk[:run]
            self._heartbeat(f"Adding {done + 1} of {total}", done=done, total=total)
            collection = state.collections[-1]
            if not state.liked:
                collection = next(
                    (c for c in state.collections if counts[c.pk] < limit), None
                ) or self._overflow(state)
                room = limit - counts[collection.pk]
                chunk = chunk[: max(1, room)]
            for _ in chunk:
                self._spend(state.platform, "rate" if state.liked else "insert")
            ids = [c.counterpart.platform_id for c in chunk]
            try:
                if state.liked:
                    entry_ids = state.client.like(ids)
                else:
                    position = chunk[0].position if placed else None
                    if position is not None:  # the playlist may be shorter by now
                        position = min(position, counts[collection.pk])
                    entry_ids = state.client.add_items(
                        collection.platform_id, ids, position=position
                    )
            except PlatformError as exc:
                if exc.kind == "playlist_full":
                    counts[collection.pk] = limit
                    continue
                if exc.permanent and exc.kind in ("not_found", "bad_request", "forbidden"):
                    self._mark(chunk, Outcome.FAILED, error=_describe(exc))
                    done += len(chunk)
                    start += len(chunk)
                    continue
                if exc.kind in ("network", "server"):
                    # The write may have landed: look before trying again, never add twice.
                    record()
                    self._reconcile()
                raise
            for change, entry_id in zip(chunk, entry_ids, strict=False):
                change.entry_id = entry_id
                change.collection_id = collection.pk
            landed.append((collection, chunk))
            counts[collection.pk] += len(chunk)
            if sum(len(c) for _, c in landed) >= RECORD_EVERY:
                record()
            done += len(chunk)
            start += len(chunk)
        return done

    def _apply_moves(self, state: _Side, planned: list[RunChange]) -> None:
        collection = state.collections[0]
        self._heartbeat("Checking the order")
        _refresh_collection(state.client, collection, force=True)
        entries = entries_of([collection])
        changes = list(self._changes().order_by("seq"))
        wanted = desired_order(changes, keep_duplicates=self.pair.keep_duplicates)
        source_of = first_sources(wanted)
        moves = moves_to_follow([e.track_id for e in entries], [t for t, _ in wanted])
        # The plan's moves, as far as they are still needed; new ones where an addition
        # did not land where it was asked to.
        unused = {c.counterpart_id: c for c in reversed(planned)}
        seq = max((c.seq for c in changes), default=-1)
        rows = []
        for move in moves:
            row = unused.pop(move.track_id, None)
            if row is None:
                seq += 1
                row = RunChange(
                    run=self.run, seq=seq, action=Action.MOVE, side=Side.TARGET,
                    item_id=source_of[move.track_id], counterpart_id=move.track_id,
                    collection=collection, reason=MOVE_REASON,
                )  # fmt: skip
            rows.append((move, row))
        if unused:
            left = list(unused.values())
            for change in left:
                change.outcome, change.applied_at = Outcome.SKIPPED, timezone.now()
                change.reason = "already in the source's order after this run's other changes"
            RunChange.objects.bulk_update(left, ["outcome", "applied_at", "reason"])
        if new := [row for _, row in rows if row.pk is None]:
            RunChange.objects.bulk_create(new)
        tracks = self._tracks(m.track_id for m, _ in rows)
        items = list(entries)
        done, before = 0, self._writes_done()
        for move, row in rows:
            self._heartbeat(
                f"Moving {done + 1} of {len(rows)} into the source's order",
                done=before + done, total=before + len(rows),
            )  # fmt: skip
            self._spend(state.platform, "update")
            entry = items[move.from_index]
            try:
                state.client.move(
                    collection.platform_id,
                    PlaylistEntry(
                        position=move.from_index,
                        track=tracks[move.track_id].to_info(),
                        entry_id=entry.entry_id,
                    ),
                    to_index=move.to_index,
                )
            except PlatformError as exc:
                if exc.permanent and exc.kind in ("not_found", "bad_request", "forbidden"):
                    row.position = move.to_index
                    self._mark([row], Outcome.FAILED, error=_describe(exc))
                    # The playlist is not as we think: the next run reads it again.
                    break
                raise
            items.insert(move.to_index, items.pop(move.from_index))
            row.position = move.to_index
            row.reason = f"moved to place {move.to_index + 1}, to follow the source's order"
            row.collection_id = collection.pk
            self._mark([row], Outcome.APPLIED)
            done += 1
        if done:
            _refresh_collection(state.client, collection, force=True)

    def _overflow(self, state: _Side) -> Collection:
        """A YouTube playlist is full: continue in "Name (2)", "Name (3)", ..."""
        base = state.collections[0]
        name = f"{base.name} ({len(state.collections) + 1})"
        self._spend(state.platform, "insert")
        info = state.client.create_playlist(name=name, description=base.description)
        collection = Collection.objects.create(
            connection=base.connection, platform_id=info.platform_id, name=info.name,
            description=info.description, imported_at=timezone.now(),
        )  # fmt: skip
        self.pair.overflow_targets = [*self.pair.overflow_targets, collection.pk]
        SyncPair.objects.filter(pk=self.pair.pk).update(overflow_targets=self.pair.overflow_targets)
        state.collections.append(collection)
        return collection

    def _mark(self, chunk: list[RunChange], outcome: str, *, error: str = "") -> None:
        now = timezone.now()
        for change in chunk:
            change.outcome, change.applied_at, change.error = outcome, now, error[:1000]
        RunChange.objects.bulk_update(
            chunk,
            ["outcome", "applied_at", "error", "entry_id", "collection", "position", "reason"],
        )

    def _local_add(self, state: _Side, collection: Collection, chunk: list[RunChange]) -> None:
        """Keeps our copy of the written collection in step without reading it again."""
        next_position = self._next_position.get(collection.pk)
        if next_position is None:
            last = (
                CollectionItem.objects.filter(collection=collection)
                .order_by("-position")
                .values_list("position", flat=True)
                .first()
            )
            next_position = 0 if last is None else last + 1
        self._next_position[collection.pk] = next_position + len(chunk)
        CollectionItem.objects.bulk_create(
            [
                CollectionItem(
                    collection=collection,
                    position=next_position + i,
                    track_id=c.counterpart_id,
                    entry_id=c.entry_id,
                )
                for i, c in enumerate(chunk)
            ]
        )

    def _flush_local(self) -> None:
        """Our copy may now differ from the platform's order: read it again next time."""
        for collection_id in self._next_position:
            Collection.objects.filter(pk=collection_id).update(
                version="",
                item_count=CollectionItem.objects.filter(collection_id=collection_id).count(),
            )
        self._next_position.clear()

    def _local_remove(self, state: _Side, chunk: list[RunChange]) -> None:
        # A YouTube removal takes out one playlist entry (one copy); Spotify's takes out
        # every copy of the track.
        items = CollectionItem.objects.filter(collection__in=state.collections)
        if entries := [c.entry_id for c in chunk if c.entry_id]:
            items.filter(entry_id__in=entries).delete()
        if tracks := [c.counterpart_id for c in chunk if not c.entry_id]:
            items.filter(track_id__in=tracks).delete()
        for collection in state.collections:  # its page counts what is left
            Collection.objects.filter(pk=collection.pk).update(
                version="",
                item_count=CollectionItem.objects.filter(collection_id=collection.pk).count(),
            )

    def _record_links(self, added: list[RunChange], removed: list[RunChange]) -> None:
        if self.pair.mode == SyncPair.Mode.TWO_WAY:
            return  # the two-way base is written only when the run completes
        rows = [
            SyncedItem(pair=self.pair, source_track_id=c.item_id, target_track_id=c.counterpart_id,
                       added_by_sync=True)
            for c in added
            if c.item_id and c.side == Side.TARGET and c.action == Action.ADD
        ]  # fmt: skip
        if rows:
            SyncedItem.objects.bulk_create(rows, ignore_conflicts=True)
        gone = {c.counterpart_id for c in removed if c.side == Side.TARGET}
        if gone:
            # A copy more than the source has went; the link stays while one is left.
            gone -= set(
                CollectionItem.objects.filter(
                    collection_id__in=[self.pair.target_id, *self.pair.overflow_targets],
                    track_id__in=gone,
                ).values_list("track_id", flat=True)
            )
            SyncedItem.objects.filter(pair=self.pair, target_track_id__in=gone).delete()

    # --- completing -------------------------------------------------------------------

    def _ending(self) -> str:
        """Partial when something was not done: an item failed or found no match (not
        one the person said never to match), or removals wait for the person's word."""
        changes = self._changes()
        undone = (
            changes.filter(outcome=Outcome.FAILED).exists()
            or changes.filter(action=Action.UNMATCHED).exclude(method=NEVER_MATCH).exists()
            or run_held_removals(run=self.run) > 0
        )
        return Run.Status.PARTIAL if undone else Run.Status.SUCCEEDED

    def _complete(self) -> None:
        status = self._ending()
        if self.pair.mode == SyncPair.Mode.TWO_WAY:
            # An undo too: a copy it took out must leave the base with it, or the next
            # run would read "removed from this side" and delete the original.
            self._write_two_way_base()
        elif not self.run.undo_of_id:
            self._link_kept()
        self._finish(status)
        if self.pair.interval:  # counted from the end of this run, with its jitter
            SyncPair.objects.filter(pk=self.pair.pk).update(
                next_run_at=self.pair.next_run_after(timezone.now())
            )

    def _link_kept(self) -> None:
        """Items found on both sides remember their link, so later runs keep them paired."""
        rows = [
            SyncedItem(pair=self.pair, source_track_id=s, target_track_id=t)
            for s, t in self._changes()
            .filter(action=Action.KEEP, item__isnull=False, counterpart__isnull=False)
            .values_list("item_id", "counterpart_id")
        ]
        if rows:
            SyncedItem.objects.bulk_create(rows, batch_size=1000, ignore_conflicts=True)

    def _write_two_way_base(self) -> None:
        source = listed_ids(entries_of([self.pair.source]))
        targets = self._target_collections(self.clients[self.pair.target_platform])
        target = listed_ids(entries_of(targets))
        links = {
            (s, t)
            for s, t in SyncedItem.objects.filter(pair=self.pair).values_list(
                "source_track_id", "target_track_id"
            )
        }
        for _action, side, item, counterpart in (
            self._changes()
            .filter(
                action__in=[Action.ADD, Action.KEEP], outcome__in=[Outcome.APPLIED, Outcome.SKIPPED]
            )
            .values_list("action", "side", "item_id", "counterpart_id")
        ):
            if side == Side.TARGET:
                links.add((item, counterpart))
            else:
                links.add((counterpart, item))
        keep = {(s, t) for s, t in links if s in source and t in target}
        # A removal held back keeps its link: the next run holds it again, or, once the
        # person confirms, removes it, instead of copying the song back.
        for side, item, counterpart in _held_back(self.run).values_list(
            "side", "item_id", "counterpart_id"
        ):
            if item and counterpart:
                keep.add((item, counterpart) if side == Side.TARGET else (counterpart, item))
        with transaction.atomic():
            SyncedItem.objects.filter(pair=self.pair).delete()
            SyncedItem.objects.bulk_create(
                [SyncedItem(pair=self.pair, source_track_id=s, target_track_id=t) for s, t in keep],
                batch_size=1000,
            )
            SyncPair.objects.filter(pk=self.pair.pk).update(base_taken_at=timezone.now())


def _run_counts(run: Run) -> dict[str, int]:
    rows: Counter = Counter()
    changes = RunChange.objects.filter(run=run).exclude(
        action=Action.UNMATCHED, method=NEVER_MATCH
    )  # the person's "never match" is not an unmatched item: the run page counts it apart
    for row in changes.values("action", "outcome").annotate(n=Count("id")):
        rows[(row["action"], row["outcome"])] += row["n"]
    applied_or_planned = Outcome.PLANNED if run.dry_run else Outcome.APPLIED
    return {
        "added": rows[(Action.ADD, applied_or_planned)],
        "removed": rows[(Action.REMOVE, applied_or_planned)],
        "moved": rows[(Action.MOVE, applied_or_planned)],
        "kept": sum(n for (a, _), n in rows.items() if a == Action.KEEP),
        "unmatched": sum(n for (a, _), n in rows.items() if a == Action.UNMATCHED),
        "unavailable": sum(n for (a, _), n in rows.items() if a == Action.UNAVAILABLE),
        "failed": sum(n for (a, o), n in rows.items() if o == Outcome.FAILED),
    }


def _quota_sharers() -> int:
    """People with YouTube work in progress, who share what is left of today's quota."""
    return (
        Run.objects.filter(status__in=[Run.Status.QUEUED, Run.Status.RUNNING])
        .filter(pair__target_platform=Platform.YOUTUBE)
        .values("user_id")
        .distinct()
        .count()
        + Run.objects.filter(status=Run.Status.WAITING, wait_reason=Run.WaitReason.QUOTA)
        .values("user_id")
        .distinct()
        .count()
    )


def _describe(exc: PlatformError) -> str:
    names = {
        "forbidden": "the platform refused the change (the playlist may not be yours)",
        "not_found": "the platform no longer has this item or playlist",
        "bad_request": "the platform rejected the request",
        "auth": "the connection needs to be reconnected",
    }
    return f"{Platform(exc.platform).label}: {names.get(exc.kind, exc.message)}"


# --- preview ---------------------------------------------------------------------------


@dataclass
class PreviewItem:
    title: str
    artists: str
    counterpart_title: str = ""
    confidence: float | None = None
    reason: str = ""


@dataclass
class PlanPreview:
    counts: dict[str, int]
    samples: dict[str, list[PreviewItem]]


def plan_preview(*, pair: SyncPair, sample_size: int = 10) -> PlanPreview:
    """What a run of this (possibly unsaved) pair would do, from what is already imported.

    The run's own planner with resolvers that never search: no platform call and no
    quota. Items that would need a search are counted as such.
    """
    source = entries_of([pair.source])
    targets = []
    if pair.target_id:
        targets = [pair.target, *Collection.objects.filter(pk__in=pair.overflow_targets or [])]
    target = entries_of(targets) if targets else []
    platforms = {FORWARD: pair.target_platform, BACKWARD: pair.source.connection.platform}

    def resolve(direction, sources, candidates, links) -> dict[int, Resolution]:
        tracks = Track.objects.in_bulk([*sources, *candidates])
        resolver = Resolver(
            user_id=pair.user_id, target_platform=platforms[direction], client=None,
            target_tracks=[tracks[i] for i in candidates if i in tracks], links=links,
            allow_search=False,
        )  # fmt: skip
        return resolver.resolve([tracks[i] for i in dict.fromkeys(sources) if i in tracks])

    changes = plan_changes(pair=pair, source=source, target=target, resolve=resolve)
    tracks = Track.objects.in_bulk(
        {i for c in changes for i in (c.item_id, c.counterpart_id) if i is not None}
    )
    counts: Counter = Counter()
    samples: dict[str, list[PreviewItem]] = defaultdict(list)
    for change in changes:
        if change.action == Action.UNMATCHED:
            kind = "needs_search" if change.reason == "needs a search" else "unmatched"
        else:
            kind = str(change.action)
        counts[kind] += 1
        track = tracks.get(change.item_id)
        if track is None or len(samples[kind]) >= sample_size:
            continue
        counterpart = tracks.get(change.counterpart_id)
        samples[kind].append(
            PreviewItem(
                title=track.title,
                artists=track.artist_line,
                counterpart_title=counterpart.title if counterpart else "",
                confidence=change.confidence,
                reason=change.reason[:200],
            )
        )
    for key in ("add", "remove", "keep", "unmatched", "unavailable", "needs_search"):
        counts.setdefault(key, 0)
    return PlanPreview(counts=dict(counts), samples=dict(samples))
