"""The engine shared by `analyse` and `analyse_many`: segments laid into blocks, kernels, icons.

Input is a long table: per-point arrays of length n, cut into S contiguous *segments* (a segment is
a series, or a rebase period of one). Segments of similar length are laid side by side, time-major,
into (T, S_b) blocks padded with NaN, the kernels run on each block, and the per-point results are
scattered back into long arrays. There is no Python loop over points or series; the only loop is
over blocks (one per group of similar lengths: one block when every series has 36 points).
"""

from __future__ import annotations

import itertools
from dataclasses import dataclass

import numpy as np

from . import _kernel as k
from ._constants import (
    ASSURANCE_ICONS,
    COMMON,
    CONCERN,
    IMPROVEMENT,
    NEUTRAL,
)

LINE_KEYS = (
    "centre",
    "lcl",
    "ucl",
    "lower_two_sigma",
    "upper_two_sigma",
    "lower_one_sigma",
    "upper_one_sigma",
)
RUN_KEYS = ("n_useful", "longest_run", "crossings")

# Pad a block to its longest member only while that wastes little: a new block starts when a
# length exceeds the block's shortest by more than this factor (and a few points).
_BLOCK_GROWTH = 1.25
_BLOCK_SLACK = 4


# Blocks are processed a slice of columns at a time so that the kernels' temporaries (a few dozen
# arrays of the slice's size) stay in cache instead of streaming hundreds of MiB through memory.
_CHUNK_POINTS = 1 << 17


