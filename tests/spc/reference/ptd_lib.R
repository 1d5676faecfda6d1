# Run NHSRplotthedots 0.2.2 ptd_spc() on one series and map its output to Spiral's
# Analysis.to_dict() names. Sourced by make_reference.R (needs common.R).

ptd_ns <- asNamespace("NHSRplotthedots")

# ptd_spc_standard() computes the two-sigma lines (nlpl/nupl) but drops them before returning.
# This copy is the package's own function with only that final column drop changed, so the
# lines come from the package's arithmetic. make_ptd_case() checks that it reproduces
# mean_col/lpl/upl of ptd_spc() bit for bit.
ptd_spc_standard_keep <- local({
  f <- ptd_ns$ptd_spc_standard
  src <- deparse(body(f), width.cutoff = 500L)
  src2 <- sub('c("mr", "nlpl", "nupl", "amr", "rebase")', 'c("mr", "amr", "rebase")', src, fixed = TRUE)
  stopifnot(sum(src != src2) == 1)
  body(f) <- parse(text = paste(src2, collapse = "\n"))[[1]]
  environment(f) <- ptd_ns
  f
})

map_point_type <- c(
  special_cause_improvement = "improvement",
  special_cause_concern = "concern",
  special_cause_neutral_high = "neutral",
  special_cause_neutral_low = "neutral",
  common_cause = "common"
)
map_variation_icon <- c(
  "common_cause.svg" = "common_cause",
  "improvement_high.svg" = "improvement_high",
  "improvement_low.svg" = "improvement_low",
  "concern_high.svg" = "concern_high",
  "concern_low.svg" = "concern_low",
  "neutral_high.svg" = "neither_high",
  "neutral_low.svg" = "neither_low"
)
map_assurance_icon <- c(
  "pass.svg" = "pass", "fail.svg" = "fail", "inconsistent.svg" = "hit_and_miss"
)
map_assurance_type <- c(
  consistent_pass = "pass", consistent_fail = "fail", inconsistent = "hit_and_miss"
)

# Returns list(ok, result | error). `rebase` are 0-based indexes; `baseline` = fix_after_n_points.
run_ptd <- function(values, improvement = "increase", target = NULL, baseline = NULL,
                    rebase = NULL, screen_outliers = TRUE) {
  n <- length(values)
  dates <- seq(as.Date("2020-01-01"), by = "month", length.out = n)
  d <- data.frame(x = dates, y = as.numeric(values))
  reb <- if (is.null(rebase)) NHSRplotthedots::ptd_rebase() else NHSRplotthedots::ptd_rebase(dates[rebase + 1])
  tgt <- if (is.null(target)) NHSRplotthedots::ptd_target() else NHSRplotthedots::ptd_target(target)
  warns <- character()
  res <- tryCatch(
    withCallingHandlers(
      NHSRplotthedots::ptd_spc(d,
        value_field = "y", date_field = "x", rebase = reb,
        fix_after_n_points = baseline, improvement_direction = improvement,
        target = tgt, screen_outliers = screen_outliers
      ),
      warning = function(w) {
        warns <<- c(warns, conditionMessage(w))
        invokeRestart("muffleWarning")
      }
    ),
    error = function(e) e
  )
  if (inherits(res, "error")) return(list(ok = FALSE, error = conditionMessage(res), warnings = warns))

  # two-sigma lines from the package's own standard calculation (see above)
  opts <- attr(res, "options")
  dd <- d
  dd$x <- ptd_ns$to_datetime(dd$x)
  dd <- ptd_ns$ptd_add_rebase_column(dd, "x", NULL, opts$rebase)
  std <- ptd_spc_standard_keep(dd, opts)
  stopifnot(
    identical(std$mean_col, res$mean_col), identical(std$lpl, res$lpl),
    identical(std$upl, res$upl), identical(std$y, res$y)
  )

  icons <- ptd_ns$ptd_get_icons(res)
  var_icon <- unname(map_variation_icon[basename(icons$icon[icons$type == "variation"])])
  ass_file <- icons$icon[icons$type == "assurance"]
  ass_icon <- if (length(ass_file)) unname(map_assurance_icon[basename(ass_file)]) else NA_character_
  # cross-check the icon against ptd_calculate_assurance_type()
  if (!is.null(target)) {
    at <- ptd_ns$ptd_calculate_assurance_type(res)$assurance_type
    stopifnot(identical(unname(map_assurance_type[at]), ass_icon) || (is.na(at) && is.na(ass_icon)))
  }
  stopifnot(!anyNA(var_icon), length(var_icon) == 1)

  expected <- list(
    centre = na_to_null_vec(res$mean_col),
    lcl = na_to_null_vec(res$lpl),
    ucl = na_to_null_vec(res$upl),
    upper_two_sigma = na_to_null_vec(std$nupl),
    lower_two_sigma = na_to_null_vec(std$nlpl),
    point_type = unname(map_point_type[res$point_type]),
    variation_icon = sc(var_icon),
    assurance_icon = if (is.na(ass_icon)) NULL else sc(ass_icon)
  )
  stopifnot(!anyNA(expected$point_type))
  list(
    ok = TRUE, expected = expected, warnings = warns,
    special_cause_type = res$special_cause_type, raw = res
  )
}

ptd_cases <- list()
ptd_failures <- list()

# Adds a case. `expect_from` lets a case record the Spiral expectation from a different
# (documented) package run, e.g. screen_outliers = FALSE for all-equal values.
add_ptd_case <- function(name, values, improvement = "increase", target = NULL, baseline = NULL,
                         rebase = NULL, note = "", screen_outliers = TRUE, source_extra = "",
                         override = NULL) {
  r <- run_ptd(values, improvement, target, baseline, rebase, screen_outliers)
  if (!r$ok) {
    ptd_failures[[length(ptd_failures) + 1]] <<- list(name = name, error = r$error)
    message("ERROR in ", name, ": ", r$error)
    return(invisible(r))
  }
  src <- "NHSRplotthedots 0.2.2 ptd_spc"
  if (!screen_outliers) src <- paste0(src, " (screen_outliers = FALSE)")
  if (nzchar(source_extra)) src <- paste(src, source_extra)
  r_values <- list()
  for (k in names(override)) { # Spiral expectation differs from the package here (see note)
    r_values[[k]] <- r$expected[[k]]
    r$expected[[k]] <- override[[k]]
  }
  ptd_cases[[length(ptd_cases) + 1]] <<- list(
    name = sc(name),
    source = sc(src),
    args = spiral_args(values, "xmr", improvement, target, baseline, rebase),
    expected = r$expected,
    note = sc(note),
    r_special_cause_type = r$special_cause_type
  )
  if (length(override)) ptd_cases[[length(ptd_cases)]]$r_package_values <<- r_values
  invisible(r)
}
