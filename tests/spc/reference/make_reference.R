#!/usr/bin/env Rscript
# Generate the Spiral SPC reference figures by running NHSRplotthedots 0.2.2 and qicharts2 0.8.1.
#
#   Rscript make_reference.R [RLIB]          (run from this folder; RLIB defaults to /tmp/rlib)
#
# Writes nhsrplotthedots.json and qicharts2.json next to this script. See README.md.
args <- commandArgs(TRUE)
rlib <- if (length(args) >= 1) args[[1]] else "/tmp/rlib"
.libPaths(c(rlib, .libPaths()))
suppressPackageStartupMessages(library(dplyr))
stopifnot(
  as.character(packageVersion("NHSRplotthedots")) == "0.2.2",
  as.character(packageVersion("qicharts2")) == "0.8.1"
)
source("common.R")
source("ptd_lib.R")
source("qic_lib.R")

# ============================== NHSRplotthedots (XmR) ==============================

# --- hand-made cases -------------------------------------------------------------
add_ptd_case("xmr_worked_example", c(20, 24, 21, 23, 22, 26, 21, 23, 30, 22),
  improvement = "increase", target = 35,
  note = paste(
    "docs/reference/spc.md §1 worked example: centre 23.2, LCL 12.56, UCL 33.84,",
    "target above UCL -> fail"
  )
)
add_ptd_case("xmr_worked_example_decrease", c(20, 24, 21, 23, 22, 26, 21, 23, 30, 22),
  improvement = "decrease", target = 35, note = "target above UCL under decrease -> pass"
)
add_ptd_case("xmr_worked_example_neutral", c(20, 24, 21, 23, 22, 26, 21, 23, 30, 22),
  improvement = "neutral", target = 35, note = "neutral -> no assurance icon"
)
add_ptd_case("xmr_worked_example_target_inside", c(20, 24, 21, 23, 22, 26, 21, 23, 30, 22),
  improvement = "increase", target = 25, note = "target between the limits -> hit_and_miss"
)
add_ptd_case("xmr_worked_example_target_below", c(20, 24, 21, 23, 22, 26, 21, 23, 30, 22),
  improvement = "increase", target = 10, note = "target below LCL under increase -> pass"
)
# target exactly on the UCL: values alternate 10/11 -> centre 10.5, every MR = 1, AMR = 1,
# UCL = 10.5 + 2.66 * 1 (IEEE double), which is what the target is set to.
alt <- rep(c(10, 11), 8)
r_alt <- run_ptd(alt)
add_ptd_case("xmr_target_exactly_on_ucl", alt,
  improvement = "increase", target = r_alt$expected$ucl[1],
  note = paste(
    "target equals UCL bit for bit (10.5 + 2.66 * 1 in double) -> hit_and_miss (a target on a limit",
    "counts as inside). Spiral must compute UCL as centre + 2.66 * AMR to hit the same double."
  )
)
add_ptd_case("xmr_target_exactly_on_lcl_decrease", alt,
  improvement = "decrease", target = r_alt$expected$lcl[1],
  note = "target equals LCL bit for bit (10.5 - 2.66 * 1) -> hit_and_miss"
)

add_ptd_case("xmr_all_equal", rep(5, 12),
  improvement = "increase", target = 6, screen_outliers = FALSE,
  note = paste(
    "All values equal. docs/reference/spc.md §9.11: Spiral reports limits = centre, which is",
    "NHSRplotthedots with screen_outliers = FALSE (used here). With its default screening",
    "NHSRplotthedots gives NA for",
    "lcl/ucl/two-sigma lines and, because case_when(target > NA) falls through, assurance 'inconsistent'",
    "(hit_and_miss); with limits = centre the target 6 > UCL 5 gives 'fail'. No rule fires (every point",
    "is on the mean, ties break trends)."
  )
)
add_ptd_case("xmr_single_point", c(7.5),
  improvement = "increase",
  note = "One point: centre = the value, limits missing (mean of no moving ranges is NaN), common_cause."
)
add_ptd_case("xmr_two_points", c(5, 7),
  improvement = "increase", target = 6,
  note = "Two points: one moving range, limits defined (AMR 2 -> 6 -/+ 5.32)."
)

