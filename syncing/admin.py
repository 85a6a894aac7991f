"""Operators' view of pairs, runs and matches, with the actions an operator needs.

An operator finds a person (the user admin shows their connections, pairs and recent
runs), runs a pair now, cancels a run, and clears a stale lock: an "active" run whose
worker died, which would otherwise keep the pair from ever running again.
"""

from __future__ import annotations

from typing import Any

from django.contrib import admin, messages
from django.core.exceptions import ValidationError
from django.db.models import QuerySet
from django.http import HttpRequest
from django.utils import timezone

from platforms.admin import _attach_to_user_admin
from syncing.models import MatchCache, MatchChoice, ReviewItem, Run, RunChange, SyncPair
from syncing.services.runs import run_cancel, run_start


class _ReadOnlyInline(admin.TabularInline):
    extra = 0
    can_delete = False
    show_change_link = True

    def has_add_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


class SyncPairInline(_ReadOnlyInline):
    model = SyncPair
    fk_name = "user"
    fields = ["source", "target", "target_name", "mode", "schedule", "enabled", "next_run_at"]
    readonly_fields = fields


class RecentRunInline(_ReadOnlyInline):
    """The person's latest runs, with their errors, on their user page."""

    model = Run
    fk_name = "user"
    fields = ["created_at", "pair", "status", "trigger", "added", "removed", "failed", "error"]
    readonly_fields = fields
    verbose_name_plural = "recent runs"
    MAX = 20

    def get_queryset(self, request: HttpRequest) -> QuerySet:
        # An inline cannot slice its queryset, so keep the ids of each person's latest.
        qs = super().get_queryset(request).select_related("pair__source", "pair__target")
        user_id = request.resolver_match.kwargs.get("object_id") if request.resolver_match else None
        if user_id:
            latest = Run.objects.filter(user_id=user_id).order_by("-created_at")[: self.MAX]
            qs = qs.filter(pk__in=list(latest.values_list("pk", flat=True)))
        return qs.order_by("-created_at")


class PairRunInline(_ReadOnlyInline):
    model = Run
    fk_name = "pair"
    fields = ["created_at", "status", "trigger", "added", "removed", "failed", "error"]
    readonly_fields = fields
    verbose_name_plural = "runs"

    def get_queryset(self, request: HttpRequest) -> QuerySet:
        return super().get_queryset(request).order_by("-created_at")


class RunChangeInline(_ReadOnlyInline):
    model = RunChange
    fields = [
        "seq",
        "action",
        "side",
        "item",
        "counterpart",
        "confidence",
        "outcome",
        "reason",
        "error",
    ]
    readonly_fields = fields
    show_change_link = False
    MAX = 200

    def get_queryset(self, request: HttpRequest) -> QuerySet:
        # Failures first: they are what an operator opens a run for.
        return (
            super()
            .get_queryset(request)
            .select_related("item", "counterpart")
            .order_by("-outcome", "seq")
        )


class PlatformFilter(admin.SimpleListFilter):
    """Every run touches both platforms; what tells them apart is the direction."""

    title = "platform"
    parameter_name = "platform"

    def lookups(self, request: HttpRequest, model_admin: Any) -> list[tuple[str, str]]:
        return [("youtube", "Spotify → YouTube"), ("spotify", "YouTube → Spotify")]

    def queryset(self, request: HttpRequest, queryset: QuerySet) -> QuerySet:
        if self.value() in {"spotify", "youtube"}:
            return queryset.filter(pair__target_platform=self.value())
        return queryset


@admin.register(SyncPair)
class SyncPairAdmin(admin.ModelAdmin):
    list_display = ["__str__", "user", "mode", "schedule", "enabled", "next_run_at"]
    list_filter = ["mode", "schedule", "enabled", "target_platform"]
    search_fields = ["user__email", "source__name", "target__name", "target_name"]
    raw_id_fields = ["user", "source", "target"]
    list_select_related = ["user", "source", "target"]
    inlines = [PairRunInline]
    actions = ["run_now"]

    @admin.action(description="Run now")
    def run_now(self, request: HttpRequest, queryset: QuerySet) -> None:
        runs = []
        for pair in queryset:
            try:
                runs.append(run_start(pair=pair, trigger=Run.Trigger.MANUAL))
            except ValidationError as error:
                self.message_user(
                    request,
                    f"Pair #{pair.pk} not started: {' '.join(error.messages)}",
                    messages.ERROR,
                )
        if runs:
            self.message_user(
                request,
                f"Queued or joined {len(runs)} run(s): {', '.join(f'#{r.pk}' for r in runs)}.",
                messages.SUCCESS,
            )


