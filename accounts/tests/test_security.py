from __future__ import annotations

import json
import os
import re
import secrets
import subprocess
import sys
from pathlib import Path

import pytest
from cryptography.fernet import Fernet
from django.conf import settings

from accounts.tests.conftest import log_in

ROOT = Path(__file__).resolve().parents[2]


def production_env(tmp_path: Path, **extra: str) -> dict[str, str]:
    env = {
        key: value
        for key, value in os.environ.items()
        if key not in {"DATABASE_URL", "REDIS_URL", "DEBUG", "SECRET_KEY", "ALLOWED_HOSTS"}
        and not key.startswith(("PYTEST", "DJANGO_"))
    }
    env.update(
        DEBUG="false",
        SECRET_KEY=secrets.token_urlsafe(60),
        FIELD_ENCRYPTION_KEY=Fernet.generate_key().decode(),
        ALLOWED_HOSTS="sync.example.com",
        MUSICSYNC_TESTING="0",
        MUSICSYNC_VAR_DIR=str(tmp_path),
        DJANGO_SETTINGS_MODULE="musicsync.settings",
    )
    env.update(extra)
    return env


def run(args: list[str], env: dict[str, str]) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, *args], cwd=ROOT, env=env, capture_output=True, text=True, timeout=120
    )


def test_check_deploy_is_clean_with_production_settings(tmp_path):
    result = run(
        ["manage.py", "check", "--deploy", "--fail-level", "WARNING"], production_env(tmp_path)
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert "no issues" in result.stdout


@pytest.mark.redis
def test_check_deploy_is_clean_with_production_settings_and_redis(tmp_path):
    env = production_env(tmp_path, REDIS_URL=settings.REDIS_URL)
    result = run(["manage.py", "check", "--deploy", "--fail-level", "WARNING"], env)
    assert result.returncode == 0, result.stdout + result.stderr


def test_production_refuses_to_start_without_a_secret_key(tmp_path):
    env = production_env(tmp_path)
    del env["SECRET_KEY"]
    result = run(["manage.py", "check"], env)
    assert result.returncode != 0
    assert "SECRET_KEY must be set" in result.stderr


PROBE = """
import json, django
django.setup()
from django.core.management import call_command
call_command("migrate", verbosity=0)
from django.test import Client
client = Client(HTTP_HOST="sync.example.com")
plain = client.get("/accounts/login/")
page = client.get("/accounts/login/", secure=True)
print(json.dumps({
    "plain_status": plain.status_code,
    "plain_location": plain.get("Location", ""),
    "headers": dict(page.headers),
    "cookies": {name: dict(morsel) for name, morsel in page.cookies.items()},
}))
"""


def test_production_responses_carry_the_secure_headers_and_cookies(tmp_path):
    result = run(["-c", PROBE], production_env(tmp_path))
    assert result.returncode == 0, result.stderr
    seen = json.loads(result.stdout.strip().splitlines()[-1])

    assert seen["plain_status"] == 301
    assert seen["plain_location"].startswith("https://sync.example.com/")
    headers = seen["headers"]
    assert headers["Strict-Transport-Security"].startswith("max-age=31536000")
    assert headers["X-Frame-Options"] == "DENY"
    assert headers["X-Content-Type-Options"] == "nosniff"
    csp = headers["Content-Security-Policy"]
    assert "script-src 'self'" in csp
    assert "unsafe-inline" not in csp
    assert "frame-ancestors 'none'" in csp
    assert "Server" not in headers
    csrf = seen["cookies"]["csrftoken"]
    assert csrf["secure"] is True
    assert csrf["httponly"] is True


@pytest.mark.django_db
def test_pages_send_csp_and_refuse_framing(client):
    response = client.get("/accounts/login/")
    assert response["X-Frame-Options"] == "DENY"
    csp = response["Content-Security-Policy"]
    assert "default-src 'self'" in csp
    assert "script-src 'self'" in csp


@pytest.mark.django_db
def test_the_session_cookie_is_http_only(client, alice):
    log_in(client, alice.email)
    assert client.cookies[settings.SESSION_COOKIE_NAME]["httponly"] is True


def test_the_account_pages_have_no_inline_script_or_style():
    """The CSP forbids them: one would silently not run in the browser."""
    folders = ["account", "accounts", "allauth", "includes"]
    paths = [p for f in folders for p in (ROOT / "templates" / f).rglob("*.html")]
    paths += [ROOT / "templates" / "base.html", ROOT / "templates" / "429.html"]
    offenders = []
    for path in paths:
        text = re.sub(r"{#.*?#}|{% comment %}.*?{% endcomment %}", "", path.read_text(), flags=re.S)
        if "style=" in text or "<style" in text:
            offenders.append(f"{path.name}: inline style")
        for tag in text.split("<script")[1:]:
            if "src=" not in tag.split(">")[0]:
                offenders.append(f"{path.name}: inline script")
    assert offenders == []
