"""Suggesting themes for an answer. Words now; meaning later, behind the same function.

`suggest(texts, themes)` gives, for each text, the themes whose keywords it mentions, best first. Another
engineer may add sentence embeddings (the optional local all-MiniLM-L6-v2 model): `_by_meaning` is the
seam, used only where `embeddings_available()` says the model is installed.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from typing import Protocol

from spiral.core.stemming import stem

_WORD = re.compile(r"[a-z]+(?:'[a-z]+)?")


class ThemeLike(Protocol):
    pk: int
    name: str
    keywords: str


def _keywords(theme: ThemeLike) -> set[str]:
    return {stem(w) for w in (theme.keywords or "").lower().split()} | {stem(theme.name.lower())}


def embeddings_available() -> bool:
    """Whether the optional local embedding model is installed (not yet: words only)."""
    return False


def _by_words(texts: Sequence[str], themes: Sequence[ThemeLike], limit: int) -> list[list[ThemeLike]]:
    vocab = [(t, _keywords(t)) for t in themes]
    out: list[list[ThemeLike]] = []
    for text in texts:
        words = {stem(w) for w in _WORD.findall((text or "").lower())}
        scored = [(len(words & keys), t.name, t) for t, keys in vocab]
        out.append([t for score, _, t in sorted(scored, key=lambda s: (-s[0], s[1])) if score > 0][:limit])
    return out


def suggest(texts: Sequence[str], themes: Sequence[ThemeLike], limit: int = 3) -> list[list[ThemeLike]]:
    """For each text, up to `limit` themes it seems to be about, best first."""
    return _by_words(texts, themes, limit)
