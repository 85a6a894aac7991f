"""A small relevance search over song-like documents, for the sandbox's search endpoints.

It behaves like a search engine rather than a lookup: words are matched exactly, by
prefix and fuzzily (typos, transliteration noise), weighted by field, and documents
that match only some of the words still come back, ranked lower. So a search for a
song also returns its covers, live takes and near namesakes, as the real services do.
"""

from __future__ import annotations

import bisect
import re
import unicodedata
from collections import defaultdict
from collections.abc import Iterable, Mapping

from rapidfuzz import fuzz, process

_WORD = re.compile(r"\w+", re.UNICODE)
# Scripts written without spaces between words: index character pairs as well.
_UNSPACED = re.compile(r"[\u3040-\u30ff\u3400-\u9fff\uf900-\ufaff]")


def normalize(text: str) -> str:
    text = unicodedata.normalize("NFKC", text).casefold()
    # "Don't" and "Dont" should meet; other punctuation separates words.
    text = text.replace("'", "").replace("\u2019", "")
    return "".join(
        ch for ch in unicodedata.normalize("NFKD", text) if not unicodedata.combining(ch)
    )


def tokenize(text: str) -> list[str]:
    words = _WORD.findall(normalize(text))
    extra: list[str] = []
    for word in words:
        if _UNSPACED.search(word) and len(word) > 2:
            extra.extend(word[i : i + 2] for i in range(len(word) - 1))
    return words + extra


class SearchIndex:
    """Inverted index over ``{doc_id: {field: text}}`` with per-field weights."""

    def __init__(
        self, documents: Mapping[str, Mapping[str, str]], weights: Mapping[str, float]
    ) -> None:
        self.weights = dict(weights)
        self._postings: dict[str, dict[str, dict[str, float]]] = defaultdict(dict)
        self._title_len: dict[str, int] = {}
        for doc_id, fields in documents.items():
            for name, text in fields.items():
                for token in tokenize(text):
                    self._postings[token].setdefault(doc_id, {})[name] = 1.0
            first = next(iter(fields.values()), "")
            self._title_len[doc_id] = len(_WORD.findall(normalize(first)))
        self._vocab = sorted(self._postings)

    def _similar(self, token: str) -> dict[str, float]:
        """Vocabulary words close to ``token``, with a similarity in 0..1."""
        found: dict[str, float] = {}
        if token in self._postings:
            found[token] = 1.0
        if len(token) >= 2:
            # Words that start with what was typed ("remast" finds "remastered").
            start = bisect.bisect_left(self._vocab, token)
            for word in self._vocab[start : start + 50]:
                if not word.startswith(token):
                    break
                found.setdefault(word, 0.8)
        if len(token) >= 4:
            for word, score, _ in process.extract(
                token, self._vocab, scorer=fuzz.ratio, score_cutoff=80, limit=10
            ):
                found.setdefault(word, 0.7 * score / 100)
        return found

    def _token_scores(self, token: str, fields: Iterable[str] | None) -> dict[str, float]:
        allowed = set(fields) if fields is not None else None
        best: dict[str, float] = {}
        for word, similarity in self._similar(token).items():
            for doc_id, doc_fields in self._postings[word].items():
                for name in doc_fields:
                    if allowed is not None and name not in allowed:
                        continue
                    score = similarity * self.weights.get(name, 1.0)
                    if score > best.get(doc_id, 0.0):
                        best[doc_id] = score
        return best

    def search(
        self,
        text: str,
        *,
        field_terms: Mapping[str, str] | None = None,
        boost: Mapping[str, float] | None = None,
    ) -> list[str]:
        """Doc ids ranked by relevance to ``text``; ``field_terms`` must match in their field.

        ``boost`` adds a small per-document prior (popularity) to break ties.
        """
        free = tokenize(text)
        required: list[tuple[str, str]] = [
            (name, token)
            for name, value in (field_terms or {}).items()
            for token in tokenize(value)
        ]
        if not free and not required:
            return []
        scores: dict[str, float] = defaultdict(float)
        matched: dict[str, int] = defaultdict(int)
        candidates: set[str] | None = None
        for name, token in required:
            hits = {d: s for d, s in self._token_scores(token, [name]).items() if s >= 0.5}
            candidates = set(hits) if candidates is None else candidates & set(hits)
            for doc_id, score in hits.items():
                scores[doc_id] += score
                matched[doc_id] += 1
        for token in free:
            for doc_id, score in self._token_scores(token, None).items():
                if candidates is None or doc_id in candidates:
                    scores[doc_id] += score
                    matched[doc_id] += 1
        wanted = len(free) + len(required)
        # Half the words must match: near misses come back, unrelated songs do not.
        floor = max(1, (wanted + 1) // 2)
        results = []
        for doc_id, score in scores.items():
            if matched[doc_id] < floor or (candidates is not None and doc_id not in candidates):
                continue
            # Extra words in a title ("Live at ...", "Remix") rank it a little lower.
            extra = max(0, self._title_len.get(doc_id, 0) - wanted)
            total = score / wanted - 0.02 * extra + (boost or {}).get(doc_id, 0.0)
            results.append((total, doc_id))
        results.sort(key=lambda pair: (-pair[0], pair[1]))
        return [doc_id for _, doc_id in results]
