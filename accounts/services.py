"""What a person can do to their own account: tokens, two-factor devices, deletion."""

from __future__ import annotations

import base64
import datetime
import hashlib
import hmac
import secrets
from dataclasses import dataclass

import qrcode
import qrcode.image.svg
from django.conf import settings
from django.db import transaction
from django.utils import timezone
from django_otp import devices_for_user, user_has_device
from django_otp.models import Device, VerifyNotAllowed
from django_otp.plugins.otp_static.models import StaticToken

from accounts.models import (
    ApiToken,
    SealedRecoveryCode,
    SealedRecoveryDevice,
    SealedTOTPDevice,
    User,
)

# --- API tokens ---------------------------------------------------------------------

TOKEN_LABEL = "msh"
# last_used_at is written at most this often, so a busy script does not write every call.
LAST_USED_RESOLUTION = datetime.timedelta(minutes=1)


@dataclass(frozen=True)
class NewApiToken:
    token: ApiToken
    secret: str  # shown once, never stored


def hash_secret(secret: str) -> str:
    return hashlib.sha256(secret.encode()).hexdigest()


def api_token_create(*, user: User, name: str) -> NewApiToken:
    prefix = secrets.token_hex(4)
    secret = f"{TOKEN_LABEL}_{prefix}_{secrets.token_urlsafe(32)}"
    token = ApiToken.objects.create(
        user=user, name=name.strip(), prefix=prefix, secret_hash=hash_secret(secret)
    )
    return NewApiToken(token=token, secret=secret)


def api_token_revoke(*, user: User, token_id: int) -> bool:
    """Revoke one of the person's tokens; False when it is not theirs or already revoked."""
    revoked = ApiToken.objects.filter(user=user, pk=token_id, revoked_at__isnull=True).update(
        revoked_at=timezone.now()
    )
    return revoked == 1


def api_token_authenticate(*, secret: str) -> ApiToken | None:
    """The live token this secret belongs to, with its user, or None."""
    try:
        label, prefix, _ = secret.split("_", 2)
    except ValueError:
        return None
    if label != TOKEN_LABEL:
        return None
    token = (
        ApiToken.objects.select_related("user")
        .filter(prefix=prefix, revoked_at__isnull=True, user__is_active=True)
        .first()
    )
    if token is None or not hmac.compare_digest(token.secret_hash, hash_secret(secret)):
        return None
    now = timezone.now()
    if token.last_used_at is None or now - token.last_used_at > LAST_USED_RESOLUTION:
        ApiToken.objects.filter(pk=token.pk).update(last_used_at=now)
        token.last_used_at = now
    return token


# --- Two-factor ---------------------------------------------------------------------

RECOVERY_CODE_COUNT = 10
TOTP_NAME = "Authenticator app"
RECOVERY_NAME = "Recovery codes"


def two_factor_enabled(user: User) -> bool:
    return settings.MUSICSYNC_2FA != "off" and user_has_device(user, confirmed=True)


def totp_pending_device(*, user: User) -> SealedTOTPDevice:
    """The unconfirmed device being set up; the same secret survives a page reload."""
    device = SealedTOTPDevice.objects.filter(user=user, confirmed=False).order_by("-id").first()
    if device is None:
        device = SealedTOTPDevice.objects.create(user=user, name=TOTP_NAME, confirmed=False)
    return device


def totp_secret(device: SealedTOTPDevice) -> str:
    """The base32 secret that authenticator apps accept when typed by hand."""
    return base64.b32encode(device.bin_key).decode()


def totp_qr_svg(device: SealedTOTPDevice) -> str:
    """The otpauth:// URL as an inline SVG: no image request, no script (CSP)."""
    image = qrcode.make(device.config_url, image_factory=qrcode.image.svg.SvgPathImage, border=2)
    return image.to_string(encoding="unicode")