# shift broken by a point exactly on the mean (integer data, mean exactly 10)
add_ptd_case("xmr_shift_broken_by_point_on_mean",
  c(8, 12, 7, 13, 9, 11, 8, 12, 9, 11, 11, 11, 11, 10, 11, 11, 11, 12, 11, 11, 9, 9, 9, 8, 9, 9, 8, 9),
  improvement = "increase",
  note = paste(
    "Mean is exactly 10. Indexes 10-12 above, index 13 == mean, 14-19 above (6): the point on the mean",
    "breaks the run so no upward shift (Anhoej/qicharts2 would skip it and see a run of 9). The final 8",
    "points below make a downward shift -> concern, concern_low."
  )
)
add_ptd_case("xmr_shift_exactly_seven",
  c(10, 14, 9, 13, 11, 12, 8, 14, 10, 10, 13, 13.5, 12.5, 14, 13, 12.5, 13.5, 9, 11),
  improvement = "decrease",
  note = "7 consecutive points above the mean (indexes 10-16) -> shift, concern under decrease."
)
add_ptd_case("xmr_shift_six_no_signal",
  c(10, 14, 9, 13, 11, 12, 8, 14, 10, 10, 13, 13.5, 12.5, 14, 13, 12.5, 9, 11, 10),
  improvement = "decrease",
  note = "Only 6 consecutive points above the mean -> no shift."
)

add_ptd_case("xmr_trend_junction",
  c(50, 44, 56, 47, 53, 45, 55, 48, 52, 46, 47, 48, 49, 50, 51, 52, 53, 52, 51, 50, 49, 48, 47, 54, 46),
  improvement = "increase",
  note = paste(
    "Rising trend indexes 9-16 then falling trend 16-22. Index 16 (53) belongs to both: the next point",
    "is also in a trend, so its direction is the step to the next point (down) -> concern."
  )
)
add_ptd_case("xmr_trend_junction_at_end",
  c(50, 44, 56, 47, 53, 45, 55, 48, 52, 46, 47, 48, 49, 50, 51, 52, 51, 50, 49, 48, 47, 46),
  improvement = "decrease",
  note = "Rise 9-15 then fall 15-21 ending the series; junction index 15 takes the downward step -> improvement; last point improvement_low."
)
add_ptd_case("xmr_falling_trend_above_mean",
  c(10, 12, 9, 11, 10, 12, 9, 11, 10, 11, 17, 16.5, 16, 15.5, 15, 14.5, 14, 10, 11, 9),
  improvement = "increase",
  note = paste(
    "Indexes 10-11 above UCL (improvement). 12-17 belong to a falling trend (10-17): the trend beats the",
    "upward shift of 10-16 -> concern (docs/reference/spc.md §4). Indexes 0-9 make a shift below the",
    "mean -> concern."
  )
)
add_ptd_case("xmr_trend_with_tie",
  c(20, 22, 19, 21, 20, 22, 19, 21, 20, 22, 15, 16, 17, 18, 18, 19, 20, 21, 18, 20),
  improvement = "increase",
  note = "15,16,17,18,18,19,20,21: the tie 18,18 breaks the run of rises -> no trend (15 is below the LCL)."
)
add_ptd_case("xmr_trend_crossing_mean",
  c(30, 34, 29, 33, 31, 35, 28, 32, 30, 33, 26, 28, 30, 32, 34, 36, 38, 31, 32),
  improvement = "decrease",
  note = "Rising 7-point trend (10-16) crossing the mean; under decrease -> concern."
)

