from django.contrib import admin

from syncing.models import MatchCache, MatchChoice, ReviewItem, Run, RunChange, SyncPair


@admin.register(SyncPair)
class SyncPairAdmin(admin.ModelAdmin):
    list_display = ["__str__", "user", "mode", "schedule", "enabled", "next_run_at"]
    list_filter = ["mode", "schedule", "enabled", "target_platform"]
    search_fields = ["user__email", "source__name", "target__name", "target_name"]
    raw_id_fields = ["user", "source", "target"]
    list_select_related = ["user", "source", "target"]


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
        "unmatched",
        "failed",
        "created_at",
        "finished_at",
    ]
    list_filter = ["status", "trigger", "dry_run", "pair__target_platform", "wait_reason"]
    search_fields = ["user__email", "error"]
    raw_id_fields = ["pair", "user", "undo_of", "retry_of"]
    list_select_related = ["pair__source", "pair__target", "user"]
    date_hierarchy = "created_at"


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