@dataclass(frozen=True)
class Block:
    """Segments `members` (S_b,) laid time-major into a (T, S_b) block."""

    members: np.ndarray
    t: int
    index: np.ndarray | None  # (T, S_b) long positions; None for the dense fast path
    mask: np.ndarray | None  # (T, S_b) True where a real point sits

    def chunks(self) -> list[Block]:
        """The block cut into slices of whole columns of about _CHUNK_POINTS points."""
        width = max(1, _CHUNK_POINTS // max(self.t, 1))
        s = len(self.members)
        if s <= width:
            return [self]
        return [
            Block(
                self.members[a : a + width],
                self.t,
                None if self.index is None else self.index[:, a : a + width],
                None if self.mask is None else self.mask[:, a : a + width],
            )
            for a in range(0, s, width)
        ]


def plan_blocks(starts: np.ndarray, lengths: np.ndarray) -> list[Block]:
    """Group segments into blocks of similar length. `starts`, `lengths`: (S,) int64."""
    s = len(lengths)
    if s == 0:
        return []
    t_max = int(lengths.max())
    if int(lengths.min()) == t_max:
        # Every segment has the same length: the long table is a C-ordered (S, T) array already.
        return [Block(np.arange(s), t_max, None, None)]
    order = np.argsort(lengths, kind="stable")
    sorted_lengths = lengths[order]
    distinct, first = np.unique(sorted_lengths, return_index=True)
    cuts = []
    low = None
    for length, at in zip(distinct.tolist(), first.tolist(), strict=True):
        if low is None or length > max(low * _BLOCK_GROWTH, low + _BLOCK_SLACK):
            cuts.append(at)
            low = length
    cuts.append(s)
    blocks = []
    for a, b in itertools.pairwise(cuts):
        members = np.sort(order[a:b])
        t = int(sorted_lengths[b - 1])
        rows = np.arange(t)[:, None]
        mask = rows < lengths[members][None, :]
        index = np.where(mask, starts[members][None, :] + rows, 0)
        blocks.append(Block(members, t, index, mask))
    return blocks


def gather(block: Block, values: np.ndarray) -> np.ndarray:
    """Long (n,) float array -> (T, S_b) block, NaN in the padding."""
    if block.index is None:  # dense: members are consecutive segments of length T
        a = int(block.members[0]) * block.t
        return np.ascontiguousarray(values[a : a + len(block.members) * block.t].reshape(-1, block.t).T)
    out = values[block.index]
    out[~block.mask] = np.nan  # type: ignore[operator]  # a block with an index has a mask
    return out


def scatter(block: Block, out: np.ndarray, values: np.ndarray) -> None:
    """(T, S_b) block -> positions of its points in the long (n,) array `out`."""
    if block.index is None:
        a = int(block.members[0]) * block.t
        out[a : a + values.size] = values.T.reshape(-1)
    else:
        out[block.index[block.mask]] = values[block.mask]


def compute(
    chart: str,
    y: np.ndarray,
    num: np.ndarray | None,
    den: np.ndarray | None,
    starts: np.ndarray,
    lengths: np.ndarray,
    baseline: np.ndarray,
    screen: bool,
) -> dict[str, np.ndarray]:
    """Run the kernels for every segment.

    y: (n,) plotted values, NaN missing; num, den: (n,) for p/u charts (else None);
    starts, lengths, baseline: (S,) int64, baseline 0 meaning "all rows of the segment".
    Returns long (n,) arrays for LINE_KEYS, `flags` (uint8) and `direction` (int8), and for run
    charts (S,) arrays for RUN_KEYS.
    """
    n = len(y)
    s = len(starts)
    out: dict[str, np.ndarray] = {}
    out["flags"] = np.zeros(n, dtype=np.uint8)
    out["direction"] = np.zeros(n, dtype=np.int8)
    if chart == "run":
        for key in RUN_KEYS:
            out[key] = np.zeros(s, dtype=np.int64)
    per_segment: dict[str, np.ndarray] = {}
    base_rows = np.where(baseline > 0, np.minimum(baseline, lengths), lengths)
    blocks = [chunk for block in plan_blocks(starts, lengths) for chunk in block.chunks()]
    for block in blocks:
        yb = gather(block, y)
        rows = np.arange(block.t)[:, None]
        base = rows < base_rows[block.members][None, :]
        if chart == "run":
            centre = k.r_median(yb, base & ~np.isnan(yb))
            _per_segment(per_segment, "centre", s)[block.members] = centre
            for key, value in k.runs_analysis(yb, centre).items():
                out[key][block.members] = value
            continue
        if chart == "xmr":
            lines = k.xmr_lines(yb, base, screen)
        else:
            numb = gather(block, num) if num is not None else None
            denb = gather(block, den) if den is not None else None
            lines = k.attribute_lines(chart, yb, numb, denb, base, screen)  # type: ignore[arg-type]  # attribute charts have counts
        flags, direction = k.mdc_rules(
            yb,
            lines["centre"],
            lines["lcl"],
            lines["ucl"],
            lines["lower_two_sigma"],
            lines["upper_two_sigma"],
        )
        scatter(block, out["flags"], flags)
        scatter(block, out["direction"], direction)
        for key in LINE_KEYS:
            value = lines[key]
            if value.ndim == 1:  # one value per segment: expand below with np.repeat
                _per_segment(per_segment, key, s)[block.members] = value
            else:
                if key not in out:
                    out[key] = np.full(n, np.nan)
                scatter(block, out[key], value)
    for key, value in per_segment.items():
        out[key] = np.repeat(value, lengths)
    for key in LINE_KEYS:
        if key not in out:  # run charts have no limits
            out[key] = np.full(n, np.nan)
    return out


def _per_segment(store: dict[str, np.ndarray], key: str, s: int) -> np.ndarray:
    if key not in store:
        store[key] = np.full(s, np.nan)
    return store[key]


# Point type by (direction + 1, improvement sign + 1): unflagged points are common; under a neutral
# direction any special cause is neutral; otherwise the direction agrees with the improvement or not.
_TYPE_TABLE = np.array(
    [
        # improvement sign:  -1 (decrease)  0 (neutral)  +1 (increase)
        [IMPROVEMENT, NEUTRAL, CONCERN],  # direction -1 (down)
        [COMMON, COMMON, COMMON],  # direction 0 (no rule)
        [CONCERN, NEUTRAL, IMPROVEMENT],  # direction +1 (up)
    ],
    dtype=np.uint8,
).ravel()


def point_types(direction: np.ndarray, improvement_sign: np.ndarray) -> np.ndarray:
    """Per-point type codes (uint8) from the winning direction (n,) int8 and the improvement sign
    (n,) int8 in {+1, -1, 0}: a table lookup, all in one-byte integers."""
    index = (direction + np.int8(1)) * np.int8(3) + (improvement_sign + np.int8(1))
    return _TYPE_TABLE[index]


def last_valid(valid: np.ndarray, starts: np.ndarray) -> np.ndarray:
    """Index of the latest non-missing point of each series (S,), -1 where there is none."""
    if len(starts) == 0:
        return np.zeros(0, dtype=np.int64)
    idx = np.where(valid, np.arange(len(valid)), -1)
    last = np.maximum.reduceat(idx, starts)
    return np.where(last >= starts, last, -1)


def icons(
    last: np.ndarray,
    direction: np.ndarray,
    lcl: np.ndarray,
    ucl: np.ndarray,
    improvement_sign: np.ndarray,
    target_at_last: np.ndarray,
) -> tuple[np.ndarray, np.ndarray]:
    """Variation and assurance icon codes (S,) int8 for the latest point (docs/reference/spc.md §5);
    -1 = None.

    last: (S,) from `last_valid`; direction, lcl, ucl: long (n,); improvement_sign: (S,) in
    {+1, -1, 0}; target_at_last: (S,) target value at the latest point, NaN without a target.
    Variation codes index VARIATION_ICONS, assurance codes ASSURANCE_ICONS.
    """
    has = last >= 0
    at = np.where(has, last, 0)
    if len(direction) == 0:
        at = np.zeros(len(last), dtype=np.int64)
        d = np.zeros(len(last), dtype=np.int8)
        low = high = np.full(len(last), np.nan)
    else:
        d = direction[at]
        low, high = lcl[at], ucl[at]
    imp = improvement_sign
    variation = np.select(
        [d == 0, imp == 0, imp * d > 0],
        [
            0,  # common_cause
            np.where(d > 0, 5, 6),  # neither_high / neither_low
            np.where(d > 0, 1, 2),  # improvement_high (increase) / improvement_low (decrease)
        ],
        default=np.where(d > 0, 3, 4),  # concern_high (decrease) / concern_low (increase)
    ).astype(np.int8)
    variation[~has] = -1

    pass_, fail, hit_and_miss = (ASSURANCE_ICONS.index(x) for x in ("pass", "fail", "hit_and_miss"))
    t = target_at_last
    with np.errstate(invalid="ignore"):
        above, below = t > high, t < low
    # Missing limits (a one-point period) compare False both ways: hit and miss, as in
    # NHSRplotthedots, whose case_when falls through to "inconsistent".
    assurance = np.where(
        above, np.where(imp > 0, fail, pass_), np.where(below, np.where(imp > 0, pass_, fail), hit_and_miss)
    ).astype(np.int8)
    assurance[~has | np.isnan(t) | (imp == 0)] = -1
    return variation, assurance
