"""Known devices: a browser that logged in to an account keeps its own log-in limit.

The per-account log-in limit stops a guesser who spreads tries over many addresses, but
anybody who knows a person's email could spend it and keep that person out. So a browser
that completed a log-in gets a signed cookie naming the account (by a keyed hash of its
email, never the email itself) with a random id. A log-in attempt from that browser for
that account counts against the cookie's own bucket instead of the account's: a stranger
spending the account's tries does not lock out the person's own browsers, and a stolen
cookie buys its holder no more tries than before (one bucket, and the IP limit still
holds). This is the "device cookie" scheme OWASP describes for slowing online guessing.
"""

from __future__ import annotations

import secrets
from collections.abc import Callable
from functools import wraps

from django.conf import settings
from django.contrib.auth.signals import user_logged_in
from django.core import signing
from django.dispatch import receiver
from django.http import HttpRequest, HttpResponse
from django.utils.crypto import salted_hmac

COOKIE = "known_device"
SALT = "accounts.known-device"
MAX_AGE = 365 * 24 * 3600
MAX_ACCOUNTS = 5  # accounts one browser is remembered for (the most recent ones)


def _account(login: str) -> str:
    return salted_hmac(SALT, login.strip().lower()).hexdigest()[:32]


def _known(request: HttpRequest) -> dict[str, str]:
    raw = request.COOKIES.get(COOKIE)
    if not raw:
        return {}
    try:
        data = signing.loads(raw, salt=SALT, max_age=MAX_AGE)
    except signing.BadSignature:
        return {}
    return data if isinstance(data, dict) else {}


def login_limit_key(group: str, request: HttpRequest) -> str:
    """The per-account log-in limit's key: the typed email, or this browser's own bucket
    when it logged in to that account before."""
    login = request.POST.get("login", "").strip().lower()
    device = _known(request).get(_account(login)) if login else None
    return f"device:{device}" if device else login


@receiver(user_logged_in)
def _note_login(sender, request=None, user=None, **kwargs) -> None:
    if request is not None and user is not None and user.email:
        request.known_device_login = user.email


def remembers_device(view: Callable[..., HttpResponse]) -> Callable[..., HttpResponse]:
    """Wraps a view that can complete a log-in: the browser is remembered for the account."""

    @wraps(view)
    def wrapper(request: HttpRequest, *args, **kwargs) -> HttpResponse:
        response = view(request, *args, **kwargs)
        login = getattr(request, "known_device_login", None)
        if login:
            known = _known(request)
            account = _account(login)
            device = known.pop(account, None) or secrets.token_urlsafe(16)
            known[account] = device  # the most recent last
            known = dict(list(known.items())[-MAX_ACCOUNTS:])
            response.set_cookie(
                COOKIE,
                signing.dumps(known, salt=SALT),
                max_age=MAX_AGE,
                httponly=True,
                secure=settings.SESSION_COOKIE_SECURE,
                samesite="Lax",
            )
        return response

    return wrapper
