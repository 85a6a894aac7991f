"""REST API over a person's connections, libraries and the YouTube quota.

Everything here is read-only except "import now". Objects are looked up through the
selectors, which answer 404 for anybody else's, so ids of other people leak nothing.
"""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.db.models import Q, QuerySet
from django_filters import rest_framework as filters
from drf_spectacular.utils import extend_schema, extend_schema_view
from rest_framework import viewsets
from rest_framework.decorators import action
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from musicsync.api import (
    TRIGGER_THROTTLES,
    ApiThrottle,
    Conflict,
    ErrorSerializer,
    ThrottledSerializer,
)
from musicsync.pagecache import CachedListMixin
from platforms import quota, selectors
from platforms.models import Collection, CollectionItem, Connection, Platform
from platforms.serializers import (
    CollectionItemSerializer,
    CollectionSerializer,
    ConnectionSerializer,
    ImportStartedSerializer,
    QuotaSerializer,
)
from platforms.services import library_import_start


@extend_schema_view(
    list=extend_schema(summary="Your connected accounts"),
    retrieve=extend_schema(summary="One connected account"),
)
class ConnectionViewSet(CachedListMixin, viewsets.ReadOnlyModelViewSet):
    serializer_class = ConnectionSerializer
    queryset = Connection.objects.none()  # for the schema; requests use the selectors
    throttle_classes = [ApiThrottle]
    filter_backends: list[type] = []

    def get_queryset(self) -> QuerySet[Connection]:
        if getattr(self, "swagger_fake_view", False):
            return self.queryset
        return Connection.objects.filter(user=self.request.user).order_by("platform", "pk")

    def get_object(self) -> Connection:
        return selectors.get_connection_for_user(user=self.request.user, pk=self.kwargs["pk"])

    @extend_schema(
        summary="Import the library now",
        description="Reads the account's playlists and liked songs again (changed ones only).",
        request=None,
        responses={202: ImportStartedSerializer, 409: ErrorSerializer, 429: ThrottledSerializer},
    )
    @action(detail=True, methods=["post"], url_path="import", throttle_classes=TRIGGER_THROTTLES)
    def import_library(self, request: Request, pk: str | None = None) -> Response:
        connection = self.get_object()
        if not connection.is_active:
            raise Conflict("This account needs to be connected again before it can be imported.")
        queued = library_import_start(connection=connection)
        connection.refresh_from_db()
        body = {"queued": queued, "connection": ConnectionSerializer(connection).data}
        return Response(body, status=202)


class CollectionFilter(filters.FilterSet):
    platform = filters.ChoiceFilter(field_name="connection__platform", choices=Platform.choices)
    search = filters.CharFilter(
        method="filter_search", help_text="Part of the name or description."
    )
    removed = filters.BooleanFilter(help_text="Deleted on the platform, kept for history.")

    class Meta:
        model = Collection
        fields = ["platform", "search", "removed"]

    def filter_search(self, queryset: QuerySet, name: str, value: str) -> QuerySet:
        return queryset.filter(Q(name__icontains=value) | Q(description__icontains=value))


class ItemFilter(filters.FilterSet):
    # No Meta.model: it filters items under a view whose model is Collection.
    search = filters.CharFilter(
        method="filter_search", help_text="Part of the title, artists, channel or album."
    )

    def filter_search(self, queryset: QuerySet, name: str, value: str) -> QuerySet:
        return queryset.filter(
            Q(track__title__icontains=value)
            | Q(track__artists__icontains=value)
            | Q(track__channel__icontains=value)
            | Q(track__album__icontains=value)
        )


# Playlists and liked songs differ only in their kind. (A comment, not a docstring: the
# schema would show a docstring as every operation's description.)
class _CollectionViewSet(CachedListMixin, viewsets.ReadOnlyModelViewSet):
    kind: str = ""
    serializer_class = CollectionSerializer
    queryset = Collection.objects.none()
    throttle_classes = [ApiThrottle]
    filterset_class = CollectionFilter

    def get_queryset(self) -> QuerySet[Collection]:
        if getattr(self, "swagger_fake_view", False):
            return self.queryset
        # Removed ones too: the `removed` filter and field let the caller choose.
        return selectors.collections_for_user(
            user=self.request.user, kind=self.kind, include_removed=True
        )

    def get_object(self) -> Collection:
        collection = selectors.get_collection_for_user(user=self.request.user, pk=self.kwargs["pk"])
        if collection.kind != self.kind:
            # A liked-songs id under /playlists/ (or the reverse) is not found there.
            raise selectors.Http404
        return collection

    @extend_schema(
        summary="Items in order, with what each is synced to",
        responses={200: CollectionItemSerializer(many=True), 404: ErrorSerializer},
    )
    @action(detail=True, methods=["get"], filterset_class=ItemFilter)
    def items(self, request: Request, pk: str | None = None) -> Response:
        collection = self.get_object()
        queryset = self.filter_queryset(
            CollectionItem.objects.filter(collection=collection)
            .select_related("track")
            .order_by("position")
        )
        page = self.paginate_queryset(queryset)
        assert page is not None  # the API always pages
        synced = selectors.counterparts_for(
            user=request.user,
            collection=collection,
            track_ids=[item.track_id for item in page if item.track_id],
        )
        rows = [_item_row(item, synced) for item in page]
        return self.get_paginated_response(CollectionItemSerializer(rows, many=True).data)


def _item_row(item: CollectionItem, synced: dict[int, tuple[Any, float | None, str]]) -> dict:
    counterpart, confidence, method = synced.get(item.track_id, (None, None, ""))
    return {
        "position": item.position,
        "track": item.track,
        "added_at": item.added_at,
        "counterpart": counterpart,
        "confidence": confidence,
        "method": method,
    }


@extend_schema_view(
    list=extend_schema(summary="Your playlists on both platforms"),
    retrieve=extend_schema(summary="One playlist"),
)
class PlaylistViewSet(_CollectionViewSet):
    kind = Collection.Kind.PLAYLIST


@extend_schema_view(
    list=extend_schema(summary="Your liked songs collections, one per connected platform"),
    retrieve=extend_schema(summary="One liked songs collection"),
)
class LikedViewSet(_CollectionViewSet):
    kind = Collection.Kind.LIKED


class QuotaView(APIView):
    throttle_classes = [ApiThrottle]

    @extend_schema(summary="The YouTube quota today", responses=QuotaSerializer)
    def get(self, request: Request) -> Response:
        data = {
            "daily_limit": settings.YOUTUBE_DAILY_QUOTA,
            "units_left_today": quota.quota_left_today(),
            "units_spent_today": quota.quota_spent_today(),
            "units_spent_by_me_today": quota.quota_spent_today_by(request.user.pk),
            "resets_at": quota.next_quota_reset(),
        }
        return Response(QuotaSerializer(data).data)
