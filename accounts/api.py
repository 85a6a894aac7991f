"""The REST API's view of the person calling it."""

from __future__ import annotations

from drf_spectacular.utils import extend_schema
from rest_framework import serializers
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from accounts.services import two_factor_enabled
from musicsync.api import ApiThrottle


class MeSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    email = serializers.EmailField()
    date_joined = serializers.DateTimeField()
    two_factor_enabled = serializers.BooleanField()


class MeView(APIView):
    """Read-only: the account is changed in the web pages, where a password is asked for."""

    throttle_classes = [ApiThrottle]

    @extend_schema(summary="Who you are", responses=MeSerializer)
    def get(self, request: Request) -> Response:
        user = request.user
        data = {
            "id": user.pk,
            "email": user.email,
            "date_joined": user.date_joined,
            "two_factor_enabled": two_factor_enabled(user),
        }
        return Response(MeSerializer(data).data)
