"""Account pages: settings, two-factor, API tokens, deletion, and the rate-limited doors in."""

from __future__ import annotations

from collections.abc import Callable
from contextlib import ExitStack
from functools import wraps
from urllib.parse import urlencode

from allauth.account import views as allauth_views
from allauth.account.models import EmailAddress
from django.conf import settings
from django.contrib import messages
from django.contrib.auth import logout
from django.contrib.auth.decorators import login_not_required, login_required
from django.db.models import Count, Q
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_POST
from django_otp import login as otp_login

from accounts import services
from accounts.devices import login_limit_key, remembers_device
from accounts.forms import ApiTokenForm, CodeForm, PasswordConfirmForm, TotpConfirmForm
from accounts.otp import pending_stage
from accounts.ratelimits import (
    in_flight,
    limited,
    post_field_key,
    session_key,
    too_many_requests,
    usage,
)
from syncing.models import SyncPair

RECOVERY_CODES_SESSION_KEY = "accounts_recovery_codes_once"
NEW_TOKEN_SESSION_KEY = "accounts_new_api_token_once"

two_factor_limited = limited(
    group="two-factor", key=session_key, rate="two-factor-session", method="POST"
)

# --- allauth's views with our limits in front ----------------------------------------

LOGIN_LIMITS = (
    {"group": "login-ip", "key": "ip", "rate": "login-ip"},
    {"group": "login-account", "key": login_limit_key, "rate": "login-account"},
)


def counts_failed_logins(view: Callable[..., HttpResponse]) -> Callable[..., HttpResponse]:
    """Over either log-in limit, 429; an attempt counts against them only when it fails,
    so a person who logs in and out often does not spend their own limit."""

    @wraps(view)
    def wrapped(request: HttpRequest, *args, **kwargs) -> HttpResponse:
        if request.method != "POST":
            return view(request, *args, **kwargs)
        with ExitStack() as attempts:
            waits = []
            for limit in LOGIN_LIMITS:
                # Attempts under way at the same moment count as failed until they end,
                # or a burst of them would all pass the check together.
                running = attempts.enter_context(
                    in_flight(request, group=limit["group"], key=limit["key"])
                )
                wait = usage(request, **limit, increment=False, also_running=running - 1)
                if wait:
                    waits.append(wait)
            if waits:
                return too_many_requests(request, retry_after=max(waits))
            response = view(request, *args, **kwargs)
            if _failed(request, response):
                for limit in LOGIN_LIMITS:
                    usage(request, **limit)
        return response

    return wrapped


def _failed(request: HttpRequest, response: HttpResponse) -> bool:
    """Whether a log-in was refused. The right password logs in, or leads on to the code
    step, or (with confirmation required) to "confirm your address": none of them fail."""
    if request.user.is_authenticated or pending_stage(request):
        return False
    confirm = reverse("account_email_verification_sent")
    return not (response.status_code == 302 and response.get("Location") == confirm)


login = remembers_device(counts_failed_logins(allauth_views.login))
signup = limited(group="signup-ip", key="ip", rate="signup-ip", method="POST")(allauth_views.signup)


class EmailView(allauth_views.EmailView):
    """The address page, which names the address the person logs in with, confirmed or
    not, and a change only when there is one (allauth counts an unconfirmed current
    address as a change in progress)."""

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        user = self.request.user
        login_address = EmailAddress.objects.filter(user=user, email__iexact=user.email).first()
        pending = context.get("new_emailaddress")
        if pending is not None and login_address is not None and pending.pk == login_address.pk:
            pending = None
        context.update(login_address=login_address, new_emailaddress=pending)
        return context


email = login_required(EmailView.as_view())
password_reset = limited(
    group="password-reset-ip", key="ip", rate="password-reset-ip", method="POST"
)(
    limited(
        group="password-reset-account",
        key=post_field_key("email"),
        rate="password-reset-account",
        method="POST",
    )(allauth_views.password_reset)
)


