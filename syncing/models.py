"""Sync pairs, their runs and change logs, and what we know about matches."""

from __future__ import annotations

import random
from datetime import datetime, timedelta

from django.conf import settings
from django.db import models
from django.utils import timezone

from platforms.models import Collection, Platform, Track

# Up to this share of a pair's interval is added at random to each next run time.
SCHEDULE_JITTER = 0.1


class SyncPair(models.Model):
    """A source collection kept in step with a target on the other platform."""

    class Mode(models.TextChoices):
        ADD_ONLY = "add_only", "Add only"
        MIRROR = "mirror", "Mirror"
        TWO_WAY = "two_way", "Two way"

    class Schedule(models.TextChoices):
        MANUAL = "manual", "Manual"
        HOURLY = "hourly", "Every hour"
        SIX_HOURLY = "6h", "Every 6 hours"
        DAILY = "daily", "Daily"

    SCHEDULE_INTERVALS = {
        Schedule.HOURLY: timedelta(hours=1),
        Schedule.SIX_HOURLY: timedelta(hours=6),
        Schedule.DAILY: timedelta(days=1),
    }

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="sync_pairs"
    )
    source = models.ForeignKey(Collection, on_delete=models.CASCADE, related_name="pairs_as_source")
    # Null until the first run creates the target playlist (named ``target_name``).
    target = models.ForeignKey(
        Collection,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="pairs_as_target",
    )
    target_platform = models.CharField(max_length=16, choices=Platform.choices)
    target_name = models.CharField(max_length=255, blank=True)
    mode = models.CharField(max_length=16, choices=Mode.choices, default=Mode.ADD_ONLY)
    strict = models.BooleanField(
        default=False, help_text="Mirror only: also remove items added to the target by hand."
    )
    keep_order = models.BooleanField(default=False)
    keep_duplicates = models.BooleanField(default=False)
    schedule = models.CharField(max_length=16, choices=Schedule.choices, default=Schedule.MANUAL)
    enabled = models.BooleanField(default=True)
    next_run_at = models.DateTimeField(null=True, blank=True, db_index=True)
    # YouTube playlists hold 5,000 items: a longer source continues in "Name (2)", ...
    overflow_targets = models.JSONField(default=list, blank=True)
    # The two-way merge base was taken by the last successful run at this time.
    base_taken_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["created_at"]

    def __str__(self) -> str:
        target = self.target.name if self.target_id else f"new: {self.target_name}"
        arrow = "⇄" if self.mode == self.Mode.TWO_WAY else "→"
        return f"{self.source.name} {arrow} {target} ({self.get_mode_display()})"

    @property
    def interval(self) -> timedelta | None:
        return self.SCHEDULE_INTERVALS.get(self.schedule)

    @property
    def next_run_due(self) -> bool:
        """Its time has come: the scheduler fires it at its next round (within a minute)."""
        return self.next_run_at is not None and self.next_run_at <= timezone.now()

    def next_run_after(self, moment: datetime) -> datetime | None:
        """One interval after ``moment``, plus up to SCHEDULE_JITTER of it at random, so
        pairs spread out instead of firing together."""
        interval = self.interval
        if interval is None:
            return None
        return moment + interval + interval * SCHEDULE_JITTER * random.random()


