"""Charts that warn (spiral.spc.diagnose; docs/reference/spc.md §11): hand-made cases whose answer is
worked here, and the real A&E data, where a big trust's p chart is overdispersed."""

from __future__ import annotations

import csv
from collections import defaultdict
from pathlib import Path

import numpy as np
import pytest

from spiral.spc import SPCError, analyse, diagnose, diagnose_many

AE = Path(__file__).resolve().parents[2] / "spiral" / "demo" / "datasets" / "ae_attendances.csv"


def _codes(warnings: tuple) -> list[str]:
    return [w.code for w in warnings]


def test_a_p_chart_of_binomial_data_does_not_warn() -> None:
    rng = np.random.default_rng(7)
    den = np.full(24, 200)
    assert diagnose(rng.binomial(200, 0.3, 24), chart="p", denominators=den) == ()


def test_sigma_z_squared_is_laneys_moving_range_figure_worked_by_hand() -> None:
    # z alternates +a, -a: every moving range is 2a, so sigma_z = 2a / 1.128.
    den = np.full(14, 10000.0)
    p = np.array([0.52, 0.48] * 7)
    s = np.sqrt(0.5 * 0.5 / 10000.0)
    ratio = (2 * (0.02 / s) / 1.128) ** 2

    (w,) = diagnose(p * den, chart="p", denominators=den)

    assert w.code == "overdispersion" and w.suggested_chart == "pprime"
    assert w.value == pytest.approx(ratio)
    assert w.message.startswith("The points vary far more than a p chart expects; a p′ chart (Laney)")


def test_a_u_chart_suggests_u_prime() -> None:
    den = np.full(13, 1000.0)
    counts = np.array([900, 1100] * 6 + [1000], float)

    (w,) = diagnose(counts, chart="u", denominators=den)

    assert (w.code, w.suggested_chart) == ("overdispersion", "uprime")
    assert "u chart" in w.message and "rate" in w.message


def test_overdispersion_needs_thirteen_points() -> None:
    den = np.full(12, 10000.0)
    p = np.array([0.52, 0.48] * 6)
    assert _codes(diagnose(p * den, chart="p", denominators=den)) == ["too_few_points"]


def test_mostly_zero_xmr_suggests_a_c_chart_and_half_zero_does_not() -> None:
    assert _codes(diagnose([0, 0, 0, 0, 0, 0, 0, 1, 2, 1, 3, 1, 2, 0], chart="xmr")) == ["mostly_zero"]
    assert diagnose([0, 0, 0, 0, 0, 0, 0, 1, 2, 1, 3, 1, 2, 4], chart="xmr") == ()
    # zeros are only a problem for XmR: a c chart of the same counts is the suggested chart itself
    assert diagnose([0] * 10 + [1, 2, 1], chart="c") == ()


def test_too_few_points_for_limits_and_for_a_run_charts_rules() -> None:
    assert _codes(diagnose(list(range(12)), chart="xmr")) == ["too_few_points"]
    assert diagnose(list(range(13)), chart="xmr") == ()
    assert diagnose(list(range(10)), chart="run") == ()
    (w,) = diagnose(list(range(9)), chart="run")
    assert w.code == "too_few_points" and "10" in w.message and w.value == 9
    # missing values are not points
    assert _codes(diagnose([1.0] * 12 + [np.nan], chart="xmr")) == ["too_few_points"]


def test_diagnose_many_agrees_with_diagnose_series_by_series() -> None:
    rng = np.random.default_rng(3)
    parts = [
        (rng.binomial(500, 0.2, 20).astype(float), np.full(20, 500.0)),
        (np.array([0.6, 0.4] * 8) * 20000, np.full(16, 20000.0)),
        (rng.binomial(50, 0.5, 5).astype(float), np.full(5, 50.0)),
    ]
    series = np.concatenate([np.full(len(v), i + 10) for i, (v, _) in enumerate(parts)])
    values = np.concatenate([v for v, _ in parts])
    den = np.concatenate([d for _, d in parts])

    many = diagnose_many(series, values, chart="p", denominators=den)

    assert list(many) == [10, 11, 12]
    for i, (v, d) in enumerate(parts):
        assert many[i + 10] == diagnose(v, chart="p", denominators=d)
    assert _codes(many[11]) == ["overdispersion"] and _codes(many[12]) == ["too_few_points"]


def test_bad_input_is_a_clear_error() -> None:
    with pytest.raises(SPCError, match="chart: 'pie'"):
        diagnose([1, 2], chart="pie")
    with pytest.raises(SPCError, match="denominators: a p chart needs them"):
        diagnose([1, 2], chart="p")


def _ae_type1() -> dict[str, tuple[np.ndarray, np.ndarray]]:
    rows: dict[str, list[tuple[str, int, int]]] = defaultdict(list)
    with AE.open(newline="", encoding="utf-8") as handle:
        for row in csv.DictReader(handle):
            if row["type"] == "1":
                rows[row["org_code"]].append((row["period"], int(row["breaches"]), int(row["attendances"])))
    return {
        code: (np.array([b for _, b, _ in sorted(r)], float), np.array([a for _, _, a in sorted(r)], float))
        for code, r in rows.items()
    }


def test_the_busiest_ae_trusts_p_chart_warns_and_its_p_prime_and_xmr_do_not() -> None:
    trusts = _ae_type1()
    code = max(trusts, key=lambda c: trusts[c][1].sum())
    breaches, attendances = trusts[code]
    assert len(breaches) >= 13 and attendances.min() > 5000

    p_chart = analyse(breaches, chart="p", denominators=attendances)
    (w,) = diagnose(breaches, chart="p", denominators=attendances)

    assert p_chart.outside_limits.sum() > len(breaches) / 2  # what the warning is about
    assert w.code == "overdispersion" and w.suggested_chart == "pprime" and w.value > 2
    assert diagnose(breaches, chart="pprime", denominators=attendances) == ()
    assert diagnose(100 * breaches / attendances, chart="xmr") == ()


def test_most_ae_trusts_with_three_years_of_data_are_overdispersed_on_a_p_chart() -> None:
    trusts = {c: v for c, v in _ae_type1().items() if len(v[0]) >= 13}
    ids = np.concatenate([np.full(len(v[0]), i) for i, v in enumerate(trusts.values())])
    num = np.concatenate([v[0] for v in trusts.values()])
    den = np.concatenate([v[1] for v in trusts.values()])

    many = diagnose_many(ids, num, chart="p", denominators=den)

    warned = sum(1 for w in many.values() if _codes(w) == ["overdispersion"])
    assert warned > 0.9 * len(trusts)
