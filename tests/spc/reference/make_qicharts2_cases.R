# qicharts2 cases; sourced by make_reference.R (after common.R and qic_lib.R).

# ------------------------------ run charts (Anhoej rules) ------------------------------
add_qic_case("run_random_20", "run", {
  set.seed(2001)
  round(rnorm(20, 10, 2), 1)
}, note = "Random data, no signal expected.")
add_qic_case("run_shift_24", "run", {
  set.seed(2002)
  round(c(rnorm(12, 10, 1), rnorm(12, 12.5, 1)), 1)
}, note = "Shift half-way: long run and/or few crossings.")
add_qic_case("run_points_on_median", "run",
  c(5, 7, 6, 6, 4, 8, 6, 3, 6, 9, 6, 5, 7, 6, 2, 6, 8, 4),
  note = "Median 6 with 7 points exactly on it: they are dropped from the runs analysis (n_useful 11)."
)
add_qic_case("run_points_on_median_long_run", "run",
  c(3, 4, 3, 9, 5, 8, 5, 9, 10, 5, 8, 9, 7, 8, 5, 9, 6, 2, 3, 1, 4),
  note = "Points on the median inside a run neither break nor extend it."
)
add_qic_case("run_few_crossings_wave", "run",
  round(10 + 3 * sin(seq(0, 4 * pi, length.out = 30)), 2),
  note = "Slow wave: few crossings."
)
add_qic_case("run_alternating", "run",
  rep(c(4, 6), 10),
  note = "Alternating: 19 crossings, longest run 1, no signal."
)
add_qic_case("run_trend_up_16", "run",
  c(1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16),
  note = "Monotone: two runs of 8, 1 crossing."
)
add_qic_case("run_n10", "run", c(3, 5, 4, 6, 2, 7, 5, 3, 6, 4),
  note = "n_useful 10 (even): median 4.5."
)
add_qic_case("run_long_run_equal_to_max", "run",
  c(3, 2, 4, 5, 3, 1, 2, 3, 8, 9, 2, 5, 7, 8, 1, 9, 6, 5, 5),
  note = paste(
    "Median 5 (4 points on it, dropped): n_useful 15, longest run 7 = round(log2(15)) + 3 = 7 -> not a",
    "signal (must exceed); 5 crossings >= 4 -> no signal."
  )
)
add_qic_case("run_long_run_8", "run",
  c(3, 2, 4, 5, 3, 1, 2, 3, 4, 8, 9, 2, 5, 7, 8, 1, 9, 6, 5, 5, 5),
  note = "Median 5 (5 points on it): n_useful 16, longest run 8 > 7 -> long_run; 5 crossings >= 4."
)
add_qic_case("run_with_missing", "run",
  c(12, 15, NA, 11, 14, 16, 9, NA, 13, 17, 12, 10, 14, 15, 11, 13),
  note = "Missing values are ignored (median with na.rm; dropped from runs)."
)
add_qic_case("run_integer_counts_40", "run", {
  set.seed(2012)
  as.numeric(rpois(40, 4))
}, note = "Integer counts with many ties at the median.")
add_qic_case("run_long_60", "run", {
  set.seed(2013)
  round(c(rnorm(30, 50, 5), rnorm(30, 54, 5)), 1)
}, note = "60 points, moderate shift: long run; crossings 23 = minimum 23 -> not few (boundary).")
add_qic_case("run_freeze_15", "run", {
  set.seed(2014)
  round(c(rnorm(15, 20, 2), rnorm(15, 23, 2)), 1)
}, baseline = 15, note = paste(
  "freeze = 15: the median comes from the first 15 points, but qicharts2's runs analysis",
  "(longest run, crossings, n_useful) uses ALL points of the period against that median."
))
add_qic_case("run_negative_36", "run", {
  set.seed(2015)
  round(rnorm(36, -2, 1.5), 2)
}, note = "Negative values, n 36.")

# ------------------------------ attribute charts ------------------------------
mk_den <- function(n, lo, hi) as.numeric(sample(lo:hi, n, replace = TRUE))

# p charts
set.seed(3001)
den <- mk_den(24, 80, 160)
num <- rbinom(24, den, 0.2)
add_qic_case("p_varying_den", "p", num, den, note = "p chart, varying denominators 80-160.")
set.seed(3002)
den <- mk_den(20, 5, 30)
num <- rbinom(20, den, 0.08)
add_qic_case("p_small_den_lcl_clamped", "p", num, den, note = "Small denominators: LCL (and LCL 2-sigma) clamped at 0.")
set.seed(3003)
den <- mk_den(18, 4, 15)
num <- rbinom(18, den, 0.9)
add_qic_case("p_high_p_ucl_clamped", "p", num, den, note = "p near 1 with small denominators: UCL clamped at 1.")
set.seed(3004)
den <- mk_den(30, 200, 400)
num <- c(rbinom(15, den[1:15], 0.3), rbinom(15, den[16:30], 0.36))
add_qic_case("p_freeze_15", "p", num, den, baseline = 15, note = "Centre from the first 15 subgroups (sum num / sum den), limits for all.")
add_qic_case("p_part_15", "p", num, den, rebase = 15, note = "part = 15: two periods, each with its own centre.")
set.seed(3005)
den <- mk_den(12, 1000, 3000)
num <- rbinom(12, den, 0.05)
add_qic_case("p_large_den", "p", num, den, note = "Large denominators, narrow limits.")

