"""allauth's pages at /accounts/, with rate limits in front and the two-factor step.

The first four and the Spotify callback shadow allauth's own routes of the same name and path.
"""

from __future__ import annotations

from django.urls import include, path

from accounts import views
from platforms.spotify import oauth as spotify_oauth

urlpatterns = [
    path("login/", views.login, name="account_login"),
    path("signup/", views.signup, name="account_signup"),
    path("password/reset/", views.password_reset, name="account_reset_password"),
    path("email/", views.email, name="account_email"),
    path("login/two-factor/", views.two_factor_authenticate, name="account_two_factor"),
    # allauth's, but asks for the Spotify profile with the token in a header, not in the URL.
    path("spotify/login/callback/", spotify_oauth.oauth_callback, name="spotify_callback"),
    path("", include("allauth.urls")),
]