class Run(models.Model):
    """One execution of a sync pair."""

    class Status(models.TextChoices):
        QUEUED = "queued", "Queued"
        RUNNING = "running", "Running"
        WAITING = "waiting", "Waiting"
        SUCCEEDED = "succeeded", "Succeeded"
        PARTIAL = "partial", "Partial"
        FAILED = "failed", "Failed"
        CANCELLED = "cancelled", "Cancelled"

    ACTIVE = (Status.QUEUED, Status.RUNNING, Status.WAITING)
    FINISHED = (Status.SUCCEEDED, Status.PARTIAL, Status.FAILED, Status.CANCELLED)

    class Trigger(models.TextChoices):
        MANUAL = "manual", "Manual"
        SCHEDULE = "schedule", "Schedule"
        API = "api", "API"
        COMMAND = "command", "Command line"
        RETRY = "retry", "Retry"
        UNDO = "undo", "Undo"

    class WaitReason(models.TextChoices):
        NONE = "", "—"
        QUOTA = "quota", "Waiting for YouTube quota"
        RATE_LIMIT = "rate_limit", "Waiting out a rate limit"
        RECONNECT = "reconnect", "Waiting for a reconnect"
        RETRY = "retry", "Waiting to try again after an error"
        TURN = "turn", "Letting other people use the YouTube quota"

    pair = models.ForeignKey(SyncPair, on_delete=models.CASCADE, related_name="runs")
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="runs"
    )
    status = models.CharField(max_length=16, choices=Status.choices, default=Status.QUEUED)
    trigger = models.CharField(max_length=16, choices=Trigger.choices, default=Trigger.MANUAL)
    dry_run = models.BooleanField(default=False)
    # This run's mode when it is not the pair's own (``sync_user --mode``): the pair keeps its.
    mode = models.CharField(max_length=16, choices=SyncPair.Mode.choices, blank=True)
    # The person confirmed removals a run held back (most of a side at once).
    confirm_removals = models.BooleanField(default=False)
    # Which ones, as [side, track id] pairs: those the person saw held back. Others the
    # source called for since are held back again if the whole would still take most of
    # a side. None: all of them (`sync_user --confirm-removals`).
    confirmed_removals = models.JSONField(null=True, blank=True)
    undo_of = models.ForeignKey(
        "self", null=True, blank=True, on_delete=models.SET_NULL, related_name="undone_by"
    )
    retry_of = models.ForeignKey(
        "self", null=True, blank=True, on_delete=models.SET_NULL, related_name="retried_by"
    )
    wait_reason = models.CharField(
        max_length=16, choices=WaitReason.choices, default=WaitReason.NONE, blank=True
    )
    resume_at = models.DateTimeField(null=True, blank=True, db_index=True)
    planned = models.BooleanField(default=False, help_text="The plan is stored.")
    added = models.PositiveIntegerField(default=0)
    removed = models.PositiveIntegerField(default=0)
    moved = models.PositiveIntegerField(default=0)
    kept = models.PositiveIntegerField(default=0)
    unmatched = models.PositiveIntegerField(default=0)
    unavailable = models.PositiveIntegerField(default=0)
    failed = models.PositiveIntegerField(default=0)
    progress_done = models.PositiveIntegerField(default=0)
    progress_total = models.PositiveIntegerField(default=0)
    progress_label = models.CharField(max_length=255, blank=True)
    created_at = models.DateTimeField(auto_now_add=True, db_index=True)
    started_at = models.DateTimeField(null=True, blank=True)
    finished_at = models.DateTimeField(null=True, blank=True)
    heartbeat_at = models.DateTimeField(null=True, blank=True)
    claimed_by = models.CharField(max_length=128, blank=True)
    attempts = models.PositiveIntegerField(default=0)
    error = models.TextField(blank=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["pair"],
                condition=models.Q(status__in=["queued", "running", "waiting"], dry_run=False),
                name="one_active_run_per_pair",
            )
        ]
        ordering = ["-created_at"]
        indexes = [models.Index(fields=["user", "-created_at"])]

    def __str__(self) -> str:
        return f"Run {self.pk} of pair {self.pair_id}: {self.status}"

    @property
    def is_active(self) -> bool:
        return self.status in self.ACTIVE

    @property
    def poll_every(self) -> str:
        """How often its page refreshes: a waiting run changes only when it resumes."""
        return "30s" if self.status == self.Status.WAITING else "2s"

    @property
    def progress_percent(self) -> int:
        # A finished run is done, whatever step its counter last reached (a run that
        # ends with unmatched items never counts them as "done").
        if self.status in self.FINISHED:
            return 100
        if not self.progress_total:
            return 0
        return min(100, round(100 * self.progress_done / self.progress_total))

    @property
    def resume_overdue(self) -> bool:
        """A waiting run whose resume time has passed: the scheduler's next round takes it."""
        return self.resume_at is not None and self.resume_at <= timezone.now()

    @property
    def duration(self) -> timedelta | None:
        if self.started_at and self.finished_at:
            return self.finished_at - self.started_at
        return None

    def is_stale(self, now=None) -> bool:
        now = now or timezone.now()
        last = self.heartbeat_at or self.started_at or self.created_at
        return now - last > timedelta(seconds=settings.RUN_STALE_AFTER_SECONDS)


