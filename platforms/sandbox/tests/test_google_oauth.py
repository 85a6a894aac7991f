"""Google OAuth in the sandbox, driven by google-auth-oauthlib and plain HTTP."""

from __future__ import annotations

import google.auth.transport.requests
import pytest
import requests
from google.oauth2.credentials import Credentials
from google_auth_oauthlib.flow import Flow

from platforms.sandbox.google import DEFAULT_CLIENT_ID, DEFAULT_CLIENT_SECRET
from platforms.sandbox.testing import consent, pkce_pair, query_of
from platforms.sandbox.tests.youtube_support import (
    YOUTUBE_SCOPE,
    yt_fixture,  # noqa: F401 - the yt fixture
)

REDIRECT_URI = "http://127.0.0.1:8000/accounts/google/login/callback/"
SCOPE = f"openid email profile {YOUTUBE_SCOPE}"


def _authorize(yt, user_id, *, challenge, access_type="offline", prompt="consent", agree=True,
               scope=SCOPE):  # fmt: skip
    params = {
        "client_id": DEFAULT_CLIENT_ID,
        "redirect_uri": REDIRECT_URI,
        "response_type": "code",
        "scope": scope,
        "state": "st4te",
        "access_type": access_type,
        "prompt": prompt,
        "code_challenge": challenge,
        "code_challenge_method": "S256",
    }
    url = requests.Request("GET", yt.google_url + "/o/oauth2/v2/auth", params=params).prepare().url
    return query_of(consent(url, user_id, agree=agree))


def _exchange(yt, code, verifier, **overrides):
    data = {
        "grant_type": "authorization_code",
        "code": code,
        "redirect_uri": REDIRECT_URI,
        "client_id": DEFAULT_CLIENT_ID,
        "client_secret": DEFAULT_CLIENT_SECRET,
        "code_verifier": verifier,
        **overrides,
    }
    return requests.post(yt.google_url + "/token", data=data, timeout=10)


def _refresh(yt, refresh_token, **overrides):
    data = {
        "grant_type": "refresh_token",
        "refresh_token": refresh_token,
        "client_id": DEFAULT_CLIENT_ID,
        "client_secret": DEFAULT_CLIENT_SECRET,
        **overrides,
    }
    return requests.post(yt.google_url + "/token", data=data, timeout=10)


def _tokens(yt, user_id, **kw):
    verifier, challenge = pkce_pair()
    code = _authorize(yt, user_id, challenge=challenge, **kw)["code"]
    response = _exchange(yt, code, verifier)
    assert response.status_code == 200, response.text
    return response.json()


def test_google_auth_oauthlib_signs_in_with_pkce_and_refreshes(yt, monkeypatch):
    monkeypatch.setenv("OAUTHLIB_INSECURE_TRANSPORT", "1")
    ann = yt.person("Ann Example")
    flow = Flow.from_client_config(
        {
            "web": {
                "client_id": DEFAULT_CLIENT_ID,
                "client_secret": DEFAULT_CLIENT_SECRET,
                "auth_uri": yt.google_url + "/o/oauth2/v2/auth",
                "token_uri": yt.google_url + "/token",
                "redirect_uris": [REDIRECT_URI],
            }
        },
        scopes=[YOUTUBE_SCOPE],
        autogenerate_code_verifier=True,
    )
    flow.redirect_uri = REDIRECT_URI
    authorization_url, state = flow.authorization_url(access_type="offline", prompt="consent")

    redirect = query_of(consent(authorization_url, ann))
    assert redirect["state"] == state
    flow.fetch_token(code=redirect["code"])
    credentials = flow.credentials
    first_access = credentials.token
    credentials.refresh(google.auth.transport.requests.Request())

    assert credentials.refresh_token
    assert credentials.token != first_access
    youtube = yt.client(credentials.token)
    channel = youtube.channels().list(part="snippet", mine=True).execute()["items"][0]
    assert channel["snippet"]["title"] == "Ann Example"


def test_the_token_response_echoes_the_scope_and_carries_an_id_token(yt):
    ann = yt.person("Ann Example")

    tokens = _tokens(yt, ann)

    assert tokens["scope"] == SCOPE
    assert tokens["expires_in"] == 3599
    assert tokens["token_type"] == "Bearer"
    assert tokens["refresh_token"] and tokens["id_token"]


