"""The project's URLs plus a small API endpoint, for tests that need one."""

from __future__ import annotations

from django.urls import include, path
from rest_framework.decorators import api_view, throttle_classes
from rest_framework.response import Response

from accounts.ratelimits import rate_throttle


@api_view(["GET"])
def whoami(request):
    return Response({"email": request.user.email})


@api_view(["GET"])
@throttle_classes([rate_throttle(group="test-api", rate="api")])
def limited_whoami(request):
    return Response({"email": request.user.email})


urlpatterns = [
    path("api/whoami", whoami),
    path("api/limited", limited_whoami),
    path("", include("musicsync.urls")),
]

handler429 = "accounts.ratelimits.handler429"
