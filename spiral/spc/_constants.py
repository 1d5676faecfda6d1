"""Constants shared by the SPC kernels (docs/reference/spc.md §1 to §5).

Kept in one module so the kernels, the renderer and the tests agree on names and codes.
"""

from __future__ import annotations

# MDC and NHSRplotthedots use 3 / 1.128 rounded to two decimals (docs/reference/spc.md §9.1), not 2.6596.
LIMIT = 2.66
# Written exactly as NHSRplotthedots writes it (`limitclose <- 2 * (limit / 3)`) so the two-sigma
# lines agree with the peer to the last bit.
LIMIT_TWO_SIGMA = 2 * (LIMIT / 3)
LIMIT_ONE_SIGMA = LIMIT / 3
# Upper limit of a moving-range chart (D4 for subgroups of two): Nelson's screening threshold.
MR_SCREEN = 3.267
# d2 for subgroups of two: Laney's sigma-z divisor (qicharts2 `amr / 1.128`).
D2 = 1.128

# Rule lengths (docs/reference/spc.md §3, §9.4 and §9.5).
SHIFT_LENGTH = 7  # MDC: 7 points, not 8 (abspc) or 9 (Western Electric)
TREND_LENGTH = 7  # MDC: 7 points = 6 strict rises or falls; ties break
TWO_OF_THREE_WINDOW = 3

# Baselines shorter than this are accepted but warned about (docs/reference/spc.md §6 and §9.10).
BASELINE_WARN_BELOW = 12
# NHSRplotthedots calls limits from fewer points than this "trial limits".
TRIAL_LIMITS_BELOW = 13

CHARTS = ("run", "xmr", "p", "pprime", "u", "uprime", "c")
ATTRIBUTE_CHARTS = ("p", "pprime", "u", "uprime", "c")
DENOMINATOR_CHARTS = ("p", "pprime", "u", "uprime")
PROPORTION_CHARTS = ("p", "pprime")
IMPROVEMENTS = ("increase", "decrease", "neutral")
IMPROVEMENT_SIGN = {"increase": 1, "decrease": -1, "neutral": 0}

# Rule bits in the per-point flag mask.
OUTSIDE_LIMITS = 1
SHIFT = 2
TREND = 4
TWO_OF_THREE = 8
RULES = ("outside_limits", "shift", "trend", "two_of_three")
RULE_BITS = {"outside_limits": OUTSIDE_LIMITS, "shift": SHIFT, "trend": TREND, "two_of_three": TWO_OF_THREE}

# Point-type codes (index into POINT_TYPES).
POINT_TYPES = ("common", "improvement", "concern", "neutral")
COMMON, IMPROVEMENT, CONCERN, NEUTRAL = 0, 1, 2, 3

# Icon codes (index into the tuples; -1 = None).
VARIATION_ICONS = (
    "common_cause",
    "improvement_high",
    "improvement_low",
    "concern_high",
    "concern_low",
    "neither_high",
    "neither_low",
)
ASSURANCE_ICONS = ("pass", "fail", "hit_and_miss")