def test_the_id_token_passes_the_apps_allauth_checks(yt, settings):
    from allauth.socialaccount.internal import jwtkit

    ann = yt.person("Ann Example")
    tokens = _tokens(yt, ann)

    claims = jwtkit.verify_and_decode(
        credential=tokens["id_token"],
        keys_url=yt.google_url + "/oauth2/v3/certs",
        issuer=settings.SOCIALACCOUNT_PROVIDERS["google"]["ID_TOKEN_ISSUER"],
        audience=settings.SOCIALACCOUNT_PROVIDERS["google"]["APP"]["client_id"],
        lookup_kid=None,
        verify_signature=False,
    )

    assert claims["email"] == f"{ann}@example.com"
    assert claims["email_verified"] is True
    assert claims["name"] == "Ann Example"
    assert claims["sub"].isdigit() and len(claims["sub"]) == 21


@pytest.mark.parametrize(
    ("sandbox_issuer", "app_issuer", "expected"),
    [
        ("https://accounts.google.com", "http://app/sandbox/google", "https://accounts.google.com"),
        (None, "http://app/sandbox/google", "http://app/sandbox/google"),
        (None, None, "own URL"),
    ],
)
def test_the_id_token_issuer_follows_the_settings(
    yt, settings, sandbox_issuer, app_issuer, expected
):
    import jwt

    settings.SANDBOX_GOOGLE_ISSUER = sandbox_issuer
    settings.GOOGLE_ID_TOKEN_ISSUER = app_issuer
    tokens = _tokens(yt, yt.person())

    claims = jwt.decode(tokens["id_token"], options={"verify_signature": False})

    assert claims["iss"] == (yt.google_url if expected == "own URL" else expected)


def test_userinfo_describes_the_person(yt):
    ann = yt.person("Ann Example")
    tokens = _tokens(yt, ann)
    headers = {"Authorization": f"Bearer {tokens['access_token']}"}

    v3 = requests.get(yt.google_url + "/oauth2/v3/userinfo", headers=headers, timeout=10).json()
    v2 = requests.get(yt.google_url + "/oauth2/v2/userinfo", headers=headers, timeout=10).json()

    assert (v3["email"], v3["given_name"], v3["family_name"]) == (
        f"{ann}@example.com",
        "Ann",
        "Example",
    )
    assert v2["id"] == v3["sub"] and v2["verified_email"] is True


def test_refreshing_gives_a_new_access_token_and_keeps_the_refresh_token(yt):
    tokens = _tokens(yt, yt.person())

    first = _refresh(yt, tokens["refresh_token"])
    second = _refresh(yt, tokens["refresh_token"])

    assert first.status_code == second.status_code == 200
    assert "refresh_token" not in first.json()
    assert first.json()["access_token"] != tokens["access_token"]
    assert first.json()["scope"] == SCOPE


def test_a_refreshed_token_works_after_the_old_one_expired(yt):
    tokens = _tokens(yt, yt.person())
    yt.state.clock.advance(3600)
    assert yt.get("channels", tokens["access_token"], part="id", mine="true").status_code == 401

    fresh = _refresh(yt, tokens["refresh_token"]).json()["access_token"]

    assert yt.get("channels", fresh, part="id", mine="true").status_code == 200


def test_a_revoked_refresh_token_gets_invalid_grant(yt):
    tokens = _tokens(yt, yt.person())

    revoked = requests.post(
        yt.google_url + "/revoke", params={"token": tokens["refresh_token"]}, timeout=10
    )
    response = _refresh(yt, tokens["refresh_token"])

    assert revoked.status_code == 200
    assert response.status_code == 400
    assert response.json() == {
        "error": "invalid_grant",
        "error_description": "Token has been expired or revoked.",
    }
    assert yt.get("channels", tokens["access_token"], part="id", mine="true").status_code == 401


def test_revoking_a_person_from_the_control_routes_breaks_refresh(yt):
    ann = yt.person()
    tokens = _tokens(yt, ann)

    yt.control("POST", f"/users/{ann}/revoke")

    assert _refresh(yt, tokens["refresh_token"]).json()["error"] == "invalid_grant"


def test_a_refresh_token_unused_for_six_months_expires(yt):
    tokens = _tokens(yt, yt.person())

    yt.state.clock.advance(184 * 24 * 3600)

    assert _refresh(yt, tokens["refresh_token"]).json()["error"] == "invalid_grant"


