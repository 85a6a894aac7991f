"""REST API over sync pairs, their runs and changes, and the review queue.

Views stay thin: reads go through syncing.selectors (404 for anybody else's objects),
writes through the services, whose ValidationErrors become 400s with field messages.
"""

from __future__ import annotations

from typing import Any

from django.db.models import QuerySet
from django_filters import rest_framework as filters
from drf_spectacular.utils import extend_schema, extend_schema_view
from rest_framework import mixins, serializers, status, viewsets
from rest_framework.decorators import action
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.settings import api_settings

from musicsync.api import (
    TRIGGER_ERRORS,
    TRIGGER_THROTTLES,
    ApiThrottle,
    Conflict,
    ErrorSerializer,
    service_errors,
)
from musicsync.pagecache import CachedListMixin
from syncing import selectors
from syncing.models import ReviewItem, Run, RunChange, SyncPair
from syncing.serializers import (
    PairSerializer,
    PairUpdateSerializer,
    ResolveSerializer,
    ReviewItemSerializer,
    RunChangeSerializer,
    RunDetailSerializer,
    RunSerializer,
)
from syncing.services import review as review_services
from syncing.services import runs as run_services
from syncing.services.pairs import pair_delete


def _own_pairs(request: Any) -> QuerySet[SyncPair]:
    # Called while the schema is generated too, with no person behind the request.
    if request is None or not request.user.is_authenticated:
        return SyncPair.objects.none()
    return SyncPair.objects.filter(user=request.user)


@extend_schema_view(
    list=extend_schema(summary="Your sync pairs, each with its last run"),
    retrieve=extend_schema(summary="One sync pair"),
    create=extend_schema(summary="Set up a sync pair"),
    update=extend_schema(summary="Change a pair's settings"),
    partial_update=extend_schema(summary="Change some of a pair's settings"),
    destroy=extend_schema(summary="Delete a pair (its active run is cancelled)"),
)
class PairViewSet(CachedListMixin, viewsets.ModelViewSet):
    queryset = SyncPair.objects.none()  # for the schema; requests use the selectors
    serializer_class = PairSerializer
    throttle_classes = [ApiThrottle]
    filter_backends: list[type] = []

    def get_queryset(self) -> Any:
        if getattr(self, "swagger_fake_view", False):
            return self.queryset
        return selectors.pairs_for_user(user=self.request.user)

    def get_object(self) -> SyncPair:
        return selectors.get_pair_for_user(user=self.request.user, pk=self.kwargs["pk"])

    def get_serializer_class(self) -> type[serializers.BaseSerializer]:
        if self.action in {"update", "partial_update"}:
            return PairUpdateSerializer
        return PairSerializer

    def perform_create(self, serializer: serializers.BaseSerializer) -> None:
        with service_errors():
            serializer.save()

    def perform_update(self, serializer: serializers.BaseSerializer) -> None:
        with service_errors():
            serializer.save()

    def perform_destroy(self, instance: SyncPair) -> None:
        pair_delete(pair=instance)

    def _start(self, *, dry_run: bool) -> Response:
        pair = self.get_object()
        with service_errors():
            run = run_services.run_start(pair=pair, trigger=Run.Trigger.API, dry_run=dry_run)
        return Response(RunSerializer(run).data, status=status.HTTP_202_ACCEPTED)

    @extend_schema(
        summary="Sync this pair now",
        description="Starts a run, or answers with the run already under way.",
        request=None,
        responses={202: RunSerializer, **TRIGGER_ERRORS},
    )
    @action(detail=True, methods=["post"], throttle_classes=TRIGGER_THROTTLES)
    def run(self, request: Request, pk: str | None = None) -> Response:
        return self._start(dry_run=False)

    @extend_schema(
        summary="Plan a run without writing",
        description="The run's changes are the plan: what would be added, removed, unmatched.",
        request=None,
        responses={202: RunSerializer, **TRIGGER_ERRORS},
    )
    @action(detail=True, methods=["post"], url_path="dry-run", throttle_classes=TRIGGER_THROTTLES)
    def dry_run(self, request: Request, pk: str | None = None) -> Response:
        return self._start(dry_run=True)

    @extend_schema(
        summary="Undo the pair's last run",
        description=(
            "Reverses, as a new run, what the pair's last finished run that changed"
            " something changed (later runs that changed nothing do not count)."
        ),
        request=None,
        responses={202: RunSerializer, **TRIGGER_ERRORS},
    )
    @action(detail=True, methods=["post"], throttle_classes=TRIGGER_THROTTLES)
    def undo(self, request: Request, pk: str | None = None) -> Response:
        pair = self.get_object()
        last = selectors.run_last_finished(pair=pair)
        if last is None:
            raise serializers.ValidationError(
                {
                    api_settings.NON_FIELD_ERRORS_KEY: [
                        "This pair has no finished run that changed something to undo."
                    ]
                }
            )
        with service_errors():
            run = run_services.run_undo(run=last)
        return Response(RunSerializer(run).data, status=status.HTTP_202_ACCEPTED)


class RunFilter(filters.FilterSet):
    status = filters.ChoiceFilter(choices=Run.Status.choices)
    pair = filters.ModelChoiceFilter(queryset=_own_pairs)
    trigger = filters.ChoiceFilter(choices=Run.Trigger.choices)
    dry_run = filters.BooleanFilter()

    class Meta:
        model = Run
        fields = ["status", "pair", "trigger", "dry_run"]


class ChangeFilter(filters.FilterSet):
    # No Meta.model: it filters changes under a view whose model is Run.
    action = filters.ChoiceFilter(choices=RunChange.Action.choices)
    outcome = filters.ChoiceFilter(choices=RunChange.Outcome.choices)


