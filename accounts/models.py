from __future__ import annotations

import hmac

from django.conf import settings
from django.contrib.auth.models import AbstractUser, BaseUserManager
from django.db import models
from django_otp.models import Device, ThrottlingMixin, TimestampMixin
from django_otp.plugins.otp_totp.models import TOTPDevice, default_key

from musicsync.crypto import EncryptedTextField


class UserManager(BaseUserManager):
    use_in_migrations = True

    def _create_user(self, email: str, password: str | None, **extra):
        if not email:
            raise ValueError("An email address is required")
        user = self.model(email=self.normalize_email(email), **extra)
        user.set_password(password)
        user.save(using=self._db)
        return user

    def create_user(self, email: str, password: str | None = None, **extra):
        extra.setdefault("is_staff", False)
        extra.setdefault("is_superuser", False)
        return self._create_user(email, password, **extra)

    def create_superuser(self, email: str, password: str | None = None, **extra):
        extra.setdefault("is_staff", True)
        extra.setdefault("is_superuser", True)
        return self._create_user(email, password, **extra)


class User(AbstractUser):
    """A person. The email address is the login name."""

    username = None
    email = models.EmailField("email address", unique=True)

    USERNAME_FIELD = "email"
    REQUIRED_FIELDS: list[str] = []

    objects = UserManager()

    class Meta:
        ordering = ["email"]

    def __str__(self) -> str:
        return self.email


class ApiToken(models.Model):
    """A personal token for the REST API.

    Only a SHA-256 of the secret is stored: the secret is shown once, at creation. A
    random 256-bit secret needs no slow hash; the short prefix finds the row without
    comparing every hash.
    """

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="api_tokens"
    )
    name = models.CharField(max_length=100)
    prefix = models.CharField(max_length=16, unique=True)
    secret_hash = models.CharField(max_length=64)
    created_at = models.DateTimeField(auto_now_add=True)
    last_used_at = models.DateTimeField(null=True, blank=True)
    revoked_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]

    def __str__(self) -> str:
        return f"{self.name} ({self.prefix}…) of {self.user}"

    @property
    def is_active(self) -> bool:
        return self.revoked_at is None


class SealedTOTPDevice(TimestampMixin, ThrottlingMixin, Device):
    """An authenticator app (TOTP), as django-otp's own, with its secret encrypted at rest.

    django-otp keeps the secret in a hex column too short for a ciphertext, and anyone
    who reads the table (or a backup) could compute codes. Here the column is encrypted
    like the platform tokens; everything else (checking a code with drift and
    throttling, the otpauth:// URL) is django-otp's own code, borrowed from its model.
    """

    key = EncryptedTextField(default=default_key)  # hex, 20 random bytes
    step = models.PositiveSmallIntegerField(default=30)
    t0 = models.BigIntegerField(default=0)
    digits = models.PositiveSmallIntegerField(choices=[(6, 6), (8, 8)], default=6)
    tolerance = models.PositiveSmallIntegerField(default=1)
    drift = models.SmallIntegerField(default=0)
    last_t = models.BigIntegerField(default=-1)

    bin_key = TOTPDevice.bin_key
    config_url = TOTPDevice.config_url
    verify_token = TOTPDevice.verify_token
    get_throttle_factor = TOTPDevice.get_throttle_factor
    _read_str_from_settings = TOTPDevice._read_str_from_settings

    class Meta(Device.Meta):
        verbose_name = "authenticator app"


class SealedRecoveryDevice(TimestampMixin, ThrottlingMixin, Device):
    """The person's single-use recovery codes, each encrypted at rest.

    django-otp's static device keeps its codes in plain text. Encrypted (not hashed)
    codes survive a rotation of FIELD_ENCRYPTION_KEY like every other secret; a hash
    keyed by that key would not, and a plain hash of a 40-bit code is easy to reverse.
    """

    class Meta(Device.Meta):
        verbose_name = "set of recovery codes"
        verbose_name_plural = "recovery codes"

    def get_throttle_factor(self) -> int:
        return getattr(settings, "OTP_STATIC_THROTTLE_FACTOR", 1)

    def verify_token(self, token: str) -> bool:
        allowed, _ = self.verify_is_allowed()
        if not allowed:
            return False
        typed = str(token).encode()
        match = next(
            (c for c in self.codes.all() if hmac.compare_digest(c.code.encode(), typed)), None
        )
        # Deleted by primary key, and only the try that deleted it counts: a code used
        # twice at once lets one of the two in.
        if match is None or not SealedRecoveryCode.objects.filter(pk=match.pk).delete()[0]:
            self.throttle_increment(commit=True)
            return False
        self.throttle_reset(commit=False)
        self.set_last_used_timestamp(commit=False)
        self.save()
        return True


class SealedRecoveryCode(models.Model):
    device = models.ForeignKey(SealedRecoveryDevice, on_delete=models.CASCADE, related_name="codes")
    code = EncryptedTextField()

    def __str__(self) -> str:
        return f"a recovery code of {self.device.user}"
