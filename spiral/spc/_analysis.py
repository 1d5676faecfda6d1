"""`Analysis` (one series) and `BatchAnalysis` (many), the results of `analyse` and `analyse_many`."""

from __future__ import annotations

import datetime as _dt
import itertools
import math
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from . import _kernel
from ._constants import ASSURANCE_ICONS, POINT_TYPES, RULE_BITS, RULES, TRIAL_LIMITS_BELOW, VARIATION_ICONS

_POINT_TYPE_ARRAY = np.array(POINT_TYPES)
_VARIATION_ARRAY = np.array([*VARIATION_ICONS, None], dtype=object)  # code -1 -> None
_ASSURANCE_ARRAY = np.array([*ASSURANCE_ICONS, None], dtype=object)


def _float_list(values: np.ndarray) -> list[float | None]:
    return [None if math.isnan(v) else v for v in values.tolist()]


def _label(value: Any) -> Any:
    if isinstance(value, _dt.date | _dt.datetime):
        return value.isoformat()
    if isinstance(value, np.generic):
        return value.item()
    if value is None or isinstance(value, str | int | float):
        return value
    return str(value)


@dataclass(frozen=True)
class RunsAnalysis:
    """Anhøj runs analysis of a run chart's (latest) period (docs/reference/spc.md §7). None fields: no
    useful point."""

    n_useful: int
    longest_run: int | None
    longest_run_max: int | None
    crossings: int | None
    crossings_min: int | None
    long_run: bool
    few_crossings: bool

    @classmethod
    def from_counts(cls, n_useful: int, longest_run: int, crossings: int) -> RunsAnalysis:
        if n_useful <= 0:
            return cls(0, None, None, None, None, False, False)
        longest_max = _kernel.longest_run_max(n_useful)
        crossings_min = _kernel.crossings_min(n_useful)
        return cls(
            n_useful=n_useful,
            longest_run=longest_run,
            longest_run_max=longest_max,
            crossings=crossings,
            crossings_min=crossings_min,
            long_run=longest_run > longest_max,
            few_crossings=crossings < crossings_min,
        )

    @property
    def signal(self) -> bool:
        """True when either Anhøj rule signals non-random variation."""
        return self.long_run or self.few_crossings


