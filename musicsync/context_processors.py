from __future__ import annotations

from django.conf import settings
from django.http import HttpRequest


def site(request: HttpRequest) -> dict:
    return {
        "SANDBOX": settings.MUSICSYNC_SANDBOX,
        "TWO_FACTOR_MODE": settings.MUSICSYNC_2FA,
        # Signing in with Spotify or Google is offered only where the operator allows it.
        "SOCIAL_LOGIN": settings.MUSICSYNC_SOCIAL_LOGIN,
    }
