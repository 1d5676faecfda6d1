"""analyse_many: the long-table interface, per-series options and equality with analyse."""

from __future__ import annotations

import numpy as np
import pytest
from numpy.testing import assert_array_equal

from spiral.spc import SPCWarning, analyse, analyse_many


def assert_same_analysis(batch_result, single) -> None:
    assert batch_result.to_dict() == single.to_dict()


def long_table(seed: int = 7) -> tuple[np.ndarray, np.ndarray, list[np.ndarray]]:
    rng = np.random.default_rng(seed)
    lengths = [1, 2, 7, 13, 36, 36, 40, 60, 3, 25]
    chunks = [np.round(rng.normal(50, 8, n), 1) for n in lengths]
    chunks[4][5] = np.nan  # a gap
    chunks[5][:] = 12.0  # all equal
    chunks[6][20:] += 25  # a shift
    ids = np.concatenate([np.full(n, 100 + i) for i, n in enumerate(lengths)])
    return ids, np.concatenate(chunks), chunks


def test_per_point_arrays_align_with_the_input_and_per_series_follow_first_appearance() -> None:
    ids, values, _chunks = long_table()

    b = analyse_many(ids, values)

    assert b.centre.shape == b.lcl.shape == b.ucl.shape == b.point_type.shape == values.shape
    assert b.series_ids.tolist() == list(range(100, 110))
    assert b.variation_icon.shape == b.assurance_icon.shape == (10,)


@pytest.mark.parametrize("chart", ["xmr", "run", "c"])
def test_each_series_equals_analyse_of_that_series(chart: str) -> None:
    ids, values, chunks = long_table()
    values = np.abs(values)
    chunks = [np.abs(c) for c in chunks]
    improvements = ["increase", "decrease", "neutral", "increase", "decrease"] * 2
    targets = [np.nan, 50, 60, None, 10, 45, 55, np.nan, 0, 100]
    baselines = [0, 0, 0, 12, 20, None, 15, 30, 0, 12]

    b = analyse_many(ids, values, chart=chart, improvement=improvements, target=targets, baseline=baselines)

    for i, sid in enumerate(b.series_ids):
        target = targets[i]
        single = analyse(
            chunks[i],
            chart=chart,
            improvement=improvements[i],
            target=None if target is None or np.isnan(target) else target,
            baseline=baselines[i] or None,
        )
        assert_same_analysis(b.series(sid), single)


def test_attribute_series_equal_analyse() -> None:
    rng = np.random.default_rng(3)
    lengths = [5, 24, 30, 12]
    den = [rng.integers(50, 200, n).astype(float) for n in lengths]
    num = [np.floor(d * rng.uniform(0.05, 0.3, len(d))) for d in den]
    ids = np.repeat(np.arange(4), lengths)
    for chart in ("p", "pprime", "u", "uprime"):
        b = analyse_many(ids, np.concatenate(num), denominators=np.concatenate(den), chart=chart, target=0.1)
        for i in range(4):
            single = analyse(num[i], denominators=den[i], chart=chart, target=0.1)
            assert_same_analysis(b.series(i), single)


def test_scalar_options_apply_to_every_series() -> None:
    b = analyse_many([1] * 12 + [2] * 12, list(range(12)) * 2, improvement="decrease", target=-5, baseline=12)

    assert b.improvement.tolist() == ["decrease", "decrease"]
    assert b.assurance_icon.tolist() == ["fail", "fail"]


def test_point_type_and_icons_have_string_views() -> None:
    b = analyse_many([5] * 13, [10, 11, 10, 11, 10, 11, 10, 11, 10, 11, 10, 11, 40])

    assert b.point_type[-1] == "improvement"
    assert b.variation_icon.tolist() == ["improvement_high"]
    assert b.assurance_icon.tolist() == [None]


def test_series_ids_may_be_strings() -> None:
    b = analyse_many(["a", "a", "b"], [1.0, 2.0, 3.0])

    assert b.series("b").centre.tolist() == [3.0]


def test_an_empty_table_gives_an_empty_batch() -> None:
    b = analyse_many(np.zeros(0, int), np.zeros(0))

    assert len(b) == 0 and b.centre.shape == (0,)


def test_a_short_baseline_warns_once() -> None:
    with pytest.warns(SPCWarning, match="baseline of 5 points"):
        analyse_many([1] * 8 + [2] * 8, list(range(16)), baseline=[5, 6])


def test_unknown_series_id_is_a_key_error() -> None:
    with pytest.raises(KeyError):
        analyse_many([1, 1], [1.0, 2.0]).series(2)


def test_many_lengths_are_grouped_into_padded_blocks_with_identical_results() -> None:
    rng = np.random.default_rng(11)
    lengths = rng.integers(1, 120, 300)
    values = np.round(rng.normal(0, 1, lengths.sum()), 2)
    ids = np.repeat(np.arange(300), lengths)

    b = analyse_many(ids, values)

    starts = np.concatenate([[0], np.cumsum(lengths)[:-1]])
    for i in rng.choice(300, 25, replace=False):
        single = analyse(values[starts[i] : starts[i] + lengths[i]])
        assert_array_equal(b.series(i).ucl, single.ucl)
        assert_same_analysis(b.series(i), single)


def test_blocks_cut_into_column_chunks_give_identical_results(monkeypatch: pytest.MonkeyPatch) -> None:
    import spiral.spc._engine as engine

    ids, values, chunks = long_table(seed=5)
    whole = analyse_many(ids, values, target=50)
    same_length = analyse_many(np.repeat(np.arange(40), 12), np.tile(np.arange(12.0), 40) % 7)
    monkeypatch.setattr(engine, "_CHUNK_POINTS", 50)

    cut = analyse_many(ids, values, target=50)
    cut_same_length = analyse_many(np.repeat(np.arange(40), 12), np.tile(np.arange(12.0), 40) % 7)

    for i, chunk in enumerate(chunks):
        assert cut.series(100 + i).to_dict() == whole.series(100 + i).to_dict()
        assert cut.series(100 + i).to_dict() == analyse(chunk, target=50).to_dict()
    assert_array_equal(cut_same_length.flag_bits, same_length.flag_bits)
    assert_array_equal(cut_same_length.ucl, same_length.ucl)
