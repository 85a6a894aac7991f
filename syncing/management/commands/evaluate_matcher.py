"""``manage.py evaluate_matcher CASES.jsonl [--choices OUT.jsonl]``: score the matcher.

Cases are in the format of shared/tools/make_match_cases.py. The matcher sees each
case's source and candidates only; the answers are read afterwards, to score.
"""

from __future__ import annotations

import json
from pathlib import Path

from django.core.management.base import BaseCommand, CommandError, CommandParser

from syncing.matching.evaluation import SCORING, Case, evaluate, read_cases
from syncing.matching.scoring import ACCEPT_THRESHOLD, MatchResult


class Command(BaseCommand):
    help = "Run the track matcher on labelled cases and print precision, recall and speed."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("cases", help="JSON Lines file written by make_match_cases.py")
        parser.add_argument(
            "--choices", help="write one {id, choice, confidence} line per case to this file"
        )

    def handle(self, *args, cases: str, choices: str | None = None, **options) -> None:
        path = Path(cases)
        if not path.is_file():
            raise CommandError(f"No such cases file: {path}")
        out = open(choices, "w", encoding="utf-8") if choices else None  # noqa: SIM115
        try:

            def write(case: Case, result: MatchResult) -> None:
                if out is not None:
                    line = {
                        "id": case.id,
                        "choice": result.choice,
                        "confidence": round(result.confidence, 4),
                    }
                    out.write(json.dumps(line) + "\n")

            try:
                evaluation = evaluate(read_cases(path), on_choice=write)
            except (ValueError, KeyError) as exc:
                raise CommandError(f"{path} is not a cases file: {exc}") from exc
        finally:
            if out is not None:
                out.close()
        self.stdout.write(f"accept threshold {ACCEPT_THRESHOLD}; {SCORING}")
        for line in evaluation.lines():
            self.stdout.write(line)
        if choices:
            self.stdout.write(f"choices written to {choices}")