@extend_schema_view(
    list=extend_schema(summary="Your runs, newest first"),
    retrieve=extend_schema(summary="One run, with counts of its changes"),
)
class RunViewSet(CachedListMixin, viewsets.ReadOnlyModelViewSet):
    queryset = Run.objects.none()
    serializer_class = RunSerializer
    throttle_classes = [ApiThrottle]
    filterset_class = RunFilter

    def get_queryset(self) -> QuerySet[Run]:
        if getattr(self, "swagger_fake_view", False):
            return self.queryset
        # A run in the list names its pair by id: the pair's rows are not needed.
        return selectors.runs_for_user(user=self.request.user).select_related(None)

    def get_object(self) -> Run:
        return selectors.get_run_for_user(user=self.request.user, pk=self.kwargs["pk"])

    def get_serializer_class(self) -> type[serializers.BaseSerializer]:
        if self.action == "retrieve":
            return RunDetailSerializer
        return RunSerializer

    @extend_schema(
        summary="The run's changes: its plan and what became of each",
        responses={200: RunChangeSerializer(many=True), 404: ErrorSerializer},
    )
    @action(detail=True, methods=["get"], filterset_class=ChangeFilter)
    def changes(self, request: Request, pk: str | None = None) -> Response:
        run = self.get_object()
        page = self.paginate_queryset(self.filter_queryset(selectors.run_changes(run=run)))
        return self.get_paginated_response(RunChangeSerializer(page, many=True).data)

    @extend_schema(
        summary="Cancel a run that has not finished",
        request=None,
        responses={200: RunSerializer, 404: ErrorSerializer, 409: ErrorSerializer},
    )
    @action(detail=True, methods=["post"])
    def cancel(self, request: Request, pk: str | None = None) -> Response:
        run = self.get_object()
        if not run_services.run_cancel(run=run):
            raise Conflict("This run has already finished.")
        run.refresh_from_db()
        return Response(RunSerializer(run).data)

    @extend_schema(
        summary="Try the failed changes of a run again",
        request=None,
        responses={202: RunSerializer, **TRIGGER_ERRORS},
    )
    @action(
        detail=True, methods=["post"], url_path="retry-failed", throttle_classes=TRIGGER_THROTTLES
    )
    def retry_failed(self, request: Request, pk: str | None = None) -> Response:
        run = self.get_object()
        with service_errors():
            retry = run_services.run_retry_failed(run=run)
        return Response(RunSerializer(retry).data, status=status.HTTP_202_ACCEPTED)

    @extend_schema(
        summary="Carry out the removals a run held back",
        description=(
            "A mirror or two-way run that would remove at least 10 songs and more than half"
            " of one side removes none of them: it holds them back (the run's"
            " `held_removals` says how many), since a platform that lists a playlist empty"
            " by mistake must not empty the other side. This starts a new run of the pair"
            " that plans afresh and carries its removals out. 400 when the run held none"
            " back, is a dry run, or its pair has a run under way."
        ),
        request=None,
        responses={202: RunSerializer, **TRIGGER_ERRORS},
    )
    @action(
        detail=True,
        methods=["post"],
        url_path="confirm-removals",
        throttle_classes=TRIGGER_THROTTLES,
    )
    def confirm_removals(self, request: Request, pk: str | None = None) -> Response:
        run = self.get_object()
        with service_errors():
            again = run_services.run_confirm_removals(run=run, trigger=Run.Trigger.API)
        return Response(RunSerializer(again).data, status=status.HTTP_202_ACCEPTED)


class ReviewFilter(filters.FilterSet):
    pair = filters.ModelChoiceFilter(queryset=_own_pairs)

    class Meta:
        model = ReviewItem
        fields = ["pair"]


@extend_schema_view(
    list=extend_schema(summary="Songs waiting for you to choose their match, surest first"),
    retrieve=extend_schema(summary="One review item"),
)
class ReviewViewSet(
    CachedListMixin, mixins.ListModelMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet
):
    queryset = ReviewItem.objects.none()
    serializer_class = ReviewItemSerializer
    throttle_classes = [ApiThrottle]
    filterset_class = ReviewFilter

    def list(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        # The selector loads the open items with their candidates in two queries; the
        # filter set only checks the query string (and documents it).
        filterset = ReviewFilter(request.query_params, queryset=self.queryset, request=request)
        if not filterset.is_valid():
            raise serializers.ValidationError(filterset.errors)
        items = selectors.review_items_open(
            user=request.user, pair=filterset.form.cleaned_data.get("pair")
        )
        page = self.paginate_queryset(items)
        return self.get_paginated_response(self.get_serializer(page, many=True).data)

    def get_object(self) -> ReviewItem:
        return selectors.get_review_item_for_user(user=self.request.user, pk=self.kwargs["pk"])

    @extend_schema(
        summary="Decide a review item",
        description=(
            "Send one of: `track_id` (one of the candidates), `url` (a link to the song "
            "on the other platform, or a `spotify:track:` URI) or `never: true`. The choice "
            "is remembered."
        ),
        request=ResolveSerializer,
        responses={200: ReviewItemSerializer, **TRIGGER_ERRORS},
    )
    @action(detail=True, methods=["post"], throttle_classes=TRIGGER_THROTTLES)
    def resolve(self, request: Request, pk: str | None = None) -> Response:
        item = self.get_object()
        choice = ResolveSerializer(data=request.data)
        choice.is_valid(raise_exception=True)
        data = choice.validated_data
        with service_errors():
            if "track_id" in data:
                review_services.review_pick(item=item, track_id=data["track_id"])
            elif "url" in data:
                review_services.review_pick_url(item=item, url=data["url"])
            else:
                review_services.review_never(item=item)
        item.refresh_from_db()
        return Response(ReviewItemSerializer(item).data)