# two of three: close = beyond 2 sigma but inside the limits; all three on one side of the mean.
# Limits fixed on a calm 20-point baseline (mean exactly 10, LCL 8.46, UCL 11.54, 2-sigma 8.973/11.027).
two3_base <- rep(c(10, 10.5, 9.5, 10.2, 9.8), 4)
add_ptd_case("xmr_two_of_three_with_outside_point",
  c(two3_base, 11.2, 12, 11.3, 10, 10.1, 11.2, 12, 9.7, 10.2, 9.9),
  improvement = "increase", baseline = 20,
  note = paste(
    "Indexes 20-22: close, outside, close, all above the mean -> 20 and 22 are '2 in 3' (the outside",
    "point 21 is 'Above UCL' and does not count as close). Index 23 is exactly on the mean.",
    "Indexes 25-27: close, outside, below -> one close point only, 25 stays common (26 is outside)."
  )
)
add_ptd_case("xmr_two_of_three_opposite_sides",
  c(two3_base, 11.2, 8.8, 11.3, 10, 11.2, 10.3, 11.25, 9.6, 8.9, 9.9, 8.85, 10.1),
  improvement = "decrease", baseline = 20,
  note = paste(
    "20-22 = 11.2, 8.8, 11.3: three close points but the window straddles the mean -> nothing fires;",
    "24-26 = 11.2, 10.3, 11.25: two close + one inside, all above -> 24 and 26 flagged (concern under",
    "decrease), 25 not; 28 and 30 (8.9, 8.85, with 9.9 between, all below) -> improvement."
  )
)

# outside limits, screening matters (one big spike)
spike <- c(50, 52, 49, 51, 50, 48, 53, 50, 49, 51, 90, 50, 52, 48, 51, 50, 49, 52, 50, 51)
add_ptd_case("xmr_spike_screened", spike,
  improvement = "decrease", target = 60,
  note = paste(
    "One spike: the two moving ranges around index 10 are >= 3.267 * AMR and are screened out",
    "(screen_outliers default); the spike is 'Above UCL' -> concern under decrease; the 9 points after",
    "it are all below the mean (the spike lifts the mean) -> shift below -> improvement_low."
  )
)
add_ptd_case("xmr_spike_last_point", c(spike[-11], 20),
  improvement = "decrease", target = 60,
  note = "Last point far below LCL -> improvement_low under decrease; target above UCL -> pass."
)
add_ptd_case("xmr_spike_last_point_neutral_low", c(spike[-11], 20),
  improvement = "neutral", target = 60, note = "neutral: last point below LCL -> neither_low, no assurance."
)
add_ptd_case("xmr_spike_last_point_neutral_high", c(spike[-11], 80),
  improvement = "neutral", note = "neutral: last point above UCL -> neither_high."
)
add_ptd_case("xmr_negative_values",
  c(-3.5, -1.2, -4.8, -2.2, -0.4, -3.9, -2.8, -1.7, -5.1, -2.6, -3.3, -0.9, -2.1, -4.4),
  improvement = "increase", target = -2,
  note = "Negative data, negative limits, no clamping for XmR."
)

