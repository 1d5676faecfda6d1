"""Benchmark: the personal-data screen (issue 11), against the previous screen as a named baseline.

    .venv/bin/python bench/screening.py [--answers 20000] [--repeat 5]

1. Recall per kind of identifier and the share of clean sentences flagged, on the corpus of
   tests/core/screening_corpus.py, for spiral.core.screening (certain findings, and certain or held for
   review) and for the previous screen (bench/screening_previous.py, the code before issue 11).
2. Throughput on one core: ANSWERS answers (bench/benchmarking.py's mix, about one in eight holding
   personal details; and the corpus sentences, joined one to three to an answer), through each screen's
   `redact`, median of REPEAT runs.
Goals (asserted by tests/core/test_screening_corpus.py, not here): every NHS number with a valid check
digit, email and phone number caught; at least 95% of postcodes, dates of birth and addresses; under 2%
of clean sentences flagged.
"""

from __future__ import annotations

import argparse
import random
import statistics
import sys
import time
from collections import Counter
from collections.abc import Callable
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))


def recall(
    find: Callable[[str], tuple[set[str], set[str]]],
) -> tuple[dict[str, tuple[int, int, int]], int, int]:
    """({kind: (caught for certain, caught or held, total)}, clean sentences flagged, clean sentences)."""
    from tests.core.screening_corpus import CLEAN_SENTENCES, PERSONAL

    certain: Counter[str] = Counter()
    held: Counter[str] = Counter()
    total: Counter[str] = Counter()
    for text, kinds in PERSONAL:
        sure, doubts = find(text)
        for kind in kinds:
            total[kind] += 1
            certain[kind] += kind in sure
            held[kind] += kind in sure or kind in doubts
    flagged = 0
    for text in CLEAN_SENTENCES:
        sure, doubts = find(text)
        flagged += bool(sure or doubts)
    return {k: (certain[k], held[k], total[k]) for k in total}, flagged, len(CLEAN_SENTENCES)


def current(text: str) -> tuple[set[str], set[str]]:
    from spiral.core.screening import screen

    result = screen(text)
    return set(result.kinds), set(result.doubts)


def previous(text: str) -> tuple[set[str], set[str]]:
    import screening_previous

    kinds = {f.kind for f in screening_previous.find_personal_data(text)}
    # The previous screen had no "address" kind; a street it redacted as something else still counts.
    return kinds, set()


def throughput(redact: Callable[[str], object], texts: list[str], repeat: int) -> float:
    for t in texts[:200]:
        redact(t)
    runs = []
    for _ in range(repeat):
        start = time.perf_counter()
        for t in texts:
            redact(t)
        runs.append(time.perf_counter() - start)
    return len(texts) / statistics.median(runs)


def corpus_answers(count: int) -> list[str]:
    from tests.core.screening_corpus import CLEAN_SENTENCES, PERSONAL

    rng = random.Random(11)
    sentences = CLEAN_SENTENCES + [t for t, _ in PERSONAL]
    return [" ".join(rng.choice(sentences) for _ in range(rng.randint(1, 3))) for _ in range(count)]


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--answers", type=int, default=20_000)
    parser.add_argument("--repeat", type=int, default=5)
    args = parser.parse_args()

    import screening_previous
    from benchmarking import answers_text

    from spiral.core import screening
    from tests.core.screening_corpus import CLEAN_SENTENCES, PERSONAL

    print(f"corpus: {len(PERSONAL)} sentences with identifiers, {len(CLEAN_SENTENCES)} clean "
          f"({len(PERSONAL) + len(CLEAN_SENTENCES)} in all)")  # fmt: skip
    results = {"spiral.core.screening": recall(current), "previous screen (baseline)": recall(previous)}
    kinds = list(screening.KINDS)
    print(f"\n{'recall':<28}" + "".join(f"{k:>15}" for k in kinds))
    for name, (per_kind, _, _) in results.items():
        row = ""
        for k in kinds:
            sure, _held, total = per_kind.get(k, (0, 0, 0))
            row += f"{sure:>5}/{total:<3}{100 * sure / total if total else 0:5.1f}%"
        print(f"{name:<28}{row}")
        if name == "spiral.core.screening":
            row = "".join(
                f"{per_kind[k][1]:>5}/{per_kind[k][2]:<3}{100 * per_kind[k][1] / per_kind[k][2]:5.1f}%"
                for k in kinds
            )
            print(f"{'  or held for review':<28}{row}")
    print()
    for name, (_, flagged, clean) in results.items():
        print(f"clean sentences flagged, {name}: {flagged}/{clean} ({100 * flagged / clean:.1f}%)")

    print(f"\nthroughput on one core, median of {args.repeat} runs:")
    for label, texts in (
        ("bench/benchmarking.py answers", answers_text(args.answers)),
        ("corpus sentences, 1-3 an answer", corpus_answers(args.answers)),
    ):
        mean = statistics.mean(len(t) for t in texts)
        new = throughput(screening.redact, texts, args.repeat)
        old = throughput(screening_previous.redact, texts, args.repeat)
        print(f"  {label} ({len(texts):,}, mean {mean:.0f} characters):")
        print(f"    spiral.core.screening.redact     {new:>10,.0f} answers a second")
        print(
            f"    previous screen (baseline)       {old:>10,.0f} answers a second  ({new / old:.2f}× of it)"
        )
    return 0


if __name__ == "__main__":
    sys.exit(main())
