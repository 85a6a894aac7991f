"""Two-factor joined to allauth's login, the `required` mode, and the admin's door.

The second step is an allauth login stage, so it runs after every way in (password,
email link, Spotify or Google login). Passing it marks the session verified with
django-otp, which is what the admin checks.
"""

from __future__ import annotations

from collections.abc import Callable
from urllib.parse import urlencode

from allauth.account.stages import LoginStage, LoginStageController
from django.conf import settings
from django.contrib import admin, messages
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect, JsonResponse
from django.shortcuts import redirect
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme
from django_otp import user_has_device
from django_otp.admin import OTPAdminSite

STAGE_KEY = "musicsync_two_factor"


class TwoFactorStage(LoginStage):
    """Asks for a code when the person has a confirmed device and two-factor is on."""

    key = STAGE_KEY
    urlname = "account_two_factor"

    def handle(self) -> tuple[HttpResponse | None, bool]:
        user = self.login.user
        if settings.MUSICSYNC_2FA == "off" or user is None:
            return None, True
        if not user_has_device(user, confirmed=True):
            # `required` sends them to set-up after login (TwoFactorRequiredMiddleware).
            return None, True
        return HttpResponseRedirect(reverse(self.urlname)), True


def pending_stage(request: HttpRequest) -> TwoFactorStage | None:
    """The two-factor stage of the login in progress in this session, if it is at it."""
    stage = LoginStageController.enter(request, STAGE_KEY)
    return stage if isinstance(stage, TwoFactorStage) else None


class TwoFactorRequiredMiddleware:
    """With MUSICSYNC_2FA=required, a person without a device sets one up first."""

    allowed_url_names = frozenset(
        {
            "two_factor_setup",
            "two_factor_recovery_codes",
            "account_logout",
            "account_confirm_email",
            "account_email_verification_sent",
        }
    )

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response
        self.exempt_prefixes = (
            "/" + settings.STATIC_URL.lstrip("/"),
            "/health",
            "/metrics",
            # The sandbox stands in for other sites (Spotify, Google).
            "/sandbox/",
        )

    def __call__(self, request: HttpRequest) -> HttpResponse:
        return self.get_response(request)

    def process_view(
        self, request: HttpRequest, view_func: Callable, view_args: tuple, view_kwargs: dict
    ) -> HttpResponse | None:
        if settings.MUSICSYNC_2FA != "required" or not request.user.is_authenticated:
            return None
        if request.path.startswith(self.exempt_prefixes):
            return None
        match = request.resolver_match
        if match and match.url_name in self.allowed_url_names:
            return None
        if user_has_device(request.user, confirmed=True):
            return None
        if request.path.startswith("/api/"):
            return JsonResponse(
                {"detail": "Set up two-factor authentication in the web app first."},
                status=403,
            )
        return redirect("two_factor_setup")


class TwoFactorAdminSite(OTPAdminSite):
    """The admin admits staff whose session passed the second step (where 2FA is on).

    Its login is the app's own (rate limits, allauth stages), never a second door.
    """

    site_header = "Music Sync Hub administration"
    site_title = "Music Sync Hub admin"
    index_title = "Operations"

    def has_permission(self, request: HttpRequest) -> bool:
        if settings.MUSICSYNC_2FA == "off":
            return admin.AdminSite.has_permission(self, request)
        return super().has_permission(request)

    def login(self, request: HttpRequest, extra_context: dict | None = None) -> HttpResponse:
        next_url = request.GET.get("next", "")
        if not url_has_allowed_host_and_scheme(next_url, allowed_hosts={request.get_host()}):
            next_url = reverse("admin:index")
        if self.has_permission(request):
            return redirect(next_url)
        if not request.user.is_authenticated:
            return redirect(f"{reverse('account_login')}?{urlencode({'next': next_url})}")
        if not request.user.is_staff:
            messages.error(request, "The admin is for operators of this server.")
            return redirect("dashboard")
        if not user_has_device(request.user, confirmed=True):
            messages.warning(request, "The admin needs two-factor: set it up first.")
            return redirect("two_factor_setup")
        messages.info(request, "The admin needs a code from your authenticator app.")
        return redirect(f"{reverse('two_factor_verify')}?{urlencode({'next': next_url})}")
