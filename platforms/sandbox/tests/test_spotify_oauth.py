"""Spotify Accounts in the sandbox, driven by spotipy and by hand like a browser would."""

from __future__ import annotations

import base64

import pytest
import requests
import spotipy
from spotipy.cache_handler import MemoryCacheHandler
from spotipy.exceptions import SpotifyOauthError

from platforms.sandbox.spotify_world import SIX_MONTHS
from platforms.sandbox.testing import (
    REDIRECT_URI,
    SPOTIFY_CLIENT_ID,
    SPOTIFY_CLIENT_SECRET,
    SPOTIFY_SCOPES,
    consent,
    pkce_pair,
    query_of,
    spotify_tokens,
)


def _pkce_manager(sandbox) -> spotipy.SpotifyPKCE:
    manager = spotipy.SpotifyPKCE(
        client_id=SPOTIFY_CLIENT_ID,
        redirect_uri=REDIRECT_URI,
        scope=SPOTIFY_SCOPES,
        open_browser=False,
        cache_handler=MemoryCacheHandler(),
    )
    manager.OAUTH_AUTHORIZE_URL = f"{sandbox.spotify_accounts_url}/authorize"
    manager.OAUTH_TOKEN_URL = f"{sandbox.spotify_accounts_url}/api/token"
    return manager


def _oauth_manager(sandbox) -> spotipy.SpotifyOAuth:
    manager = spotipy.SpotifyOAuth(
        client_id=SPOTIFY_CLIENT_ID,
        client_secret=SPOTIFY_CLIENT_SECRET,
        redirect_uri=REDIRECT_URI,
        scope=SPOTIFY_SCOPES,
        open_browser=False,
        cache_handler=MemoryCacheHandler(),
    )
    manager.OAUTH_AUTHORIZE_URL = f"{sandbox.spotify_accounts_url}/authorize"
    manager.OAUTH_TOKEN_URL = f"{sandbox.spotify_accounts_url}/api/token"
    return manager


def _client(sandbox, manager) -> spotipy.Spotify:
    client = spotipy.Spotify(auth_manager=manager, retries=0, status_retries=0)
    client.prefix = f"{sandbox.spotify_api_url}/"
    return client


def _authorize_params(**overrides: str) -> dict[str, str]:
    verifier, challenge = pkce_pair()
    params = {
        "client_id": SPOTIFY_CLIENT_ID,
        "response_type": "code",
        "redirect_uri": REDIRECT_URI,
        "state": "s1",
        "scope": SPOTIFY_SCOPES,
        "code_challenge_method": "S256",
        "code_challenge": challenge,
        "_verifier": verifier,
    }
    params.update(overrides)
    return params


def _code(sandbox, params: dict[str, str], user: str = "sandbox-alice") -> str:
    query = {k: v for k, v in params.items() if not k.startswith("_")}
    url = requests.Request("GET", f"{sandbox.spotify_accounts_url}/authorize", params=query)
    return query_of(consent(url.prepare().url, user))["code"]


def _token(sandbox, data: dict[str, str], auth: tuple[str, str] | None = None):
    return requests.post(f"{sandbox.spotify_accounts_url}/api/token", data=data, auth=auth)


def _redeem(sandbox, params: dict[str, str], code: str, **overrides: str):
    data = {
        "grant_type": "authorization_code",
        "code": code,
        "redirect_uri": params["redirect_uri"],
        "client_id": SPOTIFY_CLIENT_ID,
        "code_verifier": params["_verifier"],
    }
    data.update(overrides)
    return _token(sandbox, data)


def test_spotipy_pkce_signs_alice_in_end_to_end(sandbox):
    manager = _pkce_manager(sandbox)
    location = consent(manager.get_authorize_url(state="abc"), "sandbox-alice")

    assert query_of(location)["state"] == "abc"
    manager.get_access_token(code=manager.parse_response_code(location))
    me = _client(sandbox, manager).me()

    assert me["id"] == "sandbox-alice"
    assert me["email"] == "alice@example.com"


def test_spotipy_confidential_flow_signs_bob_in_with_basic_auth(sandbox):
    manager = _oauth_manager(sandbox)
    location = consent(manager.get_authorize_url(), "sandbox-bob")

    token = manager.get_access_token(manager.parse_response_code(location), check_cache=False)

    assert token["token_type"] == "Bearer"
    assert token["expires_in"] == 3600
    assert set(token["scope"].split()) == set(SPOTIFY_SCOPES.split())
    assert _client(sandbox, manager).me()["id"] == "sandbox-bob"


