"""Google OAuth 2.0 as the sandbox serves it, mounted at ``/google``.

Paths mirror Google's own hosts so that only the base URL changes for the app:
``/o/oauth2/v2/auth`` (the consent page, accounts.google.com), ``/token`` and
``/revoke`` (oauth2.googleapis.com), ``/oauth2/v3/userinfo``, ``/oauth2/v2/userinfo``
and ``/oauth2/v3/tokeninfo`` (www.googleapis.com), plus an OpenID discovery document.

What it holds to: codes are single-use and bound to client, redirect URI and PKCE
challenge; a refresh token comes only with ``access_type=offline`` (and again only with
``prompt=consent``); refreshing returns a new access token and never a new refresh
token; revoking either token revokes the whole grant; the granted scope is echoed back
exactly as requested, because google-auth-oauthlib raises "Scope has changed" otherwise.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import html
import json
import secrets
import time
from collections.abc import Callable, Iterable
from typing import Any
from urllib.parse import urlencode, urlsplit, urlunsplit

from werkzeug.exceptions import HTTPException, NotFound
from werkzeug.routing import Map, Rule
from werkzeug.wrappers import Request, Response

from platforms.sandbox.core import SandboxState, maybe_fault, sandbox_root
from platforms.sandbox.youtube_world import CODE_LIFETIME, Grant, User, YouTubeWorld

WSGIApp = Callable[..., Iterable[bytes]]
DEFAULT_CLIENT_ID = "sandbox-google-client.apps.googleusercontent.com"
DEFAULT_CLIENT_SECRET = "sandbox-google-secret"
# Scopes that make Google add an OpenID Connect id_token to the token response.
_OPENID_SCOPES = {
    "openid",
    "email",
    "profile",
    "https://www.googleapis.com/auth/userinfo.email",
    "https://www.googleapis.com/auth/userinfo.profile",
}


def setting(name: str, default: Any = None) -> Any:
    """A Django setting, or ``default`` when Django is not configured (sandbox run alone)."""
    try:
        from django.conf import settings

        if settings.configured:
            return getattr(settings, name, default)
    except ImportError:
        pass
    return default


def google_json(body: Any, status: int = 200, headers: dict[str, str] | None = None) -> Response:
    """JSON as Google's front ends write it: pretty-printed, with ``<`` and ``>`` escaped.

    Google's encoder writes ``\\u003c``/``\\u003e`` (the quota message's ``<a>`` link
    arrives that way); clients decode it back, so only byte-level comparisons notice.
    """
    text = json.dumps(body, ensure_ascii=False, indent=2)
    text = text.replace("<", "\\u003c").replace(">", "\\u003e")
    response = Response(text + "\n", status=status, mimetype="application/json")
    response.headers["Content-Type"] = "application/json; charset=UTF-8"
    response.headers["Cache-Control"] = "no-cache, no-store, max-age=0, must-revalidate"
    for name, value in (headers or {}).items():
        response.headers[name] = value
    return response


def issuer(request: Request) -> str:
    """The ``iss`` of id tokens: what the app's allauth expects, else our own URL.

    ``SANDBOX_GOOGLE_ISSUER`` wins; then the app's ``GOOGLE_ID_TOKEN_ISSUER``, because
    allauth reads its issuer once at import and a test's sandbox on a random port would
    otherwise never match it; run alone, the sandbox's own ``/google`` URL.
    """
    configured = setting("SANDBOX_GOOGLE_ISSUER", None) or setting("GOOGLE_ID_TOKEN_ISSUER", None)
    return configured or sandbox_root(request) + "/google"


def google_sub(user_id: str) -> str:
    """A stable 21-digit subject id, the shape of Google's."""
    digest = hashlib.sha256(f"google-sub:{user_id}".encode()).digest()
    return "1" + str(int.from_bytes(digest[:10], "big")).zfill(20)[-20:]


def registered_clients(world: YouTubeWorld) -> dict[str, str]:
    clients = dict(world.clients)
    configured_id = setting("GOOGLE_CLIENT_ID", "") or ""
    configured_secret = setting("GOOGLE_CLIENT_SECRET", "") or ""
    # The app's own client is always known, whatever the deployment configured.
    if configured_id and configured_secret:
        clients.setdefault(configured_id, configured_secret)
    return clients


