"""System checks: a mistyped rate limit fails at start-up, not at the first login."""

from __future__ import annotations

import re

from django.conf import settings
from django.core.checks import Error, register

_RATE = re.compile(r"^\d+/\d*[smhd]$")


@register()
def check_rate_limits(app_configs, **kwargs) -> list[Error]:
    errors = []
    for name, rate in getattr(settings, "MUSICSYNC_RATE_LIMITS", {}).items():
        if not isinstance(rate, str) or not _RATE.match(rate):
            errors.append(
                Error(
                    f"Rate limit {name!r} is {rate!r}; expected e.g. '10/m' or '30/10m'",
                    hint="Fix the RATE_LIMIT_* environment variable.",
                    id="accounts.E001",
                )
            )
    return errors
