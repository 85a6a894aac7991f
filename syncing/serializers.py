"""What the REST API shows and accepts for pairs, runs, their changes and the review queue.

Only a pair's settings are writable. Everything a person must not set (the owner, a
run's status and counts, timings) is read-only here, so a body that carries it is
ignored rather than obeyed.
"""

from __future__ import annotations

from functools import cached_property
from typing import Any

from django.db.models import QuerySet
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from platforms.models import Collection, Platform, Track
from platforms.selectors import other_platform
from platforms.serializers import TrackSerializer
from syncing import selectors
from syncing.models import ReviewItem, Run, RunChange, SyncPair
from syncing.services.pairs import pair_create, pair_update
from syncing.services.runs import run_held_removals


class OwnCollectionField(serializers.PrimaryKeyRelatedField):
    """A playlist id that must be one of the caller's: anybody else's reads as not existing."""

    def get_queryset(self) -> QuerySet[Collection]:
        request = self.context.get("request")
        if request is None or not request.user.is_authenticated:
            return Collection.objects.none()
        return Collection.objects.filter(connection__user=request.user).select_related("connection")


class RunSummarySerializer(serializers.ModelSerializer):
    class Meta:
        model = Run
        fields = ["id", "status", "dry_run", "created_at", "finished_at"]
        read_only_fields = fields


class PairSerializer(serializers.ModelSerializer):
    source = OwnCollectionField(queryset=Collection.objects.all())
    source_name = serializers.CharField(source="source.name", read_only=True)
    source_platform = serializers.ChoiceField(
        source="source.connection.platform", choices=Platform.choices, read_only=True
    )
    target = OwnCollectionField(
        queryset=Collection.objects.all(),
        allow_null=True,
        required=False,
        help_text="An existing playlist; leave out (or null) to create one named target_name.",
    )
    target_playlist_name = serializers.CharField(
        source="target.name",
        read_only=True,
        allow_null=True,
        help_text="The target playlist's name on its platform; null until the first run "
        "creates that playlist (named target_name).",
    )
    last_run = serializers.SerializerMethodField()

    class Meta:
        model = SyncPair
        fields = [
            "id",
            "source",
            "source_name",
            "source_platform",
            "target",
            "target_platform",
            "target_name",
            "target_playlist_name",
            "mode",
            "strict",
            "keep_order",
            "keep_duplicates",
            "schedule",
            "enabled",
            "next_run_at",
            "last_run",
            "created_at",
            "updated_at",
        ]
        read_only_fields = ["id", "next_run_at", "created_at", "updated_at"]
        extra_kwargs = {
            "keep_duplicates": {
                "help_text": "Add only and mirror only: two way keeps one copy of each song "
                "on both sides, and refuses true."
            },
            "target_platform": {
                "required": False,
                "help_text": "The platform the target is on; the other one than the source's "
                "when left out.",
            },
        }

    @extend_schema_field(RunSummarySerializer(allow_null=True))
    def get_last_run(self, pair: SyncPair) -> dict[str, Any] | None:
        # pairs_for_user attaches it to every pair of a list in one query; a single pair
        # (detail, create, update) looks it up.
        if hasattr(pair, "last_run"):
            run = pair.last_run
        else:
            run = pair.runs.filter(dry_run=False).order_by("-created_at", "-pk").first()
        return self._run_summary.to_representation(run) if run is not None else None

    @cached_property
    def _run_summary(self) -> RunSummarySerializer:
        # One for the whole list: building a serializer's fields costs more than using them.
        return RunSummarySerializer()

    def create(self, validated_data: dict[str, Any]) -> SyncPair:
        user = self.context["request"].user
        target = validated_data.pop("target", None)
        if "target_platform" not in validated_data:
            # There is only one right answer; asking for it hid the real error (a target
            # on the source's own platform said only "target_platform is required").
            source_platform = validated_data["source"].connection.platform
            if target is not None and target.connection.platform == source_platform:
                raise serializers.ValidationError(
                    {"target": ["The target must be on the other platform than the source."]}
                )
            validated_data["target_platform"] = other_platform(source_platform)
        return pair_create(user=user, target=target, **validated_data)


class PairUpdateSerializer(PairSerializer):
    """What a pair lets you change once it exists: not its source or its target."""

    source = serializers.PrimaryKeyRelatedField(read_only=True)
    target = serializers.PrimaryKeyRelatedField(read_only=True, allow_null=True)

    class Meta(PairSerializer.Meta):
        read_only_fields = [*PairSerializer.Meta.read_only_fields, "target_platform"]

    def validate(self, attrs: dict[str, Any]) -> dict[str, Any]:
        # Read-only fields are dropped silently by DRF; a changed one is refused instead,
        # so a client never believes it moved a pair it did not move.
        now = {
            "source": self.instance.source_id,
            "target": self.instance.target_id,
            "target_platform": self.instance.target_platform,
        }
        sent = self.initial_data if hasattr(self.initial_data, "get") else {}
        errors = {
            field: [f"A pair's {field.replace('_', ' ')} can't be changed: create a new pair."]
            for field, value in now.items()
            if field in sent and str(sent.get(field) or "") != str(value or "")
        }
        if errors:
            raise serializers.ValidationError(errors)
        return super().validate(attrs)

    def update(self, instance: SyncPair, validated_data: dict[str, Any]) -> SyncPair:
        return pair_update(pair=instance, **validated_data)


