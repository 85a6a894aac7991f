"""The container's HEALTHCHECK: GET /health on this container, as a host Django accepts.

Django answers 400 to a Host header outside ALLOWED_HOSTS, so the check sends the first
allowed name rather than 127.0.0.1 (which production settings rarely allow).
"""

from __future__ import annotations

import os
import sys
import urllib.request


def host() -> str:
    for name in os.environ.get("ALLOWED_HOSTS", "localhost").split(","):
        name = name.strip().lstrip(".")
        if name and name != "*":
            return name
    return "localhost"


def main() -> int:
    port = os.environ.get("PORT", "8000")
    request = urllib.request.Request(
        f"http://127.0.0.1:{port}/health",
        headers={"Host": host(), "X-Forwarded-Proto": "https", "X-Request-ID": "healthcheck"},
    )
    try:
        with urllib.request.urlopen(request, timeout=4) as response:  # noqa: S310 - fixed URL
            return 0 if response.status == 200 else 1
    except OSError as exc:
        print(f"health check failed: {exc}", file=sys.stderr)
        return 1


if __name__ == "__main__":
    sys.exit(main())