def bearer_token(request: Request) -> str:
    header = request.headers.get("Authorization", "")
    scheme, _, value = header.partition(" ")
    if scheme.lower() == "bearer" and value.strip():
        return value.strip()
    return request.args.get("access_token", "")


def _b64url(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).decode().rstrip("=")


def make_id_token(
    *, iss: str, client_id: str, secret: str, user: User, nonce: str | None = None
) -> str:
    """An HS256 JWT with Google's claims. allauth checks iss/aud/exp, not the signature.

    ``iat``/``exp`` use the real clock, not the sandbox's: PyJWT checks them against the
    real time, and a test that moved the sandbox clock forward would otherwise make
    the token "not yet valid".
    """
    now = int(time.time())
    given, _, family = user.name.partition(" ")
    claims = {
        "iss": iss,
        "azp": client_id,
        "aud": client_id,
        "sub": google_sub(user.id),
        "email": user.email,
        "email_verified": True,
        "name": user.name,
        "given_name": given,
        "family_name": family,
        "picture": "",
        "iat": now,
        "exp": now + 3600,
    }
    if nonce:
        claims["nonce"] = nonce
    header = {"alg": "HS256", "kid": "sandbox", "typ": "JWT"}
    signing_input = (
        _b64url(json.dumps(header, separators=(",", ":")).encode())
        + "."
        + _b64url(json.dumps(claims, separators=(",", ":")).encode())
    )
    signature = hmac.new(secret.encode(), signing_input.encode(), hashlib.sha256).digest()
    return signing_input + "." + _b64url(signature)


def _with_query(url: str, params: dict[str, str]) -> str:
    parts = urlsplit(url)
    query = parts.query + ("&" if parts.query else "") + urlencode(params)
    return urlunsplit((parts.scheme, parts.netloc, parts.path, query, parts.fragment))


def _token_error(error: str, description: str, status: int = 400) -> Response:
    return google_json({"error": error, "error_description": description}, status)


def _fault(status: int) -> Response:
    if status == 429:
        return _token_error("rate_limit_exceeded", "Rate limit exceeded.", 429)
    if status >= 500:
        return _token_error("internal_failure", "Backend Error", status)
    if status == 401:
        return _token_error("invalid_client", "Unauthorized", 401)
    return _token_error("invalid_request", "Bad Request", status)


def _error_page(status: int, error: str, detail: str) -> Response:
    body = f"""<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>Error {status}: {html.escape(error)}</title>
</head><body><main>
<h1>Access blocked: authorisation error</h1>
<p><strong>Error {status}: {html.escape(error)}</strong></p>
<p>{html.escape(detail)}</p>
</main></body></html>
"""
    return Response(body, status=status, mimetype="text/html")