def totp_confirm(*, user: User, device: SealedTOTPDevice, code: str) -> list[str] | None:
    """Confirm the device with a typed code; returns fresh recovery codes, or None."""
    with transaction.atomic():
        device = SealedTOTPDevice.objects.select_for_update().get(pk=device.pk, user=user)
        if not device.verify_token(_clean_code(code)):
            return None
        device.confirmed = True
        device.save(update_fields=["confirmed"])
        # One authenticator at a time: a re-set-up replaces the old one.
        SealedTOTPDevice.objects.filter(user=user).exclude(pk=device.pk).delete()
        return recovery_codes_regenerate(user=user)


def totp_locked_for(*, device: SealedTOTPDevice) -> int:
    """Seconds until the device takes another code after wrong ones (0: it takes one now)."""
    device.refresh_from_db()
    allowed, info = device.verify_is_allowed()
    if not allowed and info and info.get("reason") == VerifyNotAllowed.N_FAILED_ATTEMPTS:
        return _seconds_until(info["locked_until"])
    return 0


def recovery_codes_regenerate(*, user: User) -> list[str]:
    """New single-use codes; every older code stops working."""
    with transaction.atomic():
        SealedRecoveryDevice.objects.filter(user=user).delete()
        device = SealedRecoveryDevice.objects.create(user=user, name=RECOVERY_NAME, confirmed=True)
        # django-otp's generator: 8 base32 characters each.
        codes = [StaticToken.random_token() for _ in range(RECOVERY_CODE_COUNT)]
        SealedRecoveryCode.objects.bulk_create(
            SealedRecoveryCode(device=device, code=c) for c in codes
        )
    return codes


def recovery_codes_left(*, user: User) -> int:
    return SealedRecoveryCode.objects.filter(device__user=user, device__confirmed=True).count()


@dataclass(frozen=True)
class Verification:
    device: Device | None
    # Seconds until another try is allowed, when a device is throttled after failures.
    locked_for: int = 0


def two_factor_verify(*, user: User, code: str) -> Verification:
    """Try a code on the person's confirmed devices: an app code or a recovery code.

    django-otp throttles a device after a failed try (doubling waits); a throttled
    device is skipped and the wait is reported, so the page can say how long.
    """
    code = _clean_code(code)
    locked_until: datetime.datetime | None = None
    with transaction.atomic():
        for device in devices_for_user(user, confirmed=True, for_verify=True):
            allowed, info = device.verify_is_allowed()
            if not allowed:
                if info and info.get("reason") == VerifyNotAllowed.N_FAILED_ATTEMPTS:
                    until = info.get("locked_until")
                    locked_until = max(locked_until or until, until)
                continue
            if _accepts(device, code):
                return Verification(device=device)
    if locked_until is not None:
        return Verification(device=None, locked_for=_seconds_until(locked_until))
    return Verification(device=None)


def two_factor_disable(*, user: User) -> None:
    for device in list(devices_for_user(user, confirmed=None)):
        device.delete()


def _accepts(device: Device, code: str) -> bool:
    # App codes are digits; recovery codes are letters and digits. Trying a code only
    # on the kind of device it can belong to keeps a typo from throttling both.
    if isinstance(device, SealedTOTPDevice) and not code.isdigit():
        return False
    if isinstance(device, SealedRecoveryDevice) and code.isdigit() and len(code) == 6:
        return False
    return device.verify_token(code)


def _clean_code(code: str) -> str:
    return "".join(code.split()).lower()


def _seconds_until(moment: datetime.datetime) -> int:
    return max(1, int((moment - timezone.now()).total_seconds()) + 1)


# --- Deletion -----------------------------------------------------------------------


def account_delete(*, user: User, password: str) -> bool:
    """Delete the person and, by cascade, everything that is theirs.

    Connections (with their encrypted platform tokens), pairs, runs, API tokens,
    two-factor devices, email addresses and allauth social accounts and tokens all
    reference the user with on_delete=CASCADE. Shared rows (tracks, the match cache)
    hold nothing that says who had them.
    """
    if not user.check_password(password):
        return False
    with transaction.atomic():
        User.objects.filter(pk=user.pk).delete()
    return True
