"""Connecting platforms through allauth: endpoints from settings, tokens into Connection."""

from __future__ import annotations

from datetime import timedelta

from allauth.core.exceptions import ImmediateHttpResponse
from allauth.socialaccount.adapter import DefaultSocialAccountAdapter
from allauth.socialaccount.providers.base import AuthError
from allauth.socialaccount.signals import social_account_added, social_account_updated
from django.conf import settings
from django.contrib import messages
from django.dispatch import receiver
from django.shortcuts import redirect
from django.utils import timezone

from platforms.types import Platform

PROVIDER_PLATFORM = {"spotify": "spotify", "google": "youtube"}
PLATFORM_PROVIDER = {v: k for k, v in PROVIDER_PLATFORM.items()}


def configure_endpoints() -> None:
    """Points allauth's Spotify and Google adapters at the configured endpoints.

    allauth reads Google's URLs at import time and keeps Spotify's as class
    attributes, so both are set here from settings (at start, and by tests that move
    the sandbox to another port).
    """
    from allauth.socialaccount.providers.google import views as google_views
    from allauth.socialaccount.providers.spotify.views import SpotifyOAuth2Adapter

    SpotifyOAuth2Adapter.authorize_url = f"{settings.SPOTIFY_ACCOUNTS_URL}/authorize"
    SpotifyOAuth2Adapter.access_token_url = f"{settings.SPOTIFY_ACCOUNTS_URL}/api/token"
    SpotifyOAuth2Adapter.profile_url = f"{settings.SPOTIFY_API_URL}/me"

    adapter = google_views.GoogleOAuth2Adapter
    adapter.authorize_url = f"{settings.GOOGLE_OAUTH_URL}/o/oauth2/v2/auth"
    adapter.access_token_url = settings.GOOGLE_TOKEN_URL
    adapter.identity_url = settings.GOOGLE_USERINFO_URL
    adapter.id_token_issuer = settings.GOOGLE_ID_TOKEN_ISSUER
    google_views.ID_TOKEN_ISSUER = settings.GOOGLE_ID_TOKEN_ISSUER
    google_views.IDENTITY_URL = settings.GOOGLE_USERINFO_URL
    google_views.ACCESS_TOKEN_URL = settings.GOOGLE_TOKEN_URL
    google_views.AUTHORIZE_URL = adapter.authorize_url


class SocialAccountAdapter(DefaultSocialAccountAdapter):
    def is_open_for_signup(self, request, sociallogin) -> bool:
        return settings.MUSICSYNC_SOCIAL_LOGIN

    def get_connect_redirect_url(self, request, socialaccount) -> str:
        return "/"

    def on_authentication_error(
        self, request, provider, error=None, exception=None, extra_context=None
    ) -> None:
        """A person connecting a platform goes back to the dashboard with what happened,
        not to allauth's page about logging in."""
        super().on_authentication_error(
            request, provider, error=error, exception=exception, extra_context=extra_context
        )
        if not request.user.is_authenticated:
            return  # logging in with the platform: allauth's pages say it
        platform = PROVIDER_PLATFORM.get(getattr(provider, "id", ""))
        name = Platform(platform).label if platform else "The platform"
        if error == AuthError.CANCELLED:
            messages.info(request, f"{name} was not connected: you cancelled on its page.")
        else:
            messages.error(
                request, f"{name} could not be connected: its sign-in did not complete. Try again."
            )
        raise ImmediateHttpResponse(redirect("dashboard"))


def _store(request, sociallogin, **kwargs) -> None:
    from platforms.services import connection_store_tokens

    platform = PROVIDER_PLATFORM.get(sociallogin.account.provider)
    token = sociallogin.token
    if platform is None or token is None or not sociallogin.account.user_id:
        return
    data = sociallogin.account.extra_data or {}
    expires_at = token.expires_at or timezone.now() + timedelta(hours=1)
    connection_store_tokens(
        user=sociallogin.account.user,
        platform=platform,
        account_id=str(sociallogin.account.uid),
        account_name=str(data.get("display_name") or data.get("name") or data.get("email") or ""),
        access_token=token.token,
        refresh_token=token.token_secret or "",
        expires_at=expires_at,
    )


@receiver(social_account_added)
def _on_added(request, sociallogin, **kwargs):
    _store(request, sociallogin)


@receiver(social_account_updated)
def _on_updated(request, sociallogin, **kwargs):
    _store(request, sociallogin)
