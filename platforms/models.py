"""What we keep of each person's platforms: connections, tracks, collections, quota."""

from __future__ import annotations

from django.conf import settings
from django.core.serializers.json import DjangoJSONEncoder
from django.db import models
from django.utils import timezone

from musicsync.crypto import EncryptedTextField
from platforms.types import Platform as PlatformKind
from platforms.types import Track as TrackInfo


class Platform(models.TextChoices):
    SPOTIFY = "spotify", "Spotify"
    YOUTUBE = "youtube", "YouTube"


class Connection(models.Model):
    """One person's authorised account on one platform."""

    class State(models.TextChoices):
        ACTIVE = "active", "Active"
        NEEDS_RECONNECT = "needs_reconnect", "Needs reconnect"
        DISCONNECTED = "disconnected", "Disconnected"

    class ImportStatus(models.TextChoices):
        NEVER = "never", "Never imported"
        QUEUED = "queued", "Queued"
        RUNNING = "running", "Importing"
        DONE = "done", "Imported"
        FAILED = "failed", "Failed"

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="connections"
    )
    platform = models.CharField(max_length=16, choices=Platform.choices)
    state = models.CharField(max_length=20, choices=State.choices, default=State.ACTIVE)
    account_id = models.CharField(max_length=255, blank=True)
    account_name = models.CharField(max_length=255, blank=True)
    access_token = EncryptedTextField(blank=True, default="")
    refresh_token = EncryptedTextField(blank=True, default="")
    token_expires_at = models.DateTimeField(null=True, blank=True)
    scopes = models.TextField(blank=True, default="")
    # Bumped on every token write, so concurrent refreshes can compare-and-swap.
    token_version = models.PositiveIntegerField(default=0)
    state_reason = models.CharField(max_length=255, blank=True)
    import_status = models.CharField(
        max_length=16, choices=ImportStatus.choices, default=ImportStatus.NEVER
    )
    import_progress = models.CharField(max_length=255, blank=True)
    last_import_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["user", "platform"], name="one_connection_per_platform")
        ]
        ordering = ["platform"]

    def __str__(self) -> str:
        return f"{self.get_platform_display()} of {self.user} ({self.account_name or '—'})"

    @property
    def kind(self) -> PlatformKind:
        return PlatformKind(self.platform)

    @property
    def is_active(self) -> bool:
        return self.state == self.State.ACTIVE


class UnicodeJSONEncoder(DjangoJSONEncoder):
    """Stores "Björk" as written, so searching the JSON text finds it on every database."""

    def __init__(self, *args, **kwargs):
        kwargs["ensure_ascii"] = False
        super().__init__(*args, **kwargs)


class Track(models.Model):
    """A song or video on one platform, shared by everybody who has it."""

    platform = models.CharField(max_length=16, choices=Platform.choices)
    platform_id = models.CharField(max_length=64)
    title = models.TextField()
    artists = models.JSONField(default=list, blank=True, encoder=UnicodeJSONEncoder)
    album = models.TextField(blank=True, default="")
    duration_ms = models.PositiveIntegerField(null=True, blank=True)
    isrc = models.CharField(max_length=16, blank=True, default="", db_index=True)
    channel = models.TextField(blank=True, default="")
    available = models.BooleanField(default=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["platform", "platform_id"], name="unique_platform_track"
            )
        ]

    def __str__(self) -> str:
        who = ", ".join(self.artists) if self.artists else self.channel
        return f"{self.title} — {who}" if who else self.title

    @property
    def artist_line(self) -> str:
        return ", ".join(self.artists) if self.artists else self.channel

    @property
    def url(self) -> str:
        if self.platform == Platform.SPOTIFY:
            return f"https://open.spotify.com/track/{self.platform_id}"
        return f"https://www.youtube.com/watch?v={self.platform_id}"

    def to_info(self) -> TrackInfo:
        return TrackInfo(
            platform=PlatformKind(self.platform),
            platform_id=self.platform_id,
            title=self.title,
            artists=tuple(self.artists or ()),
            album=self.album,
            duration_ms=self.duration_ms,
            isrc=self.isrc,
            channel=self.channel,
            available=self.available,
        )


