"""Run the matcher over labelled cases (make_match_cases.py format) and score it.

Scoring, per direction: a case's choice is a true positive when it is one of the
case's ``answers``; a false positive when it is any other candidate, or any pick on a
no-match case (empty ``answers``); a false negative when the case has answers and the
choice is not among them (no pick or a wrong one).
precision = TP / (TP + FP); recall = TP / cases with answers;
false-accept rate = picks on no-match cases / no-match cases.
The matcher never sees ``answers``: they are read only after every choice is made.
"""

from __future__ import annotations

import json
import time
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path

from platforms.types import Platform, Track

from .scoring import MatchResult, match

SCORING = (
    "TP = choice in answers; FP = wrong candidate, or any pick on a no-match case; "
    "precision = TP/(TP+FP); recall = TP/cases with answers; "
    "false accepts = picks on no-match cases / no-match cases"
)


def track_from_case(data: dict, *, platform_id: str) -> Track:
    platform = Platform(data["platform"])
    return Track(
        platform=platform,
        platform_id=platform_id,
        title=data.get("title") or "",
        artists=tuple(data.get("artists") or ()),
        album=data.get("album") or "",
        duration_ms=data.get("duration_ms"),
        isrc=data.get("isrc") or "",
        channel=data.get("channel") or "",
    )


@dataclass(frozen=True, slots=True)
class Case:
    id: str
    direction: str
    source: Track
    candidates: tuple[Track, ...]


def read_cases(path: str | Path) -> Iterator[tuple[Case, list[int]]]:
    """Cases and their answers, kept apart so the matcher can't see the answers."""
    with open(path, encoding="utf-8") as f:
        for line in f:
            if not line.strip():
                continue
            raw = json.loads(line)
            case = Case(
                id=raw["id"],
                direction=raw["direction"],
                source=track_from_case(raw["source"], platform_id=f"{raw['id']}:source"),
                candidates=tuple(
                    track_from_case(c, platform_id=f"{raw['id']}:{i}")
                    for i, c in enumerate(raw["candidates"])
                ),
            )
            yield case, list(raw.get("answers") or [])


@dataclass
class DirectionScore:
    cases: int = 0
    with_answer: int = 0
    no_match: int = 0
    tp: int = 0
    fp: int = 0
    false_accepts: int = 0

    def add(self, choice: int | None, answers: list[int]) -> None:
        self.cases += 1
        if answers:
            self.with_answer += 1
            if choice is not None and choice in answers:
                self.tp += 1
            elif choice is not None:
                self.fp += 1
        else:
            self.no_match += 1
            if choice is not None:
                self.fp += 1
                self.false_accepts += 1

    @property
    def precision(self) -> float:
        return self.tp / (self.tp + self.fp) if self.tp + self.fp else 1.0

    @property
    def recall(self) -> float:
        return self.tp / self.with_answer if self.with_answer else 1.0

    @property
    def f1(self) -> float:
        p, r = self.precision, self.recall
        return 2 * p * r / (p + r) if p + r else 0.0

    @property
    def false_accept_rate(self) -> float:
        return self.false_accepts / self.no_match if self.no_match else 0.0


@dataclass
class Evaluation:
    directions: dict[str, DirectionScore] = field(default_factory=dict)
    seconds: float = 0.0  # wall-clock time spent matching
    cpu_seconds: float = 0.0  # this process's CPU time: steady on a busy machine
    cases: int = 0

    @property
    def cases_per_second(self) -> float:
        return self.cases / self.seconds if self.seconds else float("inf")

    @property
    def cases_per_cpu_second(self) -> float:
        return self.cases / self.cpu_seconds if self.cpu_seconds else float("inf")

    def lines(self) -> list[str]:
        out = [
            f"{'direction':<20} {'cases':>6} {'precision':>9} {'recall':>7} {'F1':>6} "
            f"{'false accepts':>13}"
        ]
        for name, d in sorted(self.directions.items()):
            out.append(
                f"{name:<20} {d.cases:>6} {d.precision:>9.4f} {d.recall:>7.4f} {d.f1:>6.4f} "
                f"{d.false_accept_rate:>12.2%} ({d.false_accepts}/{d.no_match})"
            )
        out.append(
            f"speed: {self.cases} cases in {self.seconds:.2f}s = "
            f"{self.cases_per_second:,.0f} cases per second "
            f"({self.cases_per_cpu_second:,.0f} per CPU-second, one process)"
        )
        return out


def evaluate(
    cases: Iterable[tuple[Case, list[int]]],
    *,
    matcher: Callable[[Track, tuple[Track, ...]], MatchResult] = match,
    on_choice: Callable[[Case, MatchResult], None] | None = None,
) -> Evaluation:
    """Match every case, then score the choices against the answers."""
    loaded = list(cases)
    results: list[MatchResult] = []
    # Only matching is timed: reading JSON is not the matcher's cost.
    start, cpu_start = time.perf_counter(), time.process_time()
    for case, _answers in loaded:
        results.append(matcher(case.source, case.candidates))
    seconds = time.perf_counter() - start
    cpu_seconds = time.process_time() - cpu_start
    evaluation = Evaluation(seconds=seconds, cpu_seconds=cpu_seconds, cases=len(loaded))
    for (case, answers), result in zip(loaded, results, strict=True):
        evaluation.directions.setdefault(case.direction, DirectionScore()).add(
            result.choice, answers
        )
        if on_choice:
            on_choice(case, result)
    return evaluation