def test_the_token_response_has_exactly_the_documented_fields(sandbox):
    body = spotify_tokens(sandbox)

    assert list(body) == ["access_token", "token_type", "scope", "expires_in", "refresh_token"]


def test_cancelling_consent_redirects_with_access_denied_and_the_state(sandbox):
    params = _authorize_params(state="keep-me")
    query = {k: v for k, v in params.items() if not k.startswith("_")}
    url = requests.Request("GET", f"{sandbox.spotify_accounts_url}/authorize", params=query)

    location = consent(url.prepare().url, agree=False)

    assert location.startswith(REDIRECT_URI)
    assert query_of(location) == {"error": "access_denied", "state": "keep-me"}


def test_the_consent_page_lets_a_person_choose_a_sandbox_user(sandbox):
    params = {k: v for k, v in _authorize_params().items() if not k.startswith("_")}
    page = requests.get(f"{sandbox.spotify_accounts_url}/authorize", params=params)

    assert page.status_code == 200
    assert "sandbox-alice" in page.text and "sandbox-bob" in page.text
    assert ">Agree</button>" in page.text and ">Cancel</button>" in page.text


def test_the_consent_page_escapes_what_the_client_sent(sandbox):
    params = _authorize_params(state='"><script>alert(1)</script>')
    query = {k: v for k, v in params.items() if not k.startswith("_")}
    page = requests.get(f"{sandbox.spotify_accounts_url}/authorize", params=query)

    assert "<script>" not in page.text


def test_an_unknown_client_gets_an_error_page_not_a_redirect(sandbox):
    params = _authorize_params(client_id="nobody")
    query = {k: v for k, v in params.items() if not k.startswith("_")}
    page = requests.get(
        f"{sandbox.spotify_accounts_url}/authorize", params=query, allow_redirects=False
    )

    assert page.status_code == 400
    assert "INVALID_CLIENT" in page.text


@pytest.mark.parametrize(
    "uri",
    [
        "http://localhost:8000/callback",
        "http://example.com/callback",
        "ftp://127.0.0.1/callback",
    ],
)
def test_insecure_redirect_uris_are_refused(sandbox, uri):
    params = _authorize_params(redirect_uri=uri)
    query = {k: v for k, v in params.items() if not k.startswith("_")}
    page = requests.get(
        f"{sandbox.spotify_accounts_url}/authorize", params=query, allow_redirects=False
    )

    assert page.status_code == 400
    assert "redirect URI" in page.text


@pytest.mark.parametrize(
    "uri", ["http://127.0.0.1:54321/cb", "http://[::1]:8080/cb", "https://hub.example/cb"]
)
def test_loopback_literals_and_https_redirect_uris_are_accepted(sandbox, uri):
    params = _authorize_params(redirect_uri=uri)
    code = _code(sandbox, params)

    assert _redeem(sandbox, params, code).status_code == 200


def test_a_registered_redirect_uri_must_match_but_loopback_ports_may_change(sandbox):
    requests.post(
        f"{sandbox.url}/_control/spotify/clients",
        json={
            "client_id": "strict-app",
            "secret": "s3cret",
            "redirect_uris": ["http://127.0.0.1/callback", "https://hub.example/cb"],
        },
    ).raise_for_status()
    base = f"{sandbox.spotify_accounts_url}/authorize"

    def status_for(uri: str) -> int:
        params = _authorize_params(client_id="strict-app", redirect_uri=uri)
        query = {k: v for k, v in params.items() if not k.startswith("_")}
        return requests.get(base, params=query, allow_redirects=False).status_code

    assert status_for("http://127.0.0.1:9999/callback") == 200
    assert status_for("https://hub.example/cb") == 200
    assert status_for("https://hub.example/other") == 400


def test_the_implicit_grant_is_gone(sandbox):
    params = _authorize_params(response_type="token")
    query = {k: v for k, v in params.items() if not k.startswith("_")}
    answer = requests.get(
        f"{sandbox.spotify_accounts_url}/authorize", params=query, allow_redirects=False
    )

    assert answer.status_code == 302
    assert query_of(answer.headers["Location"])["error"] == "unsupported_response_type"


def test_a_used_code_is_refused(sandbox):
    params = _authorize_params()
    code = _code(sandbox, params)

    assert _redeem(sandbox, params, code).status_code == 200
    second = _redeem(sandbox, params, code)

    assert second.status_code == 400
    assert second.json() == {
        "error": "invalid_grant",
        "error_description": "Invalid authorization code",
    }


