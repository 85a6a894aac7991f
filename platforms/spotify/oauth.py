"""allauth's Spotify adapter, asking for the profile with the token in a header."""

from __future__ import annotations

from allauth.socialaccount.adapter import get_adapter
from allauth.socialaccount.models import SocialLogin, SocialToken
from allauth.socialaccount.providers.oauth2.client import OAuth2Error
from allauth.socialaccount.providers.oauth2.views import OAuth2CallbackView
from allauth.socialaccount.providers.spotify import views as allauth_spotify
from django.http import HttpRequest


class SpotifyOAuth2Adapter(allauth_spotify.SpotifyOAuth2Adapter):
    """allauth sends the access token as ?access_token=, where access logs and proxies keep
    it (RFC 6750 advises against it); this sends it as `Authorization: Bearer`."""

    def complete_login(
        self, request: HttpRequest, app, token: SocialToken, **kwargs
    ) -> SocialLogin:
        headers = {"Authorization": f"Bearer {token.token}"}
        with get_adapter().get_requests_session() as session:
            response = session.get(self.profile_url, headers=headers)
        if not response.ok:
            # allauth would take the error body for a profile and fail on its missing "id".
            raise OAuth2Error(f"the Spotify profile request failed ({response.status_code})")
        return self.get_provider().sociallogin_from_response(request, response.json())


# Routed at allauth's own callback path (accounts/auth_urls.py): the login view stays
# allauth's, this is the one that completes the login.
oauth_callback = OAuth2CallbackView.adapter_view(SpotifyOAuth2Adapter)