@dataclass(frozen=True, eq=False)
class Analysis:
    """The analysis of one series. Per-point arrays have shape (n,), NaN where undefined.

    >>> a = analyse([20, 24, 21, 23, 22, 26, 21, 23, 30, 22], target=35)  # doctest: +SKIP
    >>> a.centre[0], a.lcl[0], a.ucl[0], a.variation_icon, a.assurance_icon  # doctest: +SKIP
    (23.2, 12.56, 33.84, 'common_cause', 'fail')
    """

    chart: str
    improvement: str
    values: np.ndarray  # (n,) plotted values: the value, proportion (p) or rate (u); NaN missing
    centre: np.ndarray
    lcl: np.ndarray
    ucl: np.ndarray
    lower_two_sigma: np.ndarray
    upper_two_sigma: np.ndarray
    lower_one_sigma: np.ndarray
    upper_one_sigma: np.ndarray
    flag_bits: np.ndarray  # (n,) uint8, bits of RULE_BITS
    direction: np.ndarray  # (n,) int8: +1 / -1 from the winning rule, 0 unflagged
    point_type_codes: np.ndarray  # (n,) uint8 index into POINT_TYPES
    variation_icon: str | None
    assurance_icon: str | None
    target: np.ndarray | None = None  # (n,) target per point (a trajectory or a repeated number)
    numerators: np.ndarray | None = None  # (n,) p/u charts
    denominators: np.ndarray | None = None  # (n,) p/u charts
    dates: tuple[Any, ...] | None = None
    baseline: int | None = None
    period_starts: tuple[int, ...] = (0,)
    runs: RunsAnalysis | None = None
    notes: tuple[str, ...] = field(default=())

    def __len__(self) -> int:
        return len(self.values)

    @property
    def point_type(self) -> list[str]:
        """Per point: 'improvement', 'concern', 'neutral' or 'common'."""
        return [POINT_TYPES[c] for c in self.point_type_codes.tolist()]

    @property
    def flags(self) -> list[list[str]]:
        """Per point: the names of every rule that flags it."""
        return [[rule for rule in RULES if bits & RULE_BITS[rule]] for bits in self.flag_bits.tolist()]

    def rule(self, name: str) -> np.ndarray:
        """(n,) bool: the points that rule `name` flags."""
        return (self.flag_bits & RULE_BITS[name]) != 0

    @property
    def outside_limits(self) -> np.ndarray:
        return self.rule("outside_limits")

    @property
    def shift(self) -> np.ndarray:
        return self.rule("shift")

    @property
    def trend(self) -> np.ndarray:
        return self.rule("trend")

    @property
    def two_of_three(self) -> np.ndarray:
        return self.rule("two_of_three")

    @property
    def periods(self) -> np.ndarray:
        """(n,) int: the period (0, 1, ...) each point belongs to."""
        index = np.zeros(len(self.values), dtype=np.int64)
        for start in self.period_starts[1:]:
            index[start:] += 1
        return index

    @property
    def latest_index(self) -> int | None:
        """Index of the latest non-missing point (the one the icons describe), or None."""
        valid = np.flatnonzero(~np.isnan(self.values))
        return int(valid[-1]) if len(valid) else None

    def to_dict(self) -> dict[str, Any]:
        """Plain lists, strings, numbers and None (JSON-ready); keys as docs/reference/spc.md §8."""
        result: dict[str, Any] = {
            "chart": self.chart,
            "improvement": self.improvement,
            "values": _float_list(self.values),
            "dates": None if self.dates is None else [_label(d) for d in self.dates],
            "centre": _float_list(self.centre),
            "lcl": _float_list(self.lcl),
            "ucl": _float_list(self.ucl),
            "lower_two_sigma": _float_list(self.lower_two_sigma),
            "upper_two_sigma": _float_list(self.upper_two_sigma),
            "lower_one_sigma": _float_list(self.lower_one_sigma),
            "upper_one_sigma": _float_list(self.upper_one_sigma),
            "flags": self.flags,
            "point_type": self.point_type,
            "variation_icon": self.variation_icon,
            "assurance_icon": self.assurance_icon,
            "target": None if self.target is None else _float_list(self.target),
            "baseline": self.baseline,
            "rebase": list(self.period_starts[1:]),
            "notes": list(self.notes),
        }
        if self.numerators is not None and self.denominators is not None:
            result["numerators"] = _float_list(self.numerators)
            result["denominators"] = _float_list(self.denominators)
        if self.runs is not None:
            r = self.runs
            result.update(
                n_useful=r.n_useful,
                longest_run=r.longest_run,
                longest_run_max=r.longest_run_max,
                crossings=r.crossings,
                crossings_min=r.crossings_min,
                long_run=r.long_run,
                few_crossings=r.few_crossings,
            )
        return result


