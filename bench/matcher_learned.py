#!/usr/bin/env python3
"""Would a model learned from the labels beat the matcher's rules? An experiment.

Reads the evidence the matcher gathers for each (source, candidate) pair (title and
artist agreement, versions, uncredited artists, channel kind, the rule confidence and
the candidate's rank among the case's candidates), fits a gradient-boosted classifier
on the cases of one half of the development artists and scores the other half, both
ways round. The pick is the candidate with the highest predicted probability, taken
when it reaches the threshold. It prints the rules' figures beside the model's, with
and without the product's version rule (a cover, live, remix, ... upload is never
accepted for a studio track), and, for the model's picks that the rules did not
make, which evidence the rules had against them.

Not part of `make bench` and not a dependency of the app: it needs numpy and
scikit-learn, for instance in a scratch virtualenv next to the app's packages:

    python3 -m venv /tmp/ml && /tmp/ml/bin/pip install numpy scikit-learn \
        rapidfuzz==3.14.6 anyascii==0.3.3
    /tmp/ml/bin/python bench/matcher_learned.py [--shared ../shared]
"""

from __future__ import annotations

import argparse
import sys
import tempfile
from collections import Counter
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))

from bench_matching import _make_cases, _shared_dir, _split_pairs  # noqa: E402

from platforms.types import Platform  # noqa: E402
from syncing.matching.evaluation import read_cases  # noqa: E402
from syncing.matching.scoring import (  # noqa: E402
    ACCEPT_THRESHOLD,
    _evidence,
    _similarity,
    match,
    parse_track,
    score,
)

EXTRA_VERSION = 9  # the column that says "the candidate is a version the source is not"
THRESHOLDS = (0.7, 0.8, 0.9, 0.95)


def _features(case) -> tuple[list[list[float]], list[tuple[str, ...]]]:
    src = parse_track(case.source)
    rows, reasons_of = [], []
    for cand in map(parse_track, case.candidates):
        conf, reasons, tiebreak = score(src, cand)
        spotify, video = (src, cand) if src.platform is Platform.SPOTIFY else (cand, src)
        ev = _evidence(spotify, video)
        said = " ".join(reasons)
        channel = video.channel
        rows.append(
            [
                conf,
                ev.title,
                ev.artist,
                float(ev.lead),
                float(ev.other_artist),
                float(ev.album),
                sum("(guest)" in u for u in ev.uncredited),
                sum("(co-artist)" in u for u in ev.uncredited),
                sum("(channel)" in u for u in ev.uncredited),
                float("candidate is " in said.replace("candidate is not", "")),
                float("candidate is not" in said),
                float(bool(channel and channel.topic)),
                float(bool(channel and channel.vevo)),
                tiebreak,
                len(video.segments),
                len(spotify.artists) + len(spotify.featured),
                len(video.featured),
                _similarity(spotify.full, video.full),
                float(case.direction.startswith("spotify")),
            ]
        )
        reasons_of.append(reasons)
    confs = [r[0] for r in rows]
    for rank, i in enumerate(sorted(range(len(rows)), key=lambda i: -confs[i])):
        others = [c for j, c in enumerate(confs) if j != i]
        rows[i] += [rank, confs[i] - max(others, default=0.0)]
    return rows, reasons_of


def _load(path: Path) -> list[tuple]:
    """Per case: direction, features and reasons per candidate, answers, the rules' pick."""
    return [
        (case.direction, *_features(case), answers, match(case.source, case.candidates).choice)
        for case, answers in read_cases(path)
    ]


def _scores(data, probabilities, threshold: float):
    """Per direction: precision, recall, false accepts, and the picks made.

    With no probabilities, the picks are the rules' (the matcher's own choice).
    """
    out, k = {}, 0
    picks: dict[str, list] = {"spotify_to_youtube": [], "youtube_to_spotify": []}
    for direction, rows, reasons, answers, rules_choice in data:
        pick = rules_choice
        if probabilities is not None:
            p = probabilities[k : k + len(rows)]
            k += len(rows)
            best = max(range(len(rows)), key=lambda i: p[i])
            pick = best if p[best] >= threshold else None
        picks[direction].append((pick, answers, reasons))
    for direction, made in picks.items():
        tp = sum(1 for pick, answers, _ in made if pick is not None and pick in answers)
        fp = sum(1 for pick, answers, _ in made if pick is not None and pick not in answers)
        fa = sum(1 for pick, answers, _ in made if pick is not None and not answers)
        positives = sum(1 for _, answers, _ in made if answers)
        negatives = len(made) - positives
        out[direction] = (tp / max(1, tp + fp), tp / max(1, positives), fa / max(1, negatives))
    return out, picks


def _line(label: str, figures) -> str:
    cells = [f"{p:.4f} / {r:.4f} / {fa:.2%}" for p, r, fa in figures.values()]
    return f"| {label} | {' | '.join(cells)} |"


def _kind(reasons: tuple[str, ...]) -> str:
    said = " ".join(reasons)
    if "candidate is " in said.replace("candidate is not", ""):
        return "a version the source is not"
    for kind in ("another artist shown", "artist not shown", "album named"):
        if kind in said:
            return kind
    return "artist agrees, rules' confidence below the threshold"


def main() -> int:
    import numpy as np
    from sklearn.ensemble import HistGradientBoostingClassifier

    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--shared", help="the shared directory (default: ../shared next to the repo)")
    args = ap.parse_args()
    shared = _shared_dir(args.shared)
    if shared is None:
        print("shared data not found (give --shared)")
        return 1
    with tempfile.TemporaryDirectory() as tmp_name:
        tmp = Path(tmp_name)
        halves = {}
        for half, pairs in _split_pairs(shared / "data/spotify_youtube/dev_pairs.csv", tmp).items():
            _make_cases(shared, pairs, tmp / f"cases_{half}.jsonl", None)
            halves[half] = _load(tmp / f"cases_{half}.jsonl")
    print("precision / recall / false accepts; Spotify→YouTube | YouTube→Spotify")
    for train, test in (("a", "b"), ("b", "a")):
        fitting = halves[train]
        fit_x = np.array([r for case in fitting for r in case[1]])
        fit_y = np.array([int(i in case[3]) for case in fitting for i in range(len(case[1]))])
        x = np.array([r for case in halves[test] for r in case[1]])
        model = HistGradientBoostingClassifier(max_iter=300, learning_rate=0.05, random_state=0)
        p = model.fit(fit_x, fit_y).predict_proba(x)[:, 1]
        kept = np.where(x[:, EXTRA_VERSION] > 0, np.minimum(p, 0.5), p)
        print(f"\n### fitted on half {train}, scored on half {test}\n")
        rules, rule_picks = _scores(halves[test], None, ACCEPT_THRESHOLD)
        print(_line(f"rules, threshold {ACCEPT_THRESHOLD}", rules))
        for threshold in THRESHOLDS:
            print(_line(f"model ≥ {threshold}", _scores(halves[test], p, threshold)[0]))
        for threshold in THRESHOLDS:
            figures = _scores(halves[test], kept, threshold)[0]
            print(_line(f"model ≥ {threshold}, version rule kept", figures))
        _, model_picks = _scores(halves[test], p, 0.9)
        gained: Counter[str] = Counter()
        for direction, made in model_picks.items():
            for (pick, answers, reasons), by_rules in zip(made, rule_picks[direction], strict=True):
                if pick is not None and pick in answers and by_rules[0] not in answers:
                    gained[_kind(reasons[pick])] += 1
        print("\nright by the labels at 0.9, missed by the rules; what the rules saw:")
        for kind, n in gained.most_common():
            print(f"  {n:5d}  {kind}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
