"""Operators' view of connections, libraries and the YouTube quota. Tokens never appear."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.contrib import admin, messages
from django.contrib.auth import get_user_model
from django.db.models import Max, QuerySet, Sum
from django.http import HttpRequest, HttpResponse

from platforms.models import Collection, Connection, QuotaLedger, Track


@admin.register(Connection)
class ConnectionAdmin(admin.ModelAdmin):
    # Tokens are never listed, shown or editable here.
    list_display = ["user", "platform", "state", "account_name", "import_status", "last_import_at"]
    list_filter = ["platform", "state", "import_status"]
    search_fields = ["user__email", "account_name", "account_id"]
    exclude = ["access_token", "refresh_token"]
    readonly_fields = ["token_expires_at", "token_version", "created_at", "updated_at"]
    raw_id_fields = ["user"]
    list_select_related = ["user"]
    actions = ["reset_to_needs_reconnect"]

    @admin.action(description="Reset to “needs reconnect” (the person must sign in again)")
    def reset_to_needs_reconnect(self, request: HttpRequest, queryset: QuerySet) -> None:
        # The tokens stay until the person reconnects; nothing uses them meanwhile.
        changed = queryset.exclude(state=Connection.State.DISCONNECTED).update(
            state=Connection.State.NEEDS_RECONNECT, state_reason="reset by an operator"
        )
        self.message_user(
            request, f"{changed} connection(s) now need a reconnect.", messages.SUCCESS
        )


class ConnectionInline(admin.TabularInline):
    """A person's connections on their user page: state only, never tokens."""

    model = Connection
    fields = [
        "platform",
        "state",
        "state_reason",
        "account_name",
        "import_status",
        "last_import_at",
    ]
    readonly_fields = fields
    extra = 0
    can_delete = False
    show_change_link = True

    def has_add_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


@admin.register(Track)
class TrackAdmin(admin.ModelAdmin):
    list_display = [
        "title",
        "artist_line",
        "platform",
        "platform_id",
        "isrc",
        "duration_ms",
        "available",
    ]
    list_filter = ["platform", "available"]
    search_fields = ["title", "platform_id", "isrc", "channel"]


@admin.register(Collection)
class CollectionAdmin(admin.ModelAdmin):
    list_display = ["name", "kind", "connection", "item_count", "imported_at", "removed"]
    list_filter = ["kind", "connection__platform", "removed"]
    search_fields = ["name", "platform_id", "connection__user__email"]
    raw_id_fields = ["connection"]
    list_select_related = ["connection__user"]


@admin.register(QuotaLedger)
class QuotaLedgerAdmin(admin.ModelAdmin):
    list_display = [
        "day",
        "user",
        "units",
        "calls",
        "searches",
        "writes",
        "refused_at",
        "updated_at",
    ]
    list_filter = ["day"]
    search_fields = ["user__email"]
    date_hierarchy = "day"
    list_select_related = ["user"]
    change_list_template = "admin/platforms/quotaledger/change_list.html"
    DAYS_SHOWN = 14

    def changelist_view(
        self, request: HttpRequest, extra_context: dict | None = None
    ) -> HttpResponse:
        # Above the per-person rows: what the whole deployment spent each day.
        days = (
            QuotaLedger.objects.values("day")
            .annotate(
                units=Sum("units"),
                calls=Sum("calls"),
                searches=Sum("searches"),
                writes=Sum("writes"),
                refused=Max("refused_at"),
            )
            .order_by("-day")[: self.DAYS_SHOWN]
        )
        daily = settings.YOUTUBE_DAILY_QUOTA
        extra_context = {
            **(extra_context or {}),
            "quota_days": [
                {
                    **row,
                    # YouTube's quotaExceeded beats the ledger: the project spends elsewhere too.
                    "left": 0 if row["refused"] else max(0, daily - row["units"]),
                    "percent": round(100 * row["units"] / daily),
                }
                for row in days
            ],
            "quota_daily": daily,
        }
        return super().changelist_view(request, extra_context=extra_context)


def _attach_to_user_admin(*inlines: type[admin.options.InlineModelAdmin]) -> None:
    """Show the given inlines on the person's page of the accounts app's user admin.

    The user admin belongs to accounts; adding inlines here keeps what a connection or
    a pair shows next to the app that owns it.
    """
    user_admin = admin.site._registry.get(get_user_model())
    if user_admin is not None:
        user_admin.inlines = [*user_admin.inlines, *inlines]


_attach_to_user_admin(ConnectionInline)