@never_cache
@login_not_required
@remembers_device
@two_factor_limited
def two_factor_authenticate(request: HttpRequest) -> HttpResponse:
    """The login's second step: a code from the app or a recovery code."""
    if request.user.is_authenticated:
        return redirect(settings.LOGIN_REDIRECT_URL)
    stage = pending_stage(request)
    if stage is None:
        return redirect("account_login")
    user = stage.login.user
    form = CodeForm(request.POST or None)
    if request.method == "POST" and "cancel" in request.POST:
        return stage.abort()
    if request.method == "POST" and form.is_valid():
        result = services.two_factor_verify(user=user, code=form.cleaned_data["code"])
        if result.device is not None:
            # django-otp marks the session verified when Django's login() sees this.
            user.otp_device = result.device
            return stage.exit()
        form.add_error("code", _code_error(result))
    return render(request, "account/two_factor.html", {"form": form})


# --- Settings ------------------------------------------------------------------------


@login_required
def settings_home(request: HttpRequest) -> HttpResponse:
    user = request.user
    return render(
        request,
        "accounts/settings.html",
        {
            "primary_email": EmailAddress.objects.filter(user=user, primary=True).first(),
            "two_factor_mode": settings.MUSICSYNC_2FA,
            "two_factor_on": services.two_factor_enabled(user),
            "recovery_codes_left": services.recovery_codes_left(user=user),
            "active_tokens": user.api_tokens.filter(revoked_at__isnull=True).count(),
            **_schedule_counts(user),
        },
    )


def _schedule_counts(user) -> dict[str, int]:
    """How many pairs the person has, and how many of them sync by themselves."""
    return user.sync_pairs.aggregate(
        pair_count=Count("pk"),
        scheduled_count=Count("pk", filter=Q(enabled=True) & ~Q(schedule=SyncPair.Schedule.MANUAL)),
    )


@never_cache
@login_required
def two_factor_setup(request: HttpRequest) -> HttpResponse:
    _two_factor_available()
    user = request.user
    if services.two_factor_enabled(user) and not request.user.is_verified():
        # Replacing an authenticator is for whoever already holds it.
        return _verify_first(request)
    device = services.totp_pending_device(user=user)
    form = TotpConfirmForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        # After a wrong code django-otp refuses every code for a moment: say so, rather
        # than call a right code wrong.
        if locked_for := services.totp_locked_for(device=device):
            form.add_error("code", _wait_text(locked_for))
        elif codes := services.totp_confirm(
            user=user, device=device, code=form.cleaned_data["code"]
        ):
            otp_login(request, device)
            request.session[RECOVERY_CODES_SESSION_KEY] = codes
            messages.success(request, "Two-factor is on. Keep your recovery codes safe.")
            return redirect("two_factor_recovery_codes")
        else:
            form.add_error(
                "code",
                "That code did not match. Check your phone's clock and type the newest code.",
            )
    return render(
        request,
        "accounts/two_factor_setup.html",
        {
            "form": form,
            "qr_svg": services.totp_qr_svg(device),
            "secret": services.totp_secret(device),
            "replacing": services.two_factor_enabled(user),
        },
    )


@never_cache
@login_required
def two_factor_recovery_codes(request: HttpRequest) -> HttpResponse:
    _two_factor_available()
    user = request.user
    if request.method == "POST":
        if not services.two_factor_enabled(user):
            return redirect("two_factor_setup")
        if not request.user.is_verified():
            return _verify_first(request)
        request.session[RECOVERY_CODES_SESSION_KEY] = services.recovery_codes_regenerate(user=user)
        messages.success(request, "New recovery codes made; the old ones no longer work.")
        return redirect("two_factor_recovery_codes")
    # Shown once: popped from the session on the first view after they were made.
    codes = request.session.pop(RECOVERY_CODES_SESSION_KEY, None)
    return render(
        request,
        "accounts/recovery_codes.html",
        {
            "codes": codes,
            "codes_left": services.recovery_codes_left(user=user),
            "two_factor_on": services.two_factor_enabled(user),
        },
    )