# baseline (fix_after_n_points) and rebase
set.seed(101)
base_shift <- round(c(rnorm(15, 100, 8), rnorm(15, 115, 8)), 1)
add_ptd_case("xmr_baseline_15_then_shift", base_shift,
  improvement = "increase", target = 110, baseline = 15,
  note = "Limits fixed on the first 15 points; the later higher points are judged against them."
)
add_ptd_case("xmr_baseline_12", base_shift,
  improvement = "decrease", target = 125, baseline = 12,
  note = "fix_after_n_points = 12, the NHSRplotthedots minimum."
)
add_ptd_case("xmr_rebase_at_shift", base_shift,
  improvement = "increase", target = 110, rebase = 15,
  note = "New period from index 15: own centre/limits; no moving range or rule window crosses 14|15."
)
add_ptd_case("xmr_rebase_at_zero", base_shift,
  improvement = "increase", rebase = 0,
  note = "Rebase at index 0 changes nothing."
)
add_ptd_case("xmr_rebase_at_last_index", base_shift,
  improvement = "increase", rebase = 29,
  note = paste(
    "One-point last period: centre = value, limits missing, common_cause. No target given: with a target",
    "NHSRplotthedots reports 'inconsistent' against NA limits, where Spiral gives 'hit_and_miss'",
    "(docs/reference/spc.md §10.5)."
  )
)
set.seed(102)
three <- round(c(rnorm(14, 40, 4), rnorm(13, 30, 4), rnorm(16, 36, 3)), 1)
add_ptd_case("xmr_two_rebases", three,
  improvement = "decrease", target = 33, rebase = c(14, 27),
  note = "Three periods (0-13, 14-26, 27-42), each with its own limits."
)
add_ptd_case("xmr_two_rebases_with_baseline", three,
  improvement = "increase", target = 33, rebase = c(14, 27), baseline = 12,
  note = "Baseline 12 applies within each period (first 12 points of each; the middle period has 13)."
)
boundary <- c(8, 12, 8, 12, 8, 12, 8, 11, 11, 11, 11, 11, 12, 12, 12, 8, 9, 8, 10, 9, 8, 9)
add_ptd_case("xmr_rebase_rule_window_does_not_cross", boundary,
  improvement = "increase", rebase = 12,
  note = paste(
    "Period 0-11 (mean 10.25) ends with 5 points above its mean, period 12-21 (mean 9.7) starts with 3",
    "above its own mean: no 7-point window crosses the boundary -> no shift. In period 2, 12,12,12 are",
    "beyond its upper 2-sigma line -> '2 in 3' (improvement), as are 8 at 15 and 17 (concern)."
  )
)
add_ptd_case("xmr_no_rebase_same_data", boundary,
  improvement = "increase",
  note = "Same data without the rebase: mean exactly 10, indexes 7-14 (8 points) above -> shift; index 18 (10) is on the mean."
)

# missing values
add_ptd_case("xmr_missing_middle",
  c(20, 24, 21, NA, 22, 26, 21, 23, 30, 22, 25, 19, 23, 24),
  improvement = "increase", target = 22,
  note = "NA at index 3: ignored for the mean; removes MRs 2-3 and 3-4 (not bridged); point_type common at the gap."
)
add_ptd_case("xmr_missing_inside_shift",
  c(10, 12, 9, 11, 10, 12, 9, 11, 10, 11, 13, 13.5, 12.8, NA, 13.2, 12.9, 13.1, 13.4, 10, 11),
  improvement = "increase",
  note = "Eight points above the mean interrupted by an NA (3 + 5): a window containing the NA never fires -> no shift."
)

add_ptd_case("xmr_missing_last_value",
  c(10, 12, 9, 11, 10, 12, 9, 11, 10, 11, 10, 12, 30, NA),
  improvement = "increase", target = 5,
  source_extra = "; variation_icon set to the docs/reference/spc.md §8 expectation",
  override = list(variation_icon = sc("improvement_high")),
  note = paste(
    "Latest value missing. NHSRplotthedots takes the icon from the last row (NA -> 'common_cause', kept",
    "in r_package_values); docs/reference/spc.md §8 says the icons describe the latest non-missing",
    "point (index 12, 30, above UCL) -> improvement_high. Everything else is the package's output."
  )
)

