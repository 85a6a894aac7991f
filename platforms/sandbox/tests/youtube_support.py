"""Helpers for the YouTube and Google sandbox tests: a ``yt`` harness over a running sandbox.

Tests import the ``yt`` fixture from here (as ``yt_fixture``). It stands on the shared
``sandbox`` fixture, which resets the state for each test and fails the test if any
response does not conform to the specs (``conformance_youtube`` for YouTube).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import pytest
import requests

from platforms.sandbox.core import SandboxState
from platforms.sandbox.google import DEFAULT_CLIENT_ID
from platforms.sandbox.youtube import mint_tokens
from platforms.sandbox.youtube_world import YouTubeWorld

YOUTUBE_SCOPE = "https://www.googleapis.com/auth/youtube"
READONLY_SCOPE = "https://www.googleapis.com/auth/youtube.readonly"


@dataclass
class YouTubeHarness:
    """A running sandbox seen from the YouTube side, with people and videos to test on."""

    url: str
    state: SandboxState
    _counter: int = 0

    @property
    def world(self) -> YouTubeWorld:
        return self.state.youtube

    @property
    def api_url(self) -> str:
        return self.url + "/youtube"

    @property
    def google_url(self) -> str:
        return self.url + "/google"

    def endpoint(self, name: str) -> str:
        """The full URL of an API method path such as ``playlists`` or ``videos/rate``."""
        return f"{self.api_url}/youtube/v3/{name}"

    def person(self, name: str = "Ann Example") -> str:
        """A new YouTube user with a channel; returns the user id."""
        self._counter += 1
        user_id = f"yt-tester-{self._counter}"
        with self.state.lock:
            self.world.add_user(user_id, f"{user_id}@example.com", name)
        return user_id

    def video(
        self, title: str, channel: str = "Some Artist - Topic", duration_s: int = 215, **kw: Any
    ) -> str:
        self._counter += 1
        video_id = f"tv{self._counter:09d}"
        channel_id = "UC" + f"chan{abs(hash(channel)) % 10**12:012d}".ljust(22, "x")[:22]
        with self.state.lock:
            self.world.add_video(video_id, title, channel_id, channel, duration_s, **kw)
        return video_id

    def videos(self, count: int, title: str = "Track") -> list[str]:
        return [self.video(f"{title} {n}") for n in range(count)]

    def playlist(self, user_id: str, title: str, video_ids: list[str]) -> str:
        with self.state.lock:
            return self.world.add_playlist(user_id, title, video_ids)

    def tokens(
        self, user_id: str, *, scope: str = YOUTUBE_SCOPE, client_id: str = DEFAULT_CLIENT_ID
    ) -> dict[str, Any]:
        with self.state.lock:
            return mint_tokens(self.state, user_id, scope=scope, client_id=client_id)

    def token(self, user_id: str, **kw: Any) -> str:
        return self.tokens(user_id, **kw)["access_token"]

    def client(self, token: str) -> Any:
        """google-api-python-client's YouTube resource, pointed at the sandbox."""
        from google.oauth2.credentials import Credentials
        from googleapiclient.discovery import build

        return build(
            "youtube",
            "v3",
            static_discovery=True,
            credentials=Credentials(token=token),
            client_options={"api_endpoint": self.api_url},
            cache_discovery=False,
        )

    def get(self, name: str, token: str, **params: Any) -> requests.Response:
        headers = {"Authorization": f"Bearer {token}"}
        headers.update(params.pop("headers", {}))
        return requests.get(self.endpoint(name), params=params, headers=headers, timeout=10)

    def send(self, method: str, name: str, token: str, **kw: Any) -> requests.Response:
        headers = {"Authorization": f"Bearer {token}"}
        return requests.request(method, self.endpoint(name), headers=headers, timeout=10, **kw)

    def control(self, method: str, path: str, **kw: Any) -> Any:
        response = requests.request(method, f"{self.url}/_control/youtube{path}", timeout=10, **kw)
        response.raise_for_status()
        return response.json()

    def quota_used(self, project: str = DEFAULT_CLIENT_ID) -> int:
        return self.control("GET", "/quota", params={"project": project})["used"]

    def calls(self, endpoint: str) -> int:
        return self.state.counters.calls(endpoint)


@pytest.fixture(name="yt")
def yt_fixture(sandbox: Any) -> YouTubeHarness:
    """The harness over the shared ``sandbox`` fixture (fresh state, responses validated)."""
    return YouTubeHarness(url=sandbox.url, state=sandbox.state)


def error_reason(response: requests.Response) -> str:
    return response.json()["error"]["errors"][0]["reason"]
