"""Serve the platform sandbox (Spotify, Google OAuth, YouTube emulators) as its own process."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError
from werkzeug.serving import run_simple

from platforms.sandbox.core import SandboxState
from platforms.sandbox.seed import load_pairs_csv
from platforms.sandbox.server import create_app


class Command(BaseCommand):
    help = "Serve the Spotify/YouTube sandbox on its own port (threaded werkzeug server)."

    def add_arguments(self, parser: Any) -> None:
        parser.add_argument("--host", default="127.0.0.1")
        parser.add_argument("--port", type=int, default=8765)
        parser.add_argument("--seed", type=int, default=getattr(settings, "SANDBOX_SEED", 0))
        parser.add_argument(
            "--catalog",
            action="append",
            default=[],
            metavar="PATH",
            help="a pairs CSV (dev_pairs.csv columns) to add to both catalogues; repeatable",
        )
        parser.add_argument(
            "--latency-ms", type=float, default=0.0, help="added to every platform call"
        )
        parser.add_argument(
            "--state-file",
            default=getattr(settings, "SANDBOX_STATE_FILE", None),
            help="keep the worlds in this JSON file across restarts (default: SANDBOX_STATE_FILE)",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        state = SandboxState(seed=options["seed"])
        if options["latency_ms"]:
            state.knobs.update(latency_ms={"*": options["latency_ms"]})
        for path in options["catalog"]:
            if not Path(path).is_file():
                raise CommandError(f"no such catalogue file: {path}")
            added = load_pairs_csv(state, path)
            self.stdout.write(
                f"catalogue {path}: {added['tracks']} tracks, {added['videos']} videos"
            )
        app = create_app(state, persist_path=options["state_file"] or None)
        url = f"http://{options['host']}:{options['port']}"
        self.stdout.write(
            f"Sandbox on {url} (seed {options['seed']}). Point the app at it with "
            f"SANDBOX_URL={url}. Ctrl-C stops it."
        )
        try:
            run_simple(options["host"], options["port"], app, threaded=True)
        finally:
            if app.persister is not None:
                app.persister.stop()