class GoogleOAuthApp:
    """The WSGI app mounted at ``/google``."""

    def __init__(self, state: SandboxState) -> None:
        self.state = state
        self.url_map = Map(
            [
                Rule("/o/oauth2/v2/auth", methods=["GET"], endpoint="auth"),
                Rule("/o/oauth2/v2/auth", methods=["POST"], endpoint="consent"),
                Rule("/token", methods=["POST"], endpoint="token"),
                Rule("/revoke", methods=["POST", "GET"], endpoint="revoke"),
                Rule("/oauth2/v3/userinfo", methods=["GET", "POST"], endpoint="userinfo"),
                Rule("/oauth2/v2/userinfo", methods=["GET"], endpoint="userinfo_v2"),
                Rule("/oauth2/v3/tokeninfo", methods=["GET", "POST"], endpoint="tokeninfo"),
                Rule(
                    "/.well-known/openid-configuration",
                    methods=["GET"],
                    endpoint="discovery",
                ),
                Rule("/oauth2/v3/certs", methods=["GET"], endpoint="certs"),
                Rule("/oauth2/v1/certs", methods=["GET"], endpoint="certs"),
            ]
        )

    @property
    def world(self) -> YouTubeWorld:
        return self.state.youtube

    def __call__(self, environ: dict[str, Any], start_response: Callable[..., Any]) -> Any:
        request = Request(environ)
        adapter = self.url_map.bind_to_environ(environ)
        try:
            endpoint, _ = adapter.match()
        except NotFound:
            response = _token_error("not_found", "Not Found", 404)
            self.state.counters.hit("google.unknown", 404)
            return response(environ, start_response)
        except HTTPException as exc:
            return exc(environ, start_response)
        name = f"google.{endpoint}"
        response = maybe_fault(self.state, name, _fault)
        if response is None:
            with self.state.lock:
                response = getattr(self, f"on_{endpoint}")(request)
                if request.method == "POST":
                    self.state.touch()
        self.state.counters.hit(name, response.status_code)
        return response(environ, start_response)

    # --- consent --------------------------------------------------------------------

    def on_auth(self, request: Request) -> Response:
        args = request.args
        client_id = args.get("client_id", "")
        redirect_uri = args.get("redirect_uri", "")
        if client_id not in registered_clients(self.world):
            return _error_page(401, "invalid_client", "The OAuth client was not found.")
        if urlsplit(redirect_uri).scheme not in ("http", "https"):
            return _error_page(
                400,
                "redirect_uri_mismatch",
                "You can't sign in to this app because it doesn't comply with Google's "
                "OAuth 2.0 policy. Missing or invalid redirect_uri.",
            )
        state = args.get("state")
        if args.get("response_type") != "code":
            return self._redirect_error(redirect_uri, "unsupported_response_type", state)
        if not args.get("scope", "").strip():
            return _error_page(400, "invalid_request", "Missing required parameter: scope")
        method = args.get("code_challenge_method", "plain" if "code_challenge" in args else "")
        if method not in ("", "plain", "S256"):
            return _error_page(400, "invalid_request", f"Invalid code_challenge_method: {method}")
        if "none" in args.get("prompt", "").split():
            # No session here, so a silent re-authorisation can never succeed.
            return self._redirect_error(redirect_uri, "interaction_required", state)
        pending = {
            "client_id": client_id,
            "redirect_uri": redirect_uri,
            "scope": args["scope"],
            "state": state,
            "access_type": args.get("access_type", "online"),
            "prompt": args.get("prompt", ""),
            "code_challenge": args.get("code_challenge"),
            "code_challenge_method": method or None,
            "nonce": args.get("nonce"),
        }
        auto_user = self.world.find_user(self.world.auto_consent or "")
        if auto_user is not None:
            # Tests that can't click (allauth through Django's test client) turn this on.
            return self._approve(pending, auto_user)
        request_id = secrets.token_urlsafe(16)
        self.world.pending_consents[request_id] = pending
        return self._consent_page(request, request_id, args.get("login_hint", ""), args["scope"])

    def _consent_page(
        self, request: Request, request_id: str, login_hint: str, scope: str
    ) -> Response:
        esc = html.escape
        users = sorted(self.world.users.values(), key=lambda u: u.id)
        hinted = self.world.find_user(login_hint) if login_hint else None
        options = "".join(
            f'<option value="{esc(u.id)}"{" selected" if hinted and u.id == hinted.id else ""}>'
            f"{esc(u.name)} ({esc(u.email)})</option>"
            for u in users
        )
        scopes = "".join(f"<li>{esc(s)}</li>" for s in scope.split())
        action = esc(sandbox_root(request) + "/google/o/oauth2/v2/auth")
        body = f"""<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>Sign in with Google (sandbox)</title>
<style>body{{font-family:sans-serif;max-width:32rem;margin:3rem auto;padding:0 1rem}}
button{{font-size:1rem;padding:.5rem 1.2rem;margin-right:.5rem}}</style></head>
<body><main>
<h1>Sign in with Google <small>(sandbox)</small></h1>
<p>The app asks to:</p><ul>{scopes}</ul>
<form method="post" action="{action}">
<input type="hidden" name="request_id" value="{esc(request_id)}">
<p><label for="user_id">Choose an account</label>
<select id="user_id" name="user_id">{options}</select></p>
<p><button type="submit" name="decision" value="agree">Agree</button>
<button type="submit" name="decision" value="cancel">Cancel</button></p>
</form>
<p><small>This is the Music Sync Hub sandbox, not Google.</small></p>
</main></body></html>
"""
        return Response(body, mimetype="text/html")

    def on_consent(self, request: Request) -> Response:
        pending = self.world.pending_consents.pop(request.form.get("request_id", ""), None)
        if pending is None:
            return _error_page(400, "invalid_request", "This sign-in request has expired.")
        if request.form.get("decision") not in ("agree", "allow"):
            return self._redirect_error(pending["redirect_uri"], "access_denied", pending["state"])
        user = self.world.find_user(request.form.get("user_id", ""))
        if user is None:
            return _error_page(400, "invalid_request", "Choose an account to continue.")
        return self._approve(pending, user)

    def _approve(self, pending: dict[str, Any], user: User) -> Response:
        code = self.world.new_code(
            user_id=user.id,
            expires_at=self.state.clock.now() + CODE_LIFETIME,
            **{k: v for k, v in pending.items() if k != "state"},
        )
        params = {"code": code, "scope": pending["scope"]}
        if pending["state"] is not None:
            params = {"state": pending["state"], **params}
        params["authuser"] = "0"
        params["prompt"] = "consent"
        location = _with_query(pending["redirect_uri"], params)
        return Response(status=302, headers={"Location": location})

    @staticmethod
    def _redirect_error(redirect_uri: str, error: str, state: str | None) -> Response:
        params = {"error": error}
        if state is not None:
            params["state"] = state
        return Response(status=302, headers={"Location": _with_query(redirect_uri, params)})

    # --- tokens ---------------------------------------------------------------------

    def _client(self, request: Request) -> tuple[str, Response | None]:
        """Authenticate the client from a Basic header or the form; return its id."""
        client_id = request.form.get("client_id", "")
        secret = request.form.get("client_secret")
        if request.authorization and request.authorization.type == "basic":
            client_id = request.authorization.username or client_id
            secret = request.authorization.password
        clients = registered_clients(self.world)
        if client_id not in clients:
            return client_id, _token_error("invalid_client", "The OAuth client was not found.", 401)
        if secret is None or not hmac.compare_digest(secret, clients[client_id]):
            return client_id, _token_error("invalid_client", "Unauthorized", 401)
        return client_id, None

    def on_token(self, request: Request) -> Response:
        client_id, error = self._client(request)
        if error is not None:
            return error
        grant_type = request.form.get("grant_type", "")
        if grant_type == "authorization_code":
            return self._exchange_code(request, client_id)
        if grant_type == "refresh_token":
            return self._refresh(request, client_id)
        if not grant_type:
            return _token_error("unsupported_grant_type", "Missing grant_type")
        return _token_error("unsupported_grant_type", f"Invalid grant_type: {grant_type}")

    def _exchange_code(self, request: Request, client_id: str) -> Response:
        code = request.form.get("code", "")
        if not code:
            return _token_error("invalid_request", "Missing required parameter: code")
        details = self.world.codes.get(code)
        if details is None:
            return _token_error("invalid_grant", "Malformed auth code.")
        now = self.state.clock.now()
        if details["used"] or now >= details["expires_at"] or details["client_id"] != client_id:
            return _token_error("invalid_grant", "Bad Request")
        # Single use: a failed attempt spends the code too, so a guessed verifier can't retry.
        details["used"] = True
        if request.form.get("redirect_uri", "") != details["redirect_uri"]:
            return _token_error("redirect_uri_mismatch", "Bad Request")
        challenge = details.get("code_challenge")
        if challenge:
            verifier = request.form.get("code_verifier", "")
            if not verifier:
                return _token_error("invalid_grant", "Missing code verifier.")
            if details.get("code_challenge_method") == "S256":
                computed = _b64url(hashlib.sha256(verifier.encode()).digest())
            else:
                computed = verifier
            if not hmac.compare_digest(computed, challenge):
                return _token_error("invalid_grant", "Invalid code verifier.")
        user = self.world.users.get(details["user_id"])
        if user is None:
            return _token_error("invalid_grant", "Bad Request")
        grant = self.world.new_grant(user.id, client_id, details["scope"], now)
        body = self._token_body(request, grant, user, nonce=details.get("nonce"))
        offline = details.get("access_type") == "offline"
        first = not self.world.has_live_refresh_token(user.id, client_id)
        if offline and (first or "consent" in (details.get("prompt") or "").split()):
            body["refresh_token"] = self.world.issue_refresh_token(grant, now)
        return google_json(body)

    def _refresh(self, request: Request, client_id: str) -> Response:
        token = request.form.get("refresh_token", "")
        if not token:
            return _token_error("invalid_request", "Missing required parameter: refresh_token")
        ttl = setting("SANDBOX_GOOGLE_REFRESH_TOKEN_TTL", None)
        grant = self.world.grant_for_refresh_token(token, self.state.clock.now(), ttl)
        if grant is None:
            return _token_error("invalid_grant", "Token has been expired or revoked.")
        if grant.client_id != client_id:
            return _token_error("unauthorized_client", "Unauthorized", 401)
        user = self.world.users.get(grant.user_id)
        if user is None:
            return _token_error("invalid_grant", "Token has been expired or revoked.")
        # Google does not rotate refresh tokens: the response carries none.
        return google_json(self._token_body(request, grant, user))

    def _token_body(
        self, request: Request, grant: Grant, user: User, nonce: str | None = None
    ) -> dict[str, Any]:
        lifetime = int(self.state.knobs.google_token_lifetime)
        body: dict[str, Any] = {
            "access_token": self.world.issue_access_token(grant, self.state.clock.now(), lifetime),
            "expires_in": lifetime,
            "scope": grant.scope,
            "token_type": "Bearer",
        }
        if _OPENID_SCOPES & set(grant.scope.split()):
            body["id_token"] = make_id_token(
                iss=issuer(request),
                client_id=grant.client_id,
                secret=registered_clients(self.world)[grant.client_id],
                user=user,
                nonce=nonce,
            )
        return body

    def on_revoke(self, request: Request) -> Response:
        token = request.values.get("token", "")
        if not token:
            return _token_error("invalid_request", "Missing required parameter: token")
        if not self.world.revoke_token(token):
            return _token_error("invalid_token", "Token expired or revoked")
        return google_json({})

    # --- identity -------------------------------------------------------------------

    def _user_for(self, request: Request) -> User | None:
        token = bearer_token(request) or request.values.get("access_token", "")
        grant, _ = self.world.grant_for_access_token(token, self.state.clock.now())
        return self.world.users.get(grant.user_id) if grant else None

    def on_userinfo(self, request: Request) -> Response:
        user = self._user_for(request)
        if user is None:
            return _token_error("invalid_request", "Invalid Credentials", 401)
        given, _, family = user.name.partition(" ")
        return google_json(
            {
                "sub": google_sub(user.id),
                "name": user.name,
                "given_name": given,
                "family_name": family,
                "picture": "",
                "email": user.email,
                "email_verified": True,
            }
        )

    def on_userinfo_v2(self, request: Request) -> Response:
        user = self._user_for(request)
        if user is None:
            return google_json(
                {
                    "error": {
                        "code": 401,
                        "message": "Request is missing required authentication credential.",
                        "status": "UNAUTHENTICATED",
                    }
                },
                401,
            )
        given, _, family = user.name.partition(" ")
        return google_json(
            {
                "id": google_sub(user.id),
                "email": user.email,
                "verified_email": True,
                "name": user.name,
                "given_name": given,
                "family_name": family,
                "picture": "",
            }
        )

    def on_tokeninfo(self, request: Request) -> Response:
        token = request.values.get("access_token", "")
        now = self.state.clock.now()
        grant, _ = self.world.grant_for_access_token(token, now)
        if grant is None:
            return _token_error("invalid_token", "Invalid Value")
        info = self.world.access_tokens[token]
        user = self.world.users[grant.user_id]
        return google_json(
            {
                "azp": grant.client_id,
                "aud": grant.client_id,
                "sub": google_sub(user.id),
                "scope": grant.scope,
                "exp": str(int(info["expires_at"])),
                "expires_in": str(max(0, int(info["expires_at"] - now))),
                "email": user.email,
                "email_verified": "true",
                "access_type": "offline",
            }
        )

    def on_discovery(self, request: Request) -> Response:
        base = sandbox_root(request) + "/google"
        return google_json(
            {
                "issuer": issuer(request),
                "authorization_endpoint": base + "/o/oauth2/v2/auth",
                "token_endpoint": base + "/token",
                "userinfo_endpoint": base + "/oauth2/v3/userinfo",
                "revocation_endpoint": base + "/revoke",
                "jwks_uri": base + "/oauth2/v3/certs",
                "response_types_supported": ["code"],
                "subject_types_supported": ["public"],
                "id_token_signing_alg_values_supported": ["HS256"],
                "scopes_supported": ["openid", "email", "profile"],
                "code_challenge_methods_supported": ["plain", "S256"],
                "grant_types_supported": ["authorization_code", "refresh_token"],
            }
        )

    def on_certs(self, request: Request) -> Response:
        # id tokens are HS256 with the client secret: there is no public key to publish.
        return google_json({"keys": []})


def build_app(state: SandboxState) -> WSGIApp:
    """The Google OAuth WSGI app, to mount at ``/google``."""
    return GoogleOAuthApp(state)