class RunSerializer(serializers.ModelSerializer):
    pair = serializers.PrimaryKeyRelatedField(read_only=True)
    progress_percent = serializers.IntegerField(read_only=True)

    class Meta:
        model = Run
        fields = [
            "id",
            "pair",
            "status",
            "trigger",
            "dry_run",
            "undo_of",
            "retry_of",
            "wait_reason",
            "resume_at",
            "added",
            "removed",
            "moved",
            "kept",
            "unmatched",
            "unavailable",
            "failed",
            "progress_done",
            "progress_total",
            "progress_percent",
            "progress_label",
            "error",
            "created_at",
            "started_at",
            "finished_at",
        ]
        read_only_fields = fields


class ChangeCountsSerializer(serializers.Serializer):
    add = serializers.IntegerField()
    remove = serializers.IntegerField()
    keep = serializers.IntegerField()
    move = serializers.IntegerField()
    unmatched = serializers.IntegerField(help_text="Items with no counterpart found.")
    unavailable = serializers.IntegerField()
    never = serializers.IntegerField(help_text="Items the person said never to match.")
    done = serializers.IntegerField(help_text="Adds and removals that landed.")
    pending = serializers.IntegerField(help_text="Adds and removals still only planned.")
    failed = serializers.IntegerField(help_text="Changes of any action whose write failed.")


class RunDetailSerializer(RunSerializer):
    change_counts = serializers.SerializerMethodField()
    can_undo = serializers.SerializerMethodField()
    held_removals = serializers.SerializerMethodField(
        help_text="Removals this finished run held back because they would take most of a"
        " side at once; POST confirm-removals carries them out. In a dry run, what a real"
        " run would hold back."
    )

    class Meta(RunSerializer.Meta):
        fields = [*RunSerializer.Meta.fields, "change_counts", "can_undo", "held_removals"]
        read_only_fields = fields

    @extend_schema_field(ChangeCountsSerializer)
    def get_change_counts(self, run: Run) -> dict[str, int]:
        return selectors.run_change_counts(run=run)

    def get_can_undo(self, run: Run) -> bool:
        return selectors.run_can_undo(run=run)

    def get_held_removals(self, run: Run) -> int:
        # As on the run page: removals can be confirmed once the run has ended.
        return run_held_removals(run=run) if run.status in Run.FINISHED else 0


class RunChangeSerializer(serializers.ModelSerializer):
    item = TrackSerializer(read_only=True, allow_null=True)
    counterpart = TrackSerializer(read_only=True, allow_null=True)

    class Meta:
        model = RunChange
        fields = [
            "seq",
            "action",
            "side",
            "collection",
            "item",
            "counterpart",
            "confidence",
            "method",
            "position",
            "outcome",
            "reason",
            "error",
            "applied_at",
        ]
        read_only_fields = fields


class CandidateSerializer(serializers.Serializer):
    track = TrackSerializer()
    confidence = serializers.FloatField()
    reasons = serializers.ListField(child=serializers.CharField())


class ReviewItemSerializer(serializers.ModelSerializer):
    source = TrackSerializer(read_only=True)
    chosen = TrackSerializer(read_only=True, allow_null=True)
    candidates = serializers.SerializerMethodField()

    class Meta:
        model = ReviewItem
        fields = [
            "id",
            "pair",
            "run",
            "source",
            "target_platform",
            "candidates",
            "best_confidence",
            "status",
            "chosen",
            "created_at",
            "resolved_at",
        ]
        read_only_fields = fields

    @extend_schema_field(CandidateSerializer(many=True))
    def get_candidates(self, item: ReviewItem) -> list[dict[str, Any]]:
        # review_items_open attaches the candidates of a whole page in one query.
        found = getattr(item, "candidate_list", None)
        if found is None:
            found = _candidate_list(item)
        return CandidateSerializer(found, many=True).data


def _candidate_list(item: ReviewItem) -> list[selectors.Candidate]:
    raws = [raw for raw in item.candidates or [] if isinstance(raw, dict)]
    tracks = Track.objects.in_bulk([r["track"] for r in raws if isinstance(r.get("track"), int)])
    return [
        selectors.Candidate(
            track=tracks[raw["track"]],
            confidence=float(raw.get("confidence") or 0),
            reasons=[str(reason) for reason in raw.get("reasons") or []],
        )
        for raw in raws
        if raw.get("track") in tracks
    ]


class ResolveSerializer(serializers.Serializer):
    """Exactly one of: a candidate's track id, a pasted link, or never: true."""

    track_id = serializers.IntegerField(
        required=False, min_value=1, help_text="The id of one of the item's candidate tracks."
    )
    # Not a URLField: the Spotify desktop app copies spotify:track:<id>, which the review
    # service reads like a link and, like the page, says what is wrong with a bad one.
    url = serializers.CharField(
        required=False,
        max_length=500,
        help_text=(
            "A link to the song on the other platform, or a Spotify URI (spotify:track:<id>)."
        ),
    )
    never = serializers.BooleanField(
        required=False, help_text="true: never match this song; remembered from now on."
    )

    def validate(self, data: dict[str, Any]) -> dict[str, Any]:
        given = [name for name in ("track_id", "url") if name in data]
        if data.get("never"):
            given.append("never")
        if len(given) != 1:
            raise serializers.ValidationError(
                "Send exactly one of track_id, url or never: true.", code="one_choice"
            )
        return data