@dataclass(frozen=True, eq=False)
class BatchAnalysis:
    """The analysis of many series at once (from `analyse_many`).

    Per-point arrays (n,) are aligned with the input table; per-series arrays (S,) follow the order
    in which series first appear (`series_ids`). Point types and icons are kept as small integer
    codes (`point_type_codes`, `variation_codes`, `assurance_codes`); the string views are built on
    demand.
    """

    chart: str
    series_ids: np.ndarray  # (S,)
    starts: np.ndarray  # (S,) index of each series' first point
    lengths: np.ndarray  # (S,)
    values: np.ndarray  # (n,) plotted values
    centre: np.ndarray
    lcl: np.ndarray
    ucl: np.ndarray
    lower_two_sigma: np.ndarray
    upper_two_sigma: np.ndarray
    lower_one_sigma: np.ndarray
    upper_one_sigma: np.ndarray
    flag_bits: np.ndarray  # (n,) uint8
    direction: np.ndarray  # (n,) int8
    point_type_codes: np.ndarray  # (n,) uint8
    improvement: np.ndarray  # (S,) str
    target: np.ndarray  # (S,) float, NaN without a target
    baseline: np.ndarray  # (S,) int, 0 without a baseline
    variation_codes: np.ndarray  # (S,) int8, -1 = None
    assurance_codes: np.ndarray  # (S,) int8, -1 = None
    numerators: np.ndarray | None = None
    denominators: np.ndarray | None = None
    runs: dict[str, np.ndarray] | None = None  # (S,) n_useful, longest_run, crossings
    _positions: dict[Any, int] = field(default_factory=dict, repr=False)

    def __len__(self) -> int:
        return len(self.series_ids)

    @property
    def point_type(self) -> np.ndarray:
        """(n,) str: 'improvement', 'concern', 'neutral' or 'common'."""
        return _POINT_TYPE_ARRAY[self.point_type_codes]

    @property
    def variation_icon(self) -> np.ndarray:
        """(S,) object: variation icon name per series, None where the series has no value."""
        return _VARIATION_ARRAY[self.variation_codes]

    @property
    def assurance_icon(self) -> np.ndarray:
        """(S,) object: assurance icon name per series, or None."""
        return _ASSURANCE_ARRAY[self.assurance_codes]

    def index_of(self, series_id: Any) -> int:
        """Position of `series_id` in `series_ids`; KeyError if absent."""
        if not self._positions:
            self._positions.update({sid: i for i, sid in enumerate(self.series_ids.tolist())})
        key = series_id.item() if isinstance(series_id, np.generic) else series_id
        return self._positions[key]

    def series(self, series_id: Any) -> Analysis:
        """The `Analysis` of one series, equal to `analyse` on that series alone."""
        i = self.index_of(series_id)
        a, n = int(self.starts[i]), int(self.lengths[i])
        sl = slice(a, a + n)
        target = float(self.target[i])
        runs = None
        if self.runs is not None:
            runs = RunsAnalysis.from_counts(
                int(self.runs["n_useful"][i]),
                int(self.runs["longest_run"][i]),
                int(self.runs["crossings"][i]),
            )
        baseline = int(self.baseline[i]) or None
        return Analysis(
            chart=self.chart,
            improvement=str(self.improvement[i]),
            values=self.values[sl].copy(),
            centre=self.centre[sl].copy(),
            lcl=self.lcl[sl].copy(),
            ucl=self.ucl[sl].copy(),
            lower_two_sigma=self.lower_two_sigma[sl].copy(),
            upper_two_sigma=self.upper_two_sigma[sl].copy(),
            lower_one_sigma=self.lower_one_sigma[sl].copy(),
            upper_one_sigma=self.upper_one_sigma[sl].copy(),
            flag_bits=self.flag_bits[sl].copy(),
            direction=self.direction[sl].copy(),
            point_type_codes=self.point_type_codes[sl].copy(),
            variation_icon=_VARIATION_ARRAY[self.variation_codes[i]],
            assurance_icon=_ASSURANCE_ARRAY[self.assurance_codes[i]],
            target=None if math.isnan(target) else np.full(n, target),
            numerators=None if self.numerators is None else self.numerators[sl].copy(),
            denominators=None if self.denominators is None else self.denominators[sl].copy(),
            baseline=baseline,
            runs=runs,
            notes=_notes(self.chart, n, baseline, (0,)),
        )


def _notes(chart: str, n: int, baseline: int | None, period_starts: tuple[int, ...]) -> tuple[str, ...]:
    """Advice shown with a chart: trial limits on short periods (NHSRplotthedots warns under 13)."""
    if chart == "run":
        return ()
    bounds = [*period_starts, n]
    notes = []
    for a, b in itertools.pairwise(bounds):
        size = min(b - a, baseline) if baseline else b - a
        if 0 < size < TRIAL_LIMITS_BELOW:
            notes.append(
                f"trial limits: the period starting at point {a} has {size} points to set its limits; "
                f"at least {TRIAL_LIMITS_BELOW} are advised"
            )
    return tuple(notes)