# u charts
set.seed(3101)
den <- round(runif(24, 20, 60), 1)
num <- rpois(24, den * 0.4)
add_qic_case("u_varying_den", "u", num, den, note = "u chart, non-integer exposure denominators.")
set.seed(3102)
den <- mk_den(20, 1, 6)
num <- rpois(20, den * 0.5)
add_qic_case("u_small_den_lcl_clamped", "u", num, den, note = "Small exposures: LCL clamped at 0.")
set.seed(3103)
den <- mk_den(30, 50, 120)
num <- c(rpois(15, den[1:15] * 2), rpois(15, den[16:30] * 1.6))
add_qic_case("u_freeze_15", "u", num, den, baseline = 15)
add_qic_case("u_part_15", "u", num, den, rebase = 15)
set.seed(3104)
den <- mk_den(40, 10, 30)
num <- rpois(40, den * 1.1)
add_qic_case("u_part_two", "u", num, den, rebase = c(13, 27), note = "Two part boundaries.")

# c charts
set.seed(3201)
add_qic_case("c_counts", "c", as.numeric(rpois(24, 12)), note = "c chart.")
set.seed(3202)
add_qic_case("c_small_mean_lcl_clamped", "c", as.numeric(rpois(20, 2)), note = "Small mean: LCL clamped at 0.")
set.seed(3203)
cc <- as.numeric(c(rpois(15, 20), rpois(15, 28)))
add_qic_case("c_freeze_15", "c", cc, baseline = 15)
add_qic_case("c_part_15", "c", cc, rebase = 15)
add_qic_case("c_with_spike", "c", c(8, 11, 9, 10, 7, 12, 9, 30, 10, 8, 11, 9), note = "A spike above the UCL.")

# Laney p' charts (pp)
set.seed(3301)
den <- mk_den(24, 2000, 5000)
num <- rbinom(24, den, plogis(rnorm(24, qlogis(0.1), 0.15)))
add_qic_case("pp_overdispersed", "pp", num, den, note = "Large denominators with between-subgroup variation: sigma_z > 1, limits wider than p.")
set.seed(3302)
den <- mk_den(20, 100, 300)
num <- rbinom(20, den, 0.15)
add_qic_case("pp_binomial", "pp", num, den, note = "Binomial data: sigma_z near 1.")
set.seed(3303)
den <- mk_den(30, 1000, 3000)
num <- c(
  rbinom(15, den[1:15], plogis(rnorm(15, qlogis(0.2), 0.1))),
  rbinom(15, den[16:30], plogis(rnorm(15, qlogis(0.25), 0.1)))
)
add_qic_case("pp_freeze_15", "pp", num, den, baseline = 15, note = "freeze: centre and sigma_z from the first 15 subgroups.")
add_qic_case("pp_part_15", "pp", num, den, rebase = 15, note = "part: centre and sigma_z per period.")
set.seed(3304)
den <- mk_den(16, 5000, 9000)
num <- rbinom(16, den, plogis(rnorm(16, qlogis(0.03), 0.2)))
num[9] <- round(den[9] * 0.08)
add_qic_case("pp_with_outlier", "pp", num, den, note = "One outlying subgroup inflates two z moving ranges (unscreened).")
set.seed(3305)
den <- mk_den(14, 20, 60)
num <- rbinom(14, den, 0.85)
add_qic_case("pp_high_p_clamp", "pp", num, den, note = "High proportion: UCL may clamp at 1.")

# Laney u' charts (up)
set.seed(3401)
den <- round(runif(24, 500, 1500), 1)
num <- rpois(24, den * 0.05 * exp(rnorm(24, 0, 0.2)))
add_qic_case("up_overdispersed", "up", num, den, note = "Large exposures with between-subgroup variation.")
set.seed(3402)
den <- mk_den(20, 20, 80)
num <- rpois(20, den * 0.3)
add_qic_case("up_poisson", "up", num, den, note = "Poisson data: sigma_z near 1.")
set.seed(3403)
den <- mk_den(30, 800, 1600)
num <- c(rpois(15, den[1:15] * 0.1 * exp(rnorm(15, 0, 0.15))), rpois(15, den[16:30] * 0.13 * exp(rnorm(15, 0, 0.15))))
add_qic_case("up_freeze_15", "up", num, den, baseline = 15)
add_qic_case("up_part_15", "up", num, den, rebase = 15)
set.seed(3404)
den <- mk_den(18, 2, 8)
num <- rpois(18, den * 0.4)
add_qic_case("up_small_den_lcl_clamped", "up", num, den, note = "Small exposures: LCL clamped at 0.")
set.seed(3405)
den <- mk_den(16, 3000, 6000)
num <- rpois(16, den * 0.02 * exp(rnorm(16, 0, 0.2)))
num[5] <- round(den[5] * 0.06)
add_qic_case("up_with_outlier", "up", num, den, note = "One outlying subgroup (unscreened z moving ranges).")