class Collection(models.Model):
    """A playlist, or the liked songs, of one connection."""

    class Kind(models.TextChoices):
        PLAYLIST = "playlist", "Playlist"
        LIKED = "liked", "Liked songs"

    connection = models.ForeignKey(Connection, on_delete=models.CASCADE, related_name="collections")
    kind = models.CharField(max_length=16, choices=Kind.choices, default=Kind.PLAYLIST)
    platform_id = models.CharField(max_length=128, blank=True)
    name = models.TextField()
    description = models.TextField(blank=True, default="")
    # Spotify snapshot_id or YouTube etag of the last import: unchanged means not read again.
    version = models.CharField(max_length=255, blank=True, default="")
    item_count = models.PositiveIntegerField(default=0)
    editable = models.BooleanField(default=True)
    imported_at = models.DateTimeField(null=True, blank=True)
    # Gone from the platform (deleted there) but kept so history stays readable.
    removed = models.BooleanField(default=False)
    # False when the platform refuses to list the items (a playlist the person follows
    # but neither owns nor collaborates on): item_count is the platform's, items are none.
    items_readable = models.BooleanField(default=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["connection", "kind", "platform_id"], name="unique_collection"
            ),
            models.UniqueConstraint(
                fields=["connection"],
                condition=models.Q(kind="liked"),
                name="one_liked_collection_per_connection",
            ),
        ]
        ordering = ["kind", "name"]

    def __str__(self) -> str:
        return f"{self.name} ({self.connection.get_platform_display()})"

    @property
    def platform(self) -> str:
        return self.connection.platform

    @property
    def is_liked(self) -> bool:
        return self.kind == self.Kind.LIKED

    @property
    def unreadable_reason(self) -> str:
        """Why the songs of a playlist whose items the platform refuses can't be shown or synced."""
        return (
            f"{self.connection.get_platform_display()} does not let apps read the songs of a "
            "playlist you follow but don't own or collaborate on."
        )


class CollectionItem(models.Model):
    """One position in a collection. ``track`` is null for an item the platform hid."""

    collection = models.ForeignKey(Collection, on_delete=models.CASCADE, related_name="items")
    position = models.PositiveIntegerField()
    track = models.ForeignKey(Track, null=True, blank=True, on_delete=models.PROTECT)
    # YouTube's playlist-item id (needed to delete); empty for Spotify.
    entry_id = models.CharField(max_length=128, blank=True, default="")
    added_at = models.DateTimeField(null=True, blank=True)
    # An empty item that held one of these tracks, the import could not tell which
    # (``_recognise_empty_entries``): none of them counts as removed.
    possible_track_ids = models.JSONField(null=True, blank=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["collection", "position"], name="unique_item_position")
        ]
        ordering = ["collection", "position"]
        indexes = [models.Index(fields=["collection", "track"])]

    def __str__(self) -> str:
        return f"{self.position}: {self.track or 'unavailable item'}"


def pacific_day(moment=None):
    """The YouTube quota day: it resets at midnight Pacific time."""
    from zoneinfo import ZoneInfo

    moment = moment or timezone.now()
    return moment.astimezone(ZoneInfo("America/Los_Angeles")).date()


class QuotaLedger(models.Model):
    """YouTube quota units spent, per Pacific day and person (null: no person, e.g. system)."""

    day = models.DateField()
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL
    )
    units = models.PositiveIntegerField(default=0)
    calls = models.PositiveIntegerField(default=0)
    searches = models.PositiveIntegerField(default=0)
    writes = models.PositiveIntegerField(default=0)
    # Set on the day's system row when YouTube answered quotaExceeded: the project's
    # quota is then spent whatever the units above say (it is also used elsewhere).
    refused_at = models.DateTimeField(null=True, blank=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["day", "user"], name="one_ledger_row_per_day_person"),
            models.UniqueConstraint(
                fields=["day"], condition=models.Q(user=None), name="one_system_ledger_row_per_day"
            ),
        ]
        ordering = ["-day"]
        verbose_name = "quota ledger entry"
        verbose_name_plural = "quota ledger"

    def __str__(self) -> str:
        return f"{self.day}: {self.units} units ({self.user or 'system'})"
