"""Settings for `bench/bench_web.py`: the app's own, plus one bare view beside its pages."""

from __future__ import annotations

from musicsync.settings import *  # noqa: F403

ROOT_URLCONF = "bench.web_urls"
