"""What the REST API shows of connections, libraries and the quota. All read-only.

Tokens, token versions and scopes never leave the server: fields are listed one by one,
so a new model field is not exposed until somebody decides it should be.
"""

from __future__ import annotations

from rest_framework import serializers

from platforms.models import Collection, Connection, Platform, Track


class TrackSerializer(serializers.ModelSerializer):
    artists = serializers.ListField(child=serializers.CharField(), read_only=True)
    url = serializers.CharField(read_only=True)

    class Meta:
        model = Track
        fields = [
            "id",
            "platform",
            "platform_id",
            "title",
            "artists",
            "album",
            "duration_ms",
            "isrc",
            "channel",
            "available",
            "url",
        ]
        read_only_fields = fields


class ConnectionSerializer(serializers.ModelSerializer):
    class Meta:
        model = Connection
        fields = [
            "id",
            "platform",
            "state",
            "state_reason",
            "account_id",
            "account_name",
            "import_status",
            "import_progress",
            "last_import_at",
            "created_at",
        ]
        read_only_fields = fields


class ImportStartedSerializer(serializers.Serializer):
    queued = serializers.BooleanField(
        help_text="False when an import was already queued or running (it goes on)."
    )
    connection = ConnectionSerializer()


class CollectionSerializer(serializers.ModelSerializer):
    platform = serializers.ChoiceField(
        source="connection.platform", choices=Platform.choices, read_only=True
    )
    connection = serializers.PrimaryKeyRelatedField(read_only=True)

    class Meta:
        model = Collection
        fields = [
            "id",
            "platform",
            "connection",
            "kind",
            "platform_id",
            "name",
            "description",
            "item_count",
            "editable",
            "items_readable",
            "removed",
            "imported_at",
        ]
        read_only_fields = fields
        extra_kwargs = {
            "items_readable": {
                "help_text": "False when the platform refuses to list the items (a playlist "
                "the person follows but neither owns nor collaborates on): item_count is the "
                "platform's, no items are listed, and it cannot be a pair's source."
            }
        }


class CollectionItemSerializer(serializers.Serializer):
    """One position of a collection, with what it is synced to on the other platform."""

    position = serializers.IntegerField()
    track = TrackSerializer(allow_null=True, help_text="Null for an item the platform hides.")
    added_at = serializers.DateTimeField(allow_null=True)
    counterpart = TrackSerializer(
        allow_null=True, help_text="The synced item on the other platform, if any."
    )
    confidence = serializers.FloatField(allow_null=True)
    method = serializers.CharField(help_text="How the counterpart was matched (empty if none).")


class QuotaSerializer(serializers.Serializer):
    daily_limit = serializers.IntegerField(help_text="YouTube units per Pacific day.")
    units_left_today = serializers.IntegerField(help_text="Shared by everybody on this server.")
    units_spent_today = serializers.IntegerField()
    units_spent_by_me_today = serializers.IntegerField()
    resets_at = serializers.DateTimeField(help_text="Midnight Pacific time.")
