"""pytest fixtures for the sandbox; registered in the root conftest.py.

- ``sandbox``: a ``SandboxServer`` (one per test session) with a fresh state for each
  test (seed 0: the demo people and catalogue). Every JSON body it returns is checked
  against the platform specs; the test fails at teardown if one did not conform.
- ``sandbox_settings``: pytest-django's ``settings`` pointed at that server
  (``SPOTIFY_ACCOUNTS_URL``, ``SPOTIFY_API_URL``, ``GOOGLE_OAUTH_URL``,
  ``YOUTUBE_API_URL``, ``SANDBOX_URL``); it yields the server too.
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from platforms.sandbox.testing import SandboxServer


@pytest.fixture(scope="session")
def sandbox_server() -> Iterator[SandboxServer]:
    server = SandboxServer(validate=True).start()
    yield server
    server.stop()


@pytest.fixture
def sandbox(sandbox_server: SandboxServer) -> Iterator[SandboxServer]:
    sandbox_server.reset(seed=0)
    yield sandbox_server
    failures = list(sandbox_server.state.conformance_failures)
    sandbox_server.state.conformance_failures.clear()
    if failures:
        shown = "\n".join(f"  {failure}" for failure in failures[:20])
        more = f"\n  ... and {len(failures) - 20} more" if len(failures) > 20 else ""
        pytest.fail(
            f"the sandbox sent {len(failures)} response(s) that do not match the platform "
            f"specs:\n{shown}{more}",
            pytrace=False,
        )


@pytest.fixture
def sandbox_settings(settings, sandbox: SandboxServer) -> Iterator[SandboxServer]:
    settings.SANDBOX_URL = sandbox.url
    settings.SPOTIFY_ACCOUNTS_URL = sandbox.spotify_accounts_url
    settings.SPOTIFY_API_URL = sandbox.spotify_api_url
    settings.GOOGLE_OAUTH_URL = sandbox.google_oauth_url
    settings.YOUTUBE_API_URL = sandbox.youtube_api_url
    yield sandbox