class RunChange(models.Model):
    """One planned change of a run, and what became of it: the plan and the change log."""

    class Action(models.TextChoices):
        ADD = "add", "Add"
        REMOVE = "remove", "Remove"
        KEEP = "keep", "Keep"
        MOVE = "move", "Move"
        UNMATCHED = "unmatched", "Unmatched"
        UNAVAILABLE = "unavailable", "Unavailable"

    class Side(models.TextChoices):
        TARGET = "target", "Target"
        SOURCE = "source", "Source"

    class Outcome(models.TextChoices):
        PLANNED = "planned", "Planned"
        APPLIED = "applied", "Applied"
        FAILED = "failed", "Failed"
        SKIPPED = "skipped", "Skipped"

    run = models.ForeignKey(Run, on_delete=models.CASCADE, related_name="changes")
    seq = models.PositiveIntegerField()
    action = models.CharField(max_length=16, choices=Action.choices)
    side = models.CharField(max_length=8, choices=Side.choices, default=Side.TARGET)
    # The collection written (the target, an overflow playlist, or the source in two-way).
    collection = models.ForeignKey(
        Collection, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    # The item as it stands in the collection it came from, and its counterpart.
    item = models.ForeignKey(
        Track, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    counterpart = models.ForeignKey(
        Track, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    confidence = models.FloatField(null=True, blank=True)
    method = models.CharField(max_length=16, blank=True)
    position = models.IntegerField(null=True, blank=True)
    outcome = models.CharField(max_length=16, choices=Outcome.choices, default=Outcome.PLANNED)
    reason = models.TextField(blank=True)
    error = models.TextField(blank=True)
    # YouTube playlist-item id of an insert, so undo can delete exactly that entry.
    entry_id = models.CharField(max_length=128, blank=True)
    applied_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["run", "seq"], name="unique_change_seq")]
        ordering = ["run", "seq"]
        indexes = [models.Index(fields=["run", "action", "outcome"])]

    def __str__(self) -> str:
        return f"{self.action} {self.item or self.counterpart} ({self.outcome})"


class SyncedItem(models.Model):
    """A source item and its counterpart in the target, as the pair last agreed.

    For two-way pairs these rows are the merge base (written when a run succeeds);
    for mirror pairs ``added_by_sync`` tells what the sync itself put in the target.
    """

    pair = models.ForeignKey(SyncPair, on_delete=models.CASCADE, related_name="synced_items")
    source_track = models.ForeignKey(Track, on_delete=models.PROTECT, related_name="+")
    target_track = models.ForeignKey(Track, on_delete=models.PROTECT, related_name="+")
    added_by_sync = models.BooleanField(default=False)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["pair", "source_track", "target_track"], name="unique_synced_item"
            )
        ]

    def __str__(self) -> str:
        return f"{self.source_track} ↔ {self.target_track}"


class MatchMethod(models.TextChoices):
    PINNED = "pinned", "Your choice"
    CACHE = "cache", "Match cache"
    ISRC = "isrc", "ISRC"
    SEARCH = "search", "Search"
    EXISTING = "existing", "Already in target"


class MatchCache(models.Model):
    """What a source track maps to on the other platform, shared by everybody.

    A row with no ``target`` remembers that a search found nothing, so the next
    person does not spend YouTube quota on the same search until it expires.
    """

    source = models.ForeignKey(Track, on_delete=models.CASCADE, related_name="+")
    target_platform = models.CharField(max_length=16, choices=Platform.choices)
    target = models.ForeignKey(
        Track, null=True, blank=True, on_delete=models.CASCADE, related_name="+"
    )
    confidence = models.FloatField(default=0)
    method = models.CharField(max_length=16, choices=MatchMethod.choices)
    reasons = models.JSONField(default=list, blank=True)
    # For a "nothing found" row: the best candidates seen, for the review queue.
    candidates = models.JSONField(default=list, blank=True)
    hits = models.PositiveIntegerField(default=0)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["source", "target_platform"], name="one_cached_match_per_direction"
            )
        ]
        verbose_name_plural = "match cache"

    def __str__(self) -> str:
        return f"{self.source} → {self.target or 'no match'} ({self.method})"


class MatchChoice(models.Model):
    """A person's own decision for a track: pin a counterpart, or never match it."""

    class Kind(models.TextChoices):
        PIN = "pin", "Pinned"
        NEVER = "never", "Never match"

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="match_choices"
    )
    source = models.ForeignKey(Track, on_delete=models.CASCADE, related_name="+")
    target_platform = models.CharField(max_length=16, choices=Platform.choices)
    kind = models.CharField(max_length=8, choices=Kind.choices)
    target = models.ForeignKey(
        Track, null=True, blank=True, on_delete=models.CASCADE, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["user", "source", "target_platform"], name="one_choice_per_track"
            ),
            models.CheckConstraint(
                condition=models.Q(kind="never", target=None)
                | models.Q(kind="pin", target__isnull=False),
                name="pin_has_target_never_has_none",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.get_kind_display()}: {self.source}"


class ReviewItem(models.Model):
    """A track the matcher was not sure about, waiting for the person to decide."""

    class Status(models.TextChoices):
        OPEN = "open", "Open"
        RESOLVED = "resolved", "Resolved"
        NEVER = "never", "Never match"

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="review_items"
    )
    pair = models.ForeignKey(
        SyncPair, null=True, blank=True, on_delete=models.SET_NULL, related_name="review_items"
    )
    run = models.ForeignKey(Run, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    source = models.ForeignKey(Track, on_delete=models.CASCADE, related_name="+")
    target_platform = models.CharField(max_length=16, choices=Platform.choices)
    # [{"track": <Track id>, "confidence": float, "reasons": [str, ...]}, ...], best first.
    candidates = models.JSONField(default=list, blank=True)
    best_confidence = models.FloatField(default=0)
    status = models.CharField(max_length=8, choices=Status.choices, default=Status.OPEN)
    chosen = models.ForeignKey(
        Track, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    resolved_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["user", "source", "target_platform"],
                condition=models.Q(status="open"),
                name="one_open_review_per_track",
            )
        ]
        ordering = ["-best_confidence", "created_at"]

    def __str__(self) -> str:
        return f"Review {self.source} ({self.status})"
