"""The allauth account adapter: where the two-factor step joins the login."""

from __future__ import annotations

from allauth.account.adapter import DefaultAccountAdapter


class AccountAdapter(DefaultAccountAdapter):
    def get_login_stages(self) -> list[str]:
        # Last, so the code is asked once the person is otherwise known and verified.
        return [*super().get_login_stages(), "accounts.otp.TwoFactorStage"]
