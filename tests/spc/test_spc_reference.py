"""Spiral against figures produced by the peers themselves (NHSRplotthedots 0.2.2, qicharts2 0.8.1).

Every `tests/spc/reference/*.json` is a list of cases `{"name", "source", "args", "expected",
"tolerance"?, "note"?}` written by the R scripts beside them. Each case is run through `analyse` and,
when its options allow (no rebase, no trajectory), through `analyse_many` too; only the keys present
in `expected` are compared.
"""

from __future__ import annotations

import json
import math
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from spiral.spc import analyse, analyse_many

REFERENCE = Path(__file__).parent / "reference"
FILES = sorted(REFERENCE.glob("*.json"))


def _cases() -> list[Any]:
    cases = []
    for path in FILES:
        for case in json.loads(path.read_text(encoding="utf-8")):
            cases.append(pytest.param(case, id=f"{path.stem}:{case['name']}"))
    return cases


CASES = _cases()


def _kwargs(case: dict[str, Any]) -> dict[str, Any]:
    args = {key: value for key, value in case["args"].items() if value is not None}
    if "rebase" in args:
        args["rebase"] = [int(i) for i in args["rebase"]]
    if "baseline" in args:
        args["baseline"] = int(args["baseline"])
    if args.get("chart") in ("pprime", "uprime"):
        # The fixtures hold qicharts2's unscreened output (qic.screenedmr = FALSE); Spiral screens
        # Laney's z moving ranges by default, so the comparison turns screening off explicitly.
        args["screen_outliers"] = False
    return args


def _same(actual: Any, expected: Any, rtol: float, atol: float) -> bool:
    if expected is None or actual is None:
        return expected is None and actual is None
    if isinstance(expected, (bool, str)):
        return actual == expected
    if isinstance(expected, int | float):
        if isinstance(actual, bool) or not isinstance(actual, int | float):
            return False
        return math.isclose(actual, expected, rel_tol=rtol, abs_tol=atol)
    if isinstance(expected, list):
        return (
            isinstance(actual, list)
            and len(actual) == len(expected)
            and all(_same(a, e, rtol, atol) for a, e in zip(actual, expected, strict=True))
        )
    return actual == expected


def _check(result: dict[str, Any], case: dict[str, Any], how: str) -> None:
    rtol = case.get("tolerance") or 1e-6
    atol = 1e-9 if case.get("tolerance") is None else case["tolerance"]
    problems = []
    for key, expected in case["expected"].items():
        assert key in result, f"{how}: to_dict() has no key {key!r}"
        if not _same(result[key], expected, rtol, atol):
            if isinstance(expected, list) and isinstance(result[key], list):
                diffs = [
                    (i, a, e)
                    for i, (a, e) in enumerate(zip(result[key], expected, strict=False))
                    if not _same(a, e, rtol, atol)
                ]
                problems.append(f"{key}: first differences (index, spiral, reference) {diffs[:4]}")
            else:
                problems.append(f"{key}: spiral {result[key]!r}, reference {expected!r}")
    note = case.get("note") or ""
    assert not problems, (
        f"{how} {case['name']} ({case['source']}): " + "; ".join(problems) + f"\nnote: {note}"
    )


@pytest.mark.skipif(not FILES, reason="no reference fixtures in tests/spc/reference (see its README)")
@pytest.mark.parametrize("case", CASES)
def test_analyse_matches_reference(case: dict[str, Any]) -> None:
    result = analyse(**_kwargs(case)).to_dict()

    _check(result, case, "analyse")


@pytest.mark.skipif(not FILES, reason="no reference fixtures in tests/spc/reference (see its README)")
@pytest.mark.parametrize("case", CASES)
def test_analyse_many_matches_reference(case: dict[str, Any]) -> None:
    kwargs = _kwargs(case)
    if kwargs.pop("rebase", None) or not isinstance(kwargs.get("target", 0), int | float):
        pytest.skip("analyse_many takes no rebase or trajectory")
    values = np.array([np.nan if v is None else v for v in kwargs.pop("values")], dtype=float)
    # Put the case between two other series so the block layout and padding are exercised.
    filler = np.arange(5.0)
    series = np.concatenate([np.zeros(5, int), np.ones(len(values), int), np.full(7, 2)])
    long_values = np.concatenate([filler, values, np.arange(7.0)])
    denominators = kwargs.pop("denominators", None)
    if denominators is not None:
        den = np.array([np.nan if v is None else v for v in denominators], dtype=float)
        denominators = np.concatenate([np.full(5, 10.0), den, np.full(7, 10.0)])

    batch = analyse_many(series, long_values, denominators=denominators, **kwargs)

    _check(batch.series(1).to_dict(), case, "analyse_many")


SCREENED = [
    pytest.param(case.values[0], id=case.id)
    for case in CASES
    if isinstance(case.values[0], dict) and "expected_if_mr_screened" in case.values[0]
]


@pytest.mark.skipif(not SCREENED, reason="no cases with expected_if_mr_screened")
@pytest.mark.parametrize("case", SCREENED)
def test_laney_with_screening_matches_qicharts2_attached_with_library(case: dict[str, Any]) -> None:
    # qicharts2 0.8.x sets options(qic.screenedmr = TRUE) when attached with library(), which
    # screens Laney's z moving ranges; Spiral follows docs/reference/spc.md §9.13 (unscreened) unless
    # asked.
    result = analyse(**{**_kwargs(case), "screen_outliers": True}).to_dict()

    _check(result, {**case, "expected": case["expected_if_mr_screened"]}, "analyse(screen_outliers=True)")