@admin.register(Run)
class RunAdmin(admin.ModelAdmin):
    list_display = [
        "id",
        "pair",
        "user",
        "status",
        "trigger",
        "dry_run",
        "added",
        "removed",
        "moved",
        "unmatched",
        "failed",
        "created_at",
        "finished_at",
        "short_error",
    ]
    list_filter = [
        "status",
        PlatformFilter,
        "trigger",
        "dry_run",
        "wait_reason",
    ]
    search_fields = ["user__email", "error"]
    raw_id_fields = ["pair", "user", "undo_of", "retry_of"]
    list_select_related = ["pair__source", "pair__target", "user"]
    date_hierarchy = "created_at"
    inlines = [RunChangeInline]
    actions = ["cancel_runs", "clear_stale_locks"]

    @admin.display(description="error")
    def short_error(self, run: Run) -> str:
        return run.error[:120]

    @admin.action(description="Cancel")
    def cancel_runs(self, request: HttpRequest, queryset: QuerySet) -> None:
        cancelled = sum(run_cancel(run=run) for run in queryset)
        self.message_user(request, f"Cancelled {cancelled} active run(s).", messages.SUCCESS)

    @admin.action(description="Clear stale lock (end active runs whose worker stopped)")
    def clear_stale_locks(self, request: HttpRequest, queryset: QuerySet) -> None:
        now = timezone.now()
        stale = [run.pk for run in queryset.filter(status__in=Run.ACTIVE) if run.is_stale(now)]
        # Conditional on the status, so a run a worker just finished is left alone.
        cleared = Run.objects.filter(pk__in=stale, status__in=Run.ACTIVE).update(
            status=Run.Status.FAILED,
            finished_at=now,
            progress_label="Stopped by an operator",
            error="Stopped by an operator: its worker had stopped reporting progress.",
        )
        skipped = queryset.count() - cleared
        self.message_user(
            request,
            f"Cleared {cleared} stale run(s); the pairs can run again."
            + (f" {skipped} were finished or still alive and were left alone." if skipped else ""),
            messages.SUCCESS if cleared else messages.WARNING,
        )


@admin.register(RunChange)
class RunChangeAdmin(admin.ModelAdmin):
    list_display = ["run", "seq", "action", "side", "item", "counterpart", "confidence", "outcome"]
    list_filter = ["action", "outcome", "side"]
    raw_id_fields = ["run", "item", "counterpart"]
    list_select_related = ["item", "counterpart"]


@admin.register(MatchCache)
class MatchCacheAdmin(admin.ModelAdmin):
    list_display = [
        "source",
        "target_platform",
        "target",
        "confidence",
        "method",
        "hits",
        "updated_at",
    ]
    list_filter = ["target_platform", "method"]
    search_fields = ["source__title", "target__title", "source__platform_id"]
    raw_id_fields = ["source", "target"]
    list_select_related = ["source", "target"]


@admin.register(MatchChoice)
class MatchChoiceAdmin(admin.ModelAdmin):
    list_display = ["user", "source", "target_platform", "kind", "target", "created_at"]
    list_filter = ["kind", "target_platform"]
    search_fields = ["user__email", "source__title"]
    raw_id_fields = ["user", "source", "target"]


@admin.register(ReviewItem)
class ReviewItemAdmin(admin.ModelAdmin):
    list_display = ["user", "source", "target_platform", "best_confidence", "status", "created_at"]
    list_filter = ["status", "target_platform"]
    search_fields = ["user__email", "source__title"]
    raw_id_fields = ["user", "pair", "run", "source", "chosen"]


_attach_to_user_admin(SyncPairInline, RecentRunInline)
