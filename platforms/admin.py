from django.contrib import admin

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
    list_display = ["day", "user", "units", "calls", "searches", "writes", "updated_at"]
    list_filter = ["day"]
    search_fields = ["user__email"]
    date_hierarchy = "day"
