"""Helpers for the accounts tests: a person with two-factor on, and their codes."""

from __future__ import annotations

from dataclasses import dataclass

import pytest
from django_otp.oath import totp

from accounts import services
from accounts.models import SealedTOTPDevice
from conftest import PASSWORD


@dataclass
class TwoFactor:
    device: SealedTOTPDevice
    recovery_codes: list[str]

    def code(self, *, ahead: int = 0) -> str:
        """The app's code now (or `ahead` steps on: a code is accepted once per step)."""
        d = self.device
        return f"{totp(d.bin_key, d.step, d.t0, d.digits, drift=ahead):06d}"


@pytest.fixture
def alice_2fa(alice) -> TwoFactor:
    device = SealedTOTPDevice.objects.create(user=alice, name="Phone", confirmed=True)
    codes = services.recovery_codes_regenerate(user=alice)
    return TwoFactor(device=device, recovery_codes=codes)


def log_in(client, email: str, password: str = PASSWORD, **extra):
    return client.post("/accounts/login/", {"login": email, "password": password}, **extra)
