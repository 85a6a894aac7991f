"""allauth's pages at /accounts/, with rate limits in front and the two-factor step.

The first five and the Spotify callback shadow allauth's own routes of the same name and path.
"""

from __future__ import annotations

from django.urls import include, path
from django.views.generic import RedirectView

from accounts import views
from platforms.spotify import oauth as spotify_oauth

urlpatterns = [
    path("login/", views.login, name="account_login"),
    path("signup/", views.signup, name="account_signup"),
    path("password/reset/", views.password_reset, name="account_reset_password"),
    path("email/", views.email, name="account_email"),
    # allauth's "Account Connections" would remove its record of a platform account and
    # leave our Connection syncing: platforms are disconnected from the dashboard. Its
    # sub-paths (login cancelled or failed, sign-up) stay: the platform log-in uses them.
    path(
        "3rdparty/",
        RedirectView.as_view(pattern_name="dashboard"),
        name="socialaccount_connections",
    ),
    path("login/two-factor/", views.two_factor_authenticate, name="account_two_factor"),
    # allauth's, but asks for the Spotify profile with the token in a header, not in the URL.
    path("spotify/login/callback/", spotify_oauth.oauth_callback, name="spotify_callback"),
    path("", include("allauth.urls")),
]
