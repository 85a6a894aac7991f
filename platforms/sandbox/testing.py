"""Running the sandbox in a background thread, for tests and benchmarks.

server = SandboxServer().start()
... requests to f"{server.url}/spotify/api/v1/me" ...
server.stop()
"""

from __future__ import annotations

import base64
import hashlib
import secrets
import threading
from collections import deque
from html.parser import HTMLParser
from typing import Any
from urllib.parse import parse_qs, urlencode, urlsplit

from werkzeug.serving import BaseWSGIServer, WSGIRequestHandler, make_server

from platforms.sandbox.core import SandboxState
from platforms.sandbox.server import SandboxApp, create_app


class _QuietHandler(WSGIRequestHandler):
    # Tests make thousands of requests; a line each would drown the output. The lines are
    # kept on the server instead, for tests about what an access log would show.
    def log_request(self, *args: Any, **kwargs: Any) -> None:
        self.server.request_lines.append(self.requestline)


class SandboxServer:
    """``create_app(state)`` on 127.0.0.1 and a free port, served by a threaded werkzeug."""

    def __init__(
        self,
        state: SandboxState | None = None,
        *,
        validate: bool = False,
        host: str = "127.0.0.1",
        port: int = 0,
    ) -> None:
        self.state = state if state is not None else SandboxState()
        self.app: SandboxApp = create_app(self.state, persist_path=None, validate=validate)
        self._host = host
        self._port = port
        self._server: BaseWSGIServer | None = None
        self._thread: threading.Thread | None = None
        # "GET /spotify/api/v1/me HTTP/1.1", as an access log prints them; the last 1,000.
        self.request_lines: deque[str] = deque(maxlen=1000)

    @property
    def url(self) -> str:
        if self._server is None:
            raise RuntimeError("the sandbox server is not running; call start() first")
        return f"http://{self._host}:{self._server.server_port}"

    # The URLs the app's settings take, for this server.
    @property
    def spotify_accounts_url(self) -> str:
        return f"{self.url}/spotify/accounts"

    @property
    def spotify_api_url(self) -> str:
        return f"{self.url}/spotify/api/v1"

    @property
    def google_oauth_url(self) -> str:
        return f"{self.url}/google"

    @property
    def youtube_api_url(self) -> str:
        return f"{self.url}/youtube"

    def start(self) -> SandboxServer:
        self._server = make_server(
            self._host, self._port, self.app, threaded=True, request_handler=_QuietHandler
        )
        self._server.request_lines = self.request_lines
        self._thread = threading.Thread(
            target=self._server.serve_forever, name="sandbox-server", daemon=True
        )
        self._thread.start()
        return self

    def stop(self) -> None:
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
        if self._thread is not None:
            self._thread.join(timeout=5)
        self._server = self._thread = None

    def reset(self, seed: int = 0) -> None:
        """Fresh worlds, knobs, counters and clock; no recorded conformance failures or requests."""
        self.state.reset(seed=seed)
        self.request_lines.clear()

    def __enter__(self) -> SandboxServer:
        return self.start()

    def __exit__(self, *exc: Any) -> None:
        self.stop()


SPOTIFY_SCOPES = (
    "user-read-email user-read-private playlist-read-private playlist-read-collaborative "
    "playlist-modify-public playlist-modify-private user-library-read user-library-modify"
)
SPOTIFY_CLIENT_ID = "sandbox-spotify-client"
SPOTIFY_CLIENT_SECRET = "sandbox-spotify-secret"
REDIRECT_URI = "http://127.0.0.1:8000/accounts/spotify/login/callback/"


class _FormReader(HTMLParser):
    """The consent page's form: its action and the fields a browser would send."""

    def __init__(self) -> None:
        super().__init__()
        self.action = ""
        self.fields: dict[str, str] = {}
        self.options: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        values = {k: v or "" for k, v in attrs}
        if tag == "form":
            self.action = values.get("action", "")
        elif tag == "input" and values.get("type") == "hidden":
            self.fields[values["name"]] = values.get("value", "")
        elif tag == "option":
            self.options.append(values.get("value", ""))


def consent(authorize_url: str, user_id: str = "sandbox-alice", *, agree: bool = True) -> str:
    """Drive the Spotify consent page as a person would; return the redirect's Location."""
    import requests

    page = requests.get(authorize_url, allow_redirects=False, timeout=10)
    if page.status_code == 302:  # auto-consent is on
        return page.headers["Location"]
    page.raise_for_status()
    form = _FormReader()
    form.feed(page.text)
    data = {**form.fields, "user_id": user_id, "decision": "agree" if agree else "cancel"}
    answer = requests.post(form.action, data=data, allow_redirects=False, timeout=10)
    if answer.status_code != 302:
        raise AssertionError(f"consent gave {answer.status_code}: {answer.text[:200]}")
    return answer.headers["Location"]


def query_of(url: str) -> dict[str, str]:
    return {k: v[0] for k, v in parse_qs(urlsplit(url).query).items()}


def pkce_pair() -> tuple[str, str]:
    verifier = secrets.token_urlsafe(64)[:96]
    digest = hashlib.sha256(verifier.encode()).digest()
    return verifier, base64.urlsafe_b64encode(digest).rstrip(b"=").decode()


def spotify_tokens(
    server: SandboxServer,
    user_id: str = "sandbox-alice",
    *,
    scope: str = SPOTIFY_SCOPES,
    redirect_uri: str = REDIRECT_URI,
) -> dict[str, Any]:
    """A full PKCE authorization-code flow for ``user_id``; the token endpoint's JSON."""
    import requests

    verifier, challenge = pkce_pair()
    params = {
        "client_id": SPOTIFY_CLIENT_ID,
        "response_type": "code",
        "redirect_uri": redirect_uri,
        "state": "xyz",
        "scope": scope,
        "code_challenge_method": "S256",
        "code_challenge": challenge,
    }
    location = consent(f"{server.spotify_accounts_url}/authorize?{urlencode(params)}", user_id)
    code = query_of(location)["code"]
    answer = requests.post(
        f"{server.spotify_accounts_url}/api/token",
        data={
            "grant_type": "authorization_code",
            "code": code,
            "redirect_uri": redirect_uri,
            "client_id": SPOTIFY_CLIENT_ID,
            "code_verifier": verifier,
        },
        timeout=10,
    )
    answer.raise_for_status()
    return answer.json()


def spotipy_client(
    server: SandboxServer, user_id: str = "sandbox-alice", *, retries: int = 0, **kwargs: Any
) -> Any:
    """A spotipy client signed in as ``user_id`` and pointed at the sandbox."""
    import spotipy

    token = spotify_tokens(server, user_id)["access_token"]
    client = spotipy.Spotify(auth=token, retries=retries, status_retries=retries, **kwargs)
    client.prefix = f"{server.spotify_api_url}/"
    return client
