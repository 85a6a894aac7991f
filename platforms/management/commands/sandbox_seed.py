"""Load a pairs CSV into a running sandbox, or give a person a big library for benchmarks."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import requests
from django.conf import settings
from django.core.management.base import BaseCommand, CommandError


class Command(BaseCommand):
    help = "Add a pairs CSV to a running sandbox's catalogue (POST /_control/seed)."

    def add_arguments(self, parser: Any) -> None:
        parser.add_argument("--catalog", metavar="PATH", help="a CSV with dev_pairs.csv columns")
        parser.add_argument("--url", default=settings.SANDBOX_URL, help="the sandbox's base URL")
        parser.add_argument("--limit", type=int, help="only the first N rows")
        parser.add_argument(
            "--large-library",
            metavar="USER_ID",
            help="also give this sandbox person a big library (see --tracks)",
        )
        parser.add_argument("--tracks", type=int, default=10_000)

    def handle(self, *args: Any, **options: Any) -> None:
        base = options["url"].rstrip("/")
        if not options["catalog"] and not options["large_library"]:
            raise CommandError("give --catalog PATH and/or --large-library USER_ID")
        try:
            if options["catalog"]:
                path = Path(options["catalog"])
                if not path.is_file():
                    raise CommandError(f"no such catalogue file: {path}")
                params = {"limit": options["limit"]} if options["limit"] else {}
                answer = requests.post(
                    f"{base}/_control/seed",
                    data=path.read_bytes(),
                    params=params,
                    headers={"Content-Type": "text/csv; charset=utf-8"},
                    timeout=300,
                )
                answer.raise_for_status()
                added = answer.json()
                self.stdout.write(f"added {added['tracks']} tracks and {added['videos']} videos")
            if options["large_library"]:
                answer = requests.post(
                    f"{base}/_control/large_library",
                    json={"user_id": options["large_library"], "n_tracks": options["tracks"]},
                    timeout=300,
                )
                answer.raise_for_status()
                made = answer.json()
                self.stdout.write(
                    f"{made['user_id']}: {made['tracks']} tracks in "
                    f"{len(made['playlists'])} playlists, {made['liked']} liked"
                )
        except requests.RequestException as exc:
            raise CommandError(f"the sandbox at {base} did not take it: {exc}") from None