@never_cache
@login_required
@two_factor_limited
def two_factor_verify(request: HttpRequest) -> HttpResponse:
    """Step up a session that has not passed the second step (e.g. for the admin)."""
    _two_factor_available()
    next_url = request.POST.get("next") or request.GET.get("next") or reverse("settings")
    if not url_has_allowed_host_and_scheme(next_url, allowed_hosts={request.get_host()}):
        next_url = reverse("settings")
    if not services.two_factor_enabled(request.user):
        return redirect("two_factor_setup")
    form = CodeForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        result = services.two_factor_verify(user=request.user, code=form.cleaned_data["code"])
        if result.device is not None:
            otp_login(request, result.device)
            return redirect(next_url)
        form.add_error("code", _code_error(result))
    return render(request, "accounts/two_factor_verify.html", {"form": form, "next": next_url})


@never_cache
@login_required
@two_factor_limited
def two_factor_disable(request: HttpRequest) -> HttpResponse:
    _two_factor_available()
    if settings.MUSICSYNC_2FA == "required":
        messages.error(request, "Two-factor is required on this server and cannot be turned off.")
        return redirect("settings")
    if not services.two_factor_enabled(request.user):
        return redirect("settings")
    form = CodeForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        result = services.two_factor_verify(user=request.user, code=form.cleaned_data["code"])
        if result.device is not None:
            services.two_factor_disable(user=request.user)
            messages.success(request, "Two-factor is off. Logging in needs only your password.")
            return redirect("settings")
        form.add_error("code", _code_error(result))
    return render(request, "accounts/two_factor_disable.html", {"form": form})


# --- API tokens ------------------------------------------------------------------------


@never_cache
@login_required
def api_tokens(request: HttpRequest) -> HttpResponse:
    form = ApiTokenForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        new = services.api_token_create(user=request.user, name=form.cleaned_data["name"])
        request.session[NEW_TOKEN_SESSION_KEY] = {"id": new.token.pk, "secret": new.secret}
        return redirect("api_tokens")
    new_token = request.session.pop(NEW_TOKEN_SESSION_KEY, None)
    return render(
        request,
        "accounts/api_tokens.html",
        {"form": form, "tokens": request.user.api_tokens.all(), "new_token": new_token},
    )


@require_POST
@login_required
def api_token_revoke(request: HttpRequest, token_id: int) -> HttpResponse:
    if not services.api_token_revoke(user=request.user, token_id=token_id):
        raise Http404("No such token")
    messages.success(request, "Token revoked. Scripts using it now get 401.")
    return redirect("api_tokens")


# --- Deletion --------------------------------------------------------------------------


@never_cache
@login_required
def account_delete(request: HttpRequest) -> HttpResponse:
    form = PasswordConfirmForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        user = request.user
        if services.account_delete(user=user, password=form.cleaned_data["password"]):
            logout(request)
            messages.success(request, "Your account and all its data are deleted.")
            return redirect("account_login")
        form.add_error("password", "That is not your password.")
    return render(
        request,
        "accounts/delete.html",
        {"form": form, "has_password": request.user.has_usable_password()},
    )


# --- Helpers ---------------------------------------------------------------------------


def _two_factor_available() -> None:
    if settings.MUSICSYNC_2FA == "off":
        raise Http404("Two-factor is off on this server")


def _code_error(result: services.Verification) -> str:
    if result.locked_for:
        return _wait_text(result.locked_for)
    return "That code is not valid. Codes from the app change every 30 seconds."


def _wait_text(seconds: int) -> str:
    unit = "second" if seconds == 1 else "seconds"
    # django-otp holds a device after even one wrong code: "too many" would be untrue.
    return f"Wait {seconds} {unit} before trying again: each wrong code makes the wait longer."


def _verify_first(request: HttpRequest) -> HttpResponse:
    return redirect(f"{reverse('two_factor_verify')}?{urlencode({'next': request.path})}")