def test_an_expired_code_is_refused(sandbox):
    params = _authorize_params()
    code = _code(sandbox, params)
    sandbox.state.clock.advance(601)

    answer = _redeem(sandbox, params, code)

    assert answer.json()["error_description"] == "Invalid authorization code"


def test_a_wrong_code_verifier_is_refused(sandbox):
    params = _authorize_params()
    code = _code(sandbox, params)
    other_verifier, _ = pkce_pair()

    answer = _redeem(sandbox, params, code, code_verifier=other_verifier)

    assert answer.status_code == 400
    assert answer.json() == {
        "error": "invalid_grant",
        "error_description": "code_verifier was incorrect",
    }


def test_a_token_request_with_another_redirect_uri_is_refused(sandbox):
    params = _authorize_params()
    code = _code(sandbox, params)

    answer = _redeem(sandbox, params, code, redirect_uri="http://127.0.0.1:8000/elsewhere/")

    assert answer.status_code == 400
    assert answer.json()["error_description"] == "Invalid redirect URI"


def test_a_wrong_client_secret_is_invalid_client(sandbox):
    answer = _token(
        sandbox, {"grant_type": "client_credentials"}, auth=(SPOTIFY_CLIENT_ID, "wrong")
    )

    assert answer.status_code == 400
    assert answer.json()["error"] == "invalid_client"


def test_an_unknown_grant_type_is_unsupported(sandbox):
    answer = _token(sandbox, {"grant_type": "password"}, auth=(SPOTIFY_CLIENT_ID, "x"))

    assert answer.json()["error"] == "unsupported_grant_type"


def test_client_credentials_give_an_app_token_without_a_user(sandbox):
    answer = _token(
        sandbox,
        {"grant_type": "client_credentials"},
        auth=(SPOTIFY_CLIENT_ID, SPOTIFY_CLIENT_SECRET),
    )
    body = answer.json()

    assert answer.status_code == 200
    assert "refresh_token" not in body
    headers = {"Authorization": f"Bearer {body['access_token']}"}
    track_id = next(iter(sandbox.state.spotify.tracks))
    assert requests.get(f"{sandbox.spotify_api_url}/tracks/{track_id}", headers=headers).ok
    assert requests.get(f"{sandbox.spotify_api_url}/me", headers=headers).status_code == 401


def test_an_access_token_expires_after_expires_in(sandbox):
    token = spotify_tokens(sandbox)["access_token"]
    headers = {"Authorization": f"Bearer {token}"}
    assert requests.get(f"{sandbox.spotify_api_url}/me", headers=headers).ok

    sandbox.state.clock.advance(3601)
    answer = requests.get(f"{sandbox.spotify_api_url}/me", headers=headers)

    assert answer.status_code == 401
    assert answer.json() == {"error": {"status": 401, "message": "The access token expired"}}


def test_spotipy_sees_the_expired_token_as_a_401(sandbox):
    manager = _pkce_manager(sandbox)
    location = consent(manager.get_authorize_url(), "sandbox-alice")
    manager.get_access_token(code=manager.parse_response_code(location))
    client = _client(sandbox, manager)
    sandbox.state.clock.advance(3700)

    with pytest.raises(spotipy.SpotifyException) as caught:
        client.me()

    assert caught.value.http_status == 401
    assert "expired" in caught.value.msg


def test_a_made_up_token_is_invalid(sandbox):
    answer = requests.get(
        f"{sandbox.spotify_api_url}/me", headers={"Authorization": "Bearer nonsense"}
    )

    assert answer.status_code == 401
    assert answer.json()["error"]["message"] == "Invalid access token"


def test_the_token_lifetime_knob_shortens_expiry(sandbox):
    sandbox.state.knobs.update(spotify_token_lifetime=60)

    assert spotify_tokens(sandbox)["expires_in"] == 60


def test_refreshing_rotates_the_refresh_token(sandbox):
    first = spotify_tokens(sandbox)
    refresh = {
        "grant_type": "refresh_token",
        "refresh_token": first["refresh_token"],
        "client_id": SPOTIFY_CLIENT_ID,
    }

    second = _token(sandbox, refresh)
    again = _token(sandbox, refresh)

    assert second.status_code == 200
    assert second.json()["refresh_token"] != first["refresh_token"]
    assert again.status_code == 400
    assert again.json()["error"] == "invalid_grant"


