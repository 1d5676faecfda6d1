# Run qicharts2 0.8.1 qic() on one series and map its output to Spiral's Analysis.to_dict() names.
# qicharts2 is used via qicharts2::qic() WITHOUT library(qicharts2): its .onAttach sets
# options(qic.screenedmr = TRUE), which would screen the Laney (p'/u') moving ranges.
# docs/reference/spc.md §9.13: Spiral does not screen them by default, so the option is set to FALSE
# explicitly here; screened figures
# are added as `expected_if_mr_screened` where they differ (information only).

run_qic <- function(values, chart, denominators = NULL, baseline = NULL, rebase = NULL,
                    screened = FALSE) {
  old <- options(qic.screenedmr = screened)
  on.exit(options(old))
  xx <- seq_along(values) # numeric x: with factor/character x qicharts2 uses sd(z) for Laney
  yy <- as.numeric(values)
  nn <- if (is.null(denominators)) NULL else as.numeric(denominators)
  pp <- if (is.null(rebase)) NULL else as.integer(rebase) # part = k: split after k points = 0-based k
  r <- qicharts2::qic(
    x = xx, y = yy, n = nn, chart = chart, freeze = baseline, part = pp,
    return.data = TRUE
  )
  stopifnot(nrow(r) == length(values), all(r$x == xx))
  r
}

qic_chart_name <- c(run = "run", p = "p", u = "u", c = "c", pp = "pprime", up = "uprime")

qic_cases <- list()

add_qic_case <- function(name, chart, values, denominators = NULL, baseline = NULL, rebase = NULL,
                         note = "") {
  r <- run_qic(values, chart, denominators, baseline, rebase)
  if (chart == "run") {
    # runs analysis: one set of values per part; this helper is only used with a single part
    stopifnot(length(unique(r$part)) == 1)
    lr <- r$longest.run[1]
    lrm <- r$longest.run.max[1]
    cr <- r$n.crossings[1]
    crm <- r$n.crossings.min[1]
    long_run <- lr > lrm
    few_cross <- cr < crm
    stopifnot(identical(r$runs.signal[1], long_run || few_cross))
    expected <- list(
      centre = na_to_null_vec(r$cl),
      lcl = na_to_null_vec(r$lcl),
      ucl = na_to_null_vec(r$ucl),
      long_run = sc(long_run),
      few_crossings = sc(few_cross),
      longest_run = sc(lr),
      longest_run_max = sc(lrm),
      crossings = sc(cr),
      crossings_min = sc(crm)
    )
    detail <- list(n_useful = sc(r$n.useful[1]), runs_signal = sc(r$runs.signal[1]))
  } else {
    expected <- list(
      centre = na_to_null_vec(r$cl),
      lcl = na_to_null_vec(r$lcl),
      ucl = na_to_null_vec(r$ucl),
      upper_two_sigma = na_to_null_vec(r$ucl.95),
      lower_two_sigma = na_to_null_vec(r$lcl.95)
    )
    detail <- list(sigma_signal = r$sigma.signal)
  }
  src <- paste0("qicharts2 0.8.1 qic(chart = '", chart, "'")
  if (!is.null(baseline)) src <- paste0(src, ", freeze = ", baseline)
  if (!is.null(rebase)) src <- paste0(src, ", part = c(", paste(rebase, collapse = ", "), ")")
  src <- paste0(src, ")")
  case <- list(
    name = sc(name),
    source = sc(src),
    args = spiral_args(values, unname(qic_chart_name[chart]),
      improvement = "increase", target = NULL, baseline = baseline, rebase = rebase,
      denominators = if (chart %in% c("p", "u", "pp", "up")) denominators else NULL
    ),
    expected = expected,
    note = sc(note),
    r_detail = detail
  )
  if (chart %in% c("pp", "up")) {
    r2 <- run_qic(values, chart, denominators, baseline, rebase, screened = TRUE)
    if (!identical(r2$ucl, r$ucl) || !identical(r2$lcl, r$lcl)) {
      case$expected_if_mr_screened <- list(
        centre = na_to_null_vec(r2$cl), lcl = na_to_null_vec(r2$lcl), ucl = na_to_null_vec(r2$ucl),
        upper_two_sigma = na_to_null_vec(r2$ucl.95), lower_two_sigma = na_to_null_vec(r2$lcl.95)
      )
      case$note <- sc(paste0(
        note, if (nzchar(note)) " " else "",
        "Screening the z moving ranges (qicharts2 after library(qicharts2)) would change the limits:",
        " see expected_if_mr_screened (not Spiral's convention)."
      ))
    }
  }
  qic_cases[[length(qic_cases) + 1]] <<- case
  invisible(r)
}