def test_a_wrong_code_verifier_is_rejected(yt):
    ann = yt.person()
    _, challenge = pkce_pair()
    code = _authorize(yt, ann, challenge=challenge)["code"]
    other_verifier, _ = pkce_pair()

    response = _exchange(yt, code, other_verifier)

    assert response.status_code == 400
    assert response.json()["error"] == "invalid_grant"


def test_a_code_can_be_used_only_once(yt):
    ann = yt.person()
    verifier, challenge = pkce_pair()
    code = _authorize(yt, ann, challenge=challenge)["code"]

    assert _exchange(yt, code, verifier).status_code == 200
    again = _exchange(yt, code, verifier)

    assert again.status_code == 400
    assert again.json()["error"] == "invalid_grant"


def test_a_code_expires_after_ten_minutes(yt):
    ann = yt.person()
    verifier, challenge = pkce_pair()
    code = _authorize(yt, ann, challenge=challenge)["code"]

    yt.state.clock.advance(601)

    assert _exchange(yt, code, verifier).json()["error"] == "invalid_grant"


def test_the_redirect_uri_must_match_the_one_authorised(yt):
    ann = yt.person()
    verifier, challenge = pkce_pair()
    code = _authorize(yt, ann, challenge=challenge)["code"]

    response = _exchange(yt, code, verifier, redirect_uri="http://127.0.0.1:9999/elsewhere")

    assert response.status_code == 400
    assert response.json()["error"] == "redirect_uri_mismatch"


def test_a_wrong_client_secret_is_an_invalid_client(yt):
    ann = yt.person()
    verifier, challenge = pkce_pair()
    code = _authorize(yt, ann, challenge=challenge)["code"]

    response = _exchange(yt, code, verifier, client_secret="wrong")

    assert response.status_code == 401
    assert response.json()["error"] == "invalid_client"


def test_cancelling_the_consent_redirects_with_access_denied(yt):
    redirect = _authorize(yt, yt.person(), challenge=pkce_pair()[1], agree=False)

    assert redirect == {"error": "access_denied", "state": "st4te"}


def test_a_refresh_token_comes_only_with_offline_access(yt):
    ann = yt.person()

    online = _tokens(yt, ann, access_type="online")
    offline = _tokens(yt, ann, access_type="offline", prompt="")
    again = _tokens(yt, ann, access_type="offline", prompt="")
    forced = _tokens(yt, ann, access_type="offline", prompt="consent")

    assert "refresh_token" not in online
    assert "refresh_token" in offline
    # Google gives a refresh token again only when consent is asked for again.
    assert "refresh_token" not in again
    assert "refresh_token" in forced


def test_auto_consent_skips_the_consent_page(yt):
    ann = yt.person()
    yt.control("POST", "/auto_consent", json={"user_id": ann})
    verifier, challenge = pkce_pair()
    params = {
        "client_id": DEFAULT_CLIENT_ID,
        "redirect_uri": REDIRECT_URI,
        "response_type": "code",
        "scope": SCOPE,
        "code_challenge": challenge,
        "code_challenge_method": "S256",
    }

    page = requests.get(
        yt.google_url + "/o/oauth2/v2/auth", params=params, allow_redirects=False, timeout=10
    )

    assert page.status_code == 302
    code = query_of(page.headers["Location"])["code"]
    assert _exchange(yt, code, verifier).status_code == 200


@pytest.mark.parametrize(
    ("client_id", "status"), [("unknown.apps.googleusercontent.com", 401), (DEFAULT_CLIENT_ID, 200)]
)
def test_the_consent_page_knows_only_registered_clients(yt, client_id, status):
    params = {
        "client_id": client_id,
        "redirect_uri": REDIRECT_URI,
        "response_type": "code",
        "scope": SCOPE,
    }

    page = requests.get(yt.google_url + "/o/oauth2/v2/auth", params=params, timeout=10)

    assert page.status_code == status


def test_minted_credentials_work_with_google_auth(yt):
    tokens = yt.tokens(yt.person())
    credentials = Credentials(
        token=None,
        refresh_token=tokens["refresh_token"],
        token_uri=yt.google_url + "/token",
        client_id=DEFAULT_CLIENT_ID,
        client_secret=DEFAULT_CLIENT_SECRET,
    )

    credentials.refresh(google.auth.transport.requests.Request())

    assert credentials.valid
