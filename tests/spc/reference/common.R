# Shared helpers for the Spiral SPC reference scripts (see README.md).
# A tiny JSON writer: jsonlite (1.8.4 in Debian bookworm) prints at most 15 significant digits,
# which does not round-trip doubles, so numbers are written here with "%.17g" (exact).

sc <- function(x) structure(list(x), class = "json_scalar") # mark a scalar (never an array)

json_atom <- function(v) {
  if (is.null(v) || length(v) == 0 || is.na(v)) return("null")
  if (is.logical(v)) return(if (v) "true" else "false")
  if (is.character(v)) return(as.character(jsonlite::toJSON(v, auto_unbox = TRUE)))
  if (is.numeric(v)) {
    if (!is.finite(v)) return("null")
    if (v == round(v) && abs(v) < 1e15) return(sprintf("%.0f", v))
    return(sprintf("%.17g", v))
  }
  stop("unsupported atom: ", class(v))
}

to_json <- function(x, ind = "") {
  nxt <- paste0(ind, "  ")
  if (is.null(x)) return("null")
  if (inherits(x, "json_scalar")) return(json_atom(unclass(x)[[1]]))
  if (is.list(x)) {
    if (length(x) == 0) return(if (is.null(names(x))) "[]" else "{}")
    if (!is.null(names(x))) {
      items <- vapply(seq_along(x), function(i) {
        paste0(nxt, json_atom(names(x)[i]), ": ", to_json(x[[i]], nxt))
      }, "")
      return(paste0("{\n", paste(items, collapse = ",\n"), "\n", ind, "}"))
    }
    items <- vapply(x, function(e) paste0(nxt, to_json(e, nxt)), "")
    return(paste0("[\n", paste(items, collapse = ",\n"), "\n", ind, "]"))
  }
  # atomic vector -> one-line array
  paste0("[", paste(vapply(seq_along(x), function(i) json_atom(x[[i]]), ""), collapse = ", "), "]")
}

write_json_file <- function(x, path) {
  writeLines(to_json(x), path, useBytes = TRUE)
  message("wrote ", path, " (", length(x), " cases)")
}

na_to_null_vec <- function(x) {
  x <- as.numeric(x)
  x[!is.finite(x)] <- NA
  x
}

# arguments for spiral.spc.analyse(values, *, chart, improvement, target, baseline, rebase, denominators)
spiral_args <- function(values, chart, improvement = NULL, target = NULL, baseline = NULL,
                        rebase = NULL, denominators = NULL) {
  list(
    values = as.numeric(values),
    chart = sc(chart),
    improvement = if (is.null(improvement)) NULL else sc(improvement),
    target = if (is.null(target)) NULL else sc(target),
    baseline = if (is.null(baseline)) NULL else sc(baseline),
    rebase = if (is.null(rebase)) NULL else lapply(as.numeric(rebase), sc),
    denominators = if (is.null(denominators)) NULL else as.numeric(denominators)
  )
}
