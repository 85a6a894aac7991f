"""Bad settings fail loudly and name the variable to fix."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]


def load_settings(**env: str) -> subprocess.CompletedProcess:
    clean = {k: v for k, v in os.environ.items() if k not in {"DEBUG", "SECRET_KEY"}}
    clean.update({"DJANGO_SETTINGS_MODULE": "musicsync.settings", "MUSICSYNC_TESTING": "0"})
    clean.update(env)
    code = "import django; django.setup(); from django.conf import settings; print(settings.DEBUG)"
    return subprocess.run(
        [sys.executable, "-c", code], cwd=ROOT, env=clean, capture_output=True, text=True
    )


@pytest.mark.parametrize(
    ("env", "variable"),
    [
        ({"DEBUG": "maybe"}, "DEBUG"),
        ({"DEBUG": "true", "DATABASE_URL": "nosuchdb://x"}, "DATABASE_URL"),
        ({"DEBUG": "true", "REDIS_URL": "localhost:6379"}, "REDIS_URL"),
        ({"DEBUG": "true", "YOUTUBE_DAILY_QUOTA": "lots"}, "YOUTUBE_DAILY_QUOTA"),
        ({"DEBUG": "true", "MUSICSYNC_2FA": "sometimes"}, "MUSICSYNC_2FA"),
        ({"DEBUG": "true", "SENTRY_DSN": "not a url"}, "SENTRY_DSN"),
        ({"DEBUG": "true", "PAGE_CACHE_SECONDS": "soon"}, "PAGE_CACHE_SECONDS"),
        ({"DEBUG": "true", "REDIS_URL": "", "PAGE_CACHE_SECONDS": "60"}, "PAGE_CACHE_SECONDS"),
        ({"DEBUG": "false"}, "SECRET_KEY"),
        ({"DEBUG": "false", "SECRET_KEY": "x" * 50}, "FIELD_ENCRYPTION_KEY"),
    ],
)
def test_a_bad_value_stops_the_app_and_names_its_variable(env, variable):
    result = load_settings(**env)
    assert result.returncode != 0
    assert "ImproperlyConfigured" in result.stderr
    assert variable in result.stderr.splitlines()[-1]


def test_good_values_load():
    result = load_settings(DEBUG="yes")
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "True"


def test_the_sandbox_state_file_and_seed_come_from_the_environment(tmp_path):
    # make run sets SANDBOX_STATE_FILE so a restart keeps the libraries; it was never read.
    path = tmp_path / "sandbox.json"
    env = dict(os.environ, DJANGO_SETTINGS_MODULE="musicsync.settings", MUSICSYNC_TESTING="0")
    env.update(DEBUG="true", SANDBOX_STATE_FILE=str(path), SANDBOX_SEED="7")
    code = (
        "import django; django.setup(); from django.conf import settings; "
        "print(settings.SANDBOX_STATE_FILE, settings.SANDBOX_SEED)"
    )
    result = subprocess.run(
        [sys.executable, "-c", code], cwd=ROOT, env=env, capture_output=True, text=True
    )
    assert result.stdout.split() == [str(path), "7"], result.stderr
    refused = load_settings(DEBUG="true", SANDBOX_SEED="-1")
    assert refused.returncode != 0 and "SANDBOX_SEED" in refused.stderr.splitlines()[-1]


def test_sandbox_is_not_served_with_debug_off_unless_asked():
    code = (
        "import django; django.setup(); from django.conf import settings; "
        "print(settings.MUSICSYNC_SANDBOX, settings.SPOTIFY_API_URL)"
    )
    base = {k: v for k, v in os.environ.items() if k != "DEBUG"}
    base.update(
        DJANGO_SETTINGS_MODULE="musicsync.settings",
        MUSICSYNC_TESTING="0",
        DEBUG="false",
        SECRET_KEY="s" * 50,
        FIELD_ENCRYPTION_KEY="bXVzaWNzeW5jLWRldmVsb3BtZW50LWtleS0wMDAwMDA=",
    )
    off = subprocess.run(
        [sys.executable, "-c", code], cwd=ROOT, env=base, capture_output=True, text=True
    )
    assert off.stdout.split() == ["False", "https://api.spotify.com/v1"]
    base["MUSICSYNC_SANDBOX"] = "true"
    on = subprocess.run(
        [sys.executable, "-c", code], cwd=ROOT, env=base, capture_output=True, text=True
    )
    assert on.stdout.split()[0] == "True"
    assert "/sandbox/spotify/api/v1" in on.stdout