def test_spotipy_refresh_keeps_working_through_rotation(sandbox):
    manager = _pkce_manager(sandbox)
    location = consent(manager.get_authorize_url(), "sandbox-alice")
    manager.get_access_token(code=manager.parse_response_code(location))
    first = manager.cache_handler.get_cached_token()

    second = manager.refresh_access_token(first["refresh_token"])
    third = manager.refresh_access_token(second["refresh_token"])

    assert len({first["refresh_token"], second["refresh_token"], third["refresh_token"]}) == 3
    with pytest.raises(SpotifyOauthError) as caught:
        manager.refresh_access_token(first["refresh_token"])
    assert caught.value.error == "invalid_grant"


def test_refresh_tokens_die_six_months_after_the_first_authorization(sandbox):
    tokens = spotify_tokens(sandbox)
    sandbox.state.clock.advance(SIX_MONTHS - 3600)
    refreshed = _token(
        sandbox,
        {
            "grant_type": "refresh_token",
            "refresh_token": tokens["refresh_token"],
            "client_id": SPOTIFY_CLIENT_ID,
        },
    ).json()
    sandbox.state.clock.advance(7200)

    answer = _token(
        sandbox,
        {
            "grant_type": "refresh_token",
            "refresh_token": refreshed["refresh_token"],
            "client_id": SPOTIFY_CLIENT_ID,
        },
    )

    assert answer.status_code == 400
    assert answer.json()["error"] == "invalid_grant"


def test_a_confidential_refresh_token_needs_the_client_secret(sandbox):
    manager = _oauth_manager(sandbox)
    location = consent(manager.get_authorize_url(), "sandbox-alice")
    token = manager.get_access_token(manager.parse_response_code(location), check_cache=False)
    basic = base64.b64encode(f"{SPOTIFY_CLIENT_ID}:{SPOTIFY_CLIENT_SECRET}".encode()).decode()

    without = _token(
        sandbox,
        {
            "grant_type": "refresh_token",
            "refresh_token": token["refresh_token"],
            "client_id": SPOTIFY_CLIENT_ID,
        },
    )
    with_secret = requests.post(
        f"{sandbox.spotify_accounts_url}/api/token",
        data={"grant_type": "refresh_token", "refresh_token": token["refresh_token"]},
        headers={"Authorization": f"Basic {basic}"},
    )

    assert without.json()["error"] == "invalid_client"
    assert with_secret.status_code == 200


def test_revoking_a_user_kills_their_access_and_refresh_tokens(sandbox):
    tokens = spotify_tokens(sandbox)
    requests.post(f"{sandbox.url}/_control/spotify/users/sandbox-alice/revoke").raise_for_status()

    api = requests.get(
        f"{sandbox.spotify_api_url}/me",
        headers={"Authorization": f"Bearer {tokens['access_token']}"},
    )
    refresh = _token(
        sandbox,
        {
            "grant_type": "refresh_token",
            "refresh_token": tokens["refresh_token"],
            "client_id": SPOTIFY_CLIENT_ID,
        },
    )

    assert api.status_code == 401
    assert refresh.json()["error"] == "invalid_grant"


def test_auto_consent_skips_the_page_for_headless_tests(sandbox):
    requests.post(
        f"{sandbox.url}/_control/spotify/auto_consent", json={"user_id": "sandbox-bob"}
    ).raise_for_status()
    params = _authorize_params()
    query = {k: v for k, v in params.items() if not k.startswith("_")}

    answer = requests.get(
        f"{sandbox.spotify_accounts_url}/authorize", params=query, allow_redirects=False
    )
    code = query_of(answer.headers["Location"])["code"]
    token = _redeem(sandbox, params, code).json()["access_token"]
    me = requests.get(f"{sandbox.spotify_api_url}/me", headers={"Authorization": f"Bearer {token}"})

    assert me.json()["id"] == "sandbox-bob"


def test_a_valid_token_in_the_query_string_is_refused_like_no_token(sandbox):
    token = spotify_tokens(sandbox)["access_token"]
    url = f"{sandbox.spotify_api_url}/me"

    in_query = requests.get(url, params={"access_token": token})
    without = requests.get(url)

    assert in_query.status_code == without.status_code == 401
    assert (
        in_query.json()
        == without.json()
        == {"error": {"status": 401, "message": "No token provided"}}
    )
    assert requests.get(url, headers={"Authorization": f"Bearer {token}"}).ok