# --- generated series ----------------------------------------------------------------------
gen_series <- function(kind, n) {
  switch(kind,
    noise = round(rnorm(n, 50, 5), 1),
    shift_up = round(c(rnorm(n %/% 2, 50, 4), rnorm(n - n %/% 2, 56, 4)), 1),
    shift_down = round(c(rnorm(n %/% 2, 50, 4), rnorm(n - n %/% 2, 44, 4)), 1),
    trend_up = round(30 + 0.6 * seq_len(n) + rnorm(n, 0, 1.5), 1),
    trend_down = round(80 - 0.5 * seq_len(n) + rnorm(n, 0, 1.2), 1),
    spike = {
      v <- round(rnorm(n, 20, 2), 1)
      v[sample(seq_len(n - 1), 1)] <- 35
      v
    },
    integer = as.numeric(rpois(n, 6)),
    integer_mean_exact = {
      v <- rpois(n, 10)
      v[n] <- v[n] - (sum(v) %% n) # make the mean an integer so some points sit exactly on it
      if (v[n] < 0) v[n] <- v[n] + n
      as.numeric(v)
    },
    negative = round(rnorm(n, -4, 3), 2),
    proportion = round(rnorm(n, 0.82, 0.04), 3),
    autocorrelated = round(50 + as.numeric(stats::filter(rnorm(n, 0, 3), 0.8, method = "recursive")), 1)
  )
}
kinds <- c(
  "noise", "shift_up", "shift_down", "trend_up", "trend_down", "spike", "integer",
  "integer_mean_exact", "negative", "proportion", "autocorrelated"
)
improvements <- c("increase", "decrease", "neutral")
target_modes <- c("none", "above", "inside", "below")
for (i in 1:44) {
  seed <- 1000 + i
  set.seed(seed)
  kind <- kinds[(i - 1) %% length(kinds) + 1]
  n <- sample(5:60, 1)
  if (i %% 7 == 0) n <- sample(30:60, 1)
  values <- gen_series(kind, n)
  improvement <- improvements[(i - 1) %% 3 + 1]
  baseline <- NULL
  rebase <- NULL
  if (i %% 5 == 0 && n >= 20) baseline <- sample(12:min(20, n - 5), 1)
  if (i %% 6 == 0 && n >= 24) rebase <- sort(sample(10:(n - 8), if (n >= 40) 2 else 1))
  if (length(rebase) == 2 && diff(rebase) < 6) rebase <- rebase[1]
  if (i %% 8 == 0 && n >= 10) values[sample(2:(n - 2), if (n >= 30) 2 else 1)] <- NA
  # choose a target relative to the latest period's limits
  pre <- run_ptd(values, improvement, NULL, baseline, rebase)
  tmode <- target_modes[(i - 1) %/% 3 %% 4 + 1]
  target <- NULL
  if (pre$ok && tmode != "none") {
    lc <- pre$expected$lcl[n]
    uc <- pre$expected$ucl[n]
    ce <- pre$expected$centre[n]
    if (!is.na(uc)) {
      span <- uc - lc
      target <- switch(tmode,
        above = signif(uc + 0.1 * span + 0.01, 3),
        inside = signif(ce + 0.1 * span, 3),
        below = signif(lc - 0.1 * span - 0.01, 3)
      )
    }
  }
  desc <- paste0(
    "generated: set.seed(", seed, "), kind ", kind, ", n ", n,
    if (!is.null(baseline)) paste0(", baseline ", baseline) else "",
    if (!is.null(rebase)) paste0(", rebase ", paste(rebase, collapse = "/")) else "",
    if (anyNA(values)) paste0(", NA at ", paste(which(is.na(values)) - 1, collapse = "/")) else "",
    if (!is.null(target)) paste0(", target ", tmode, " the limits") else ""
  )
  add_ptd_case(sprintf("xmr_gen_%02d_%s", i, kind), values, improvement, target, baseline, rebase,
    note = desc
  )
}

# a trend window containing an NA: NHSRplotthedots stops with an error (recorded in README)
nhsr_trend_na <- run_ptd(c(10, 12, 9, 11, 10, 12, 9, 11, 10, 11, 12, 13, NA, 15, 16, 17, 18, 11, 10))
message("trend window with NA: ", if (nhsr_trend_na$ok) "ok" else nhsr_trend_na$error)

write_json_file(ptd_cases, "nhsrplotthedots.json")

# ============================== qicharts2 ==============================
source("make_qicharts2_cases.R")
write_json_file(qic_cases, "qicharts2.json")

if (length(ptd_failures)) {
  message("NHSRplotthedots errors:")
  for (f in ptd_failures) message("  ", f$name, ": ", f$error)
}
