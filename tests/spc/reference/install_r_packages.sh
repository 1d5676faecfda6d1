#!/usr/bin/env bash
# Install NHSRplotthedots 0.2.2 and qicharts2 0.8.1 from extracted source trees into a
# private R library, applying the small NON-statistical adjustments documented in README.md.
#
# usage: install_r_packages.sh PTD_SRC_DIR QICHARTS2_SRC_DIR [RLIB]
#   PTD_SRC_DIR       NHSRplotthedots source at tag 0.2.2
#   QICHARTS2_SRC_DIR qicharts2 source at commit a269fd0 ("Prepare release.", Version 0.8.1)
#   RLIB              target library (default /tmp/rlib)
# Needs Debian packages: r-base-core r-cran-dplyr r-cran-ggplot2 r-cran-rlang r-cran-scales
#   r-cran-tidyr r-cran-purrr r-cran-assertthat r-cran-jsonlite r-cran-plotly r-cran-rsvg
#   r-cran-base64enc r-cran-crayon r-cran-stringr r-cran-tidyselect r-cran-magrittr
set -euo pipefail
PTD_SRC=$1
QIC_SRC=$2
RLIB=${3:-/tmp/rlib}
BUILD=$(mktemp -d /tmp/spc_ref_build.XXXXXX)
mkdir -p "$RLIB"

cp -r "$PTD_SRC" "$BUILD/NHSRplotthedots"
cp -r "$QIC_SRC" "$BUILD/qicharts2"

# --- NHSRplotthedots: Debian bookworm ships dplyr 1.0.10; the package uses two dplyr >= 1.1 APIs.
P=$BUILD/NHSRplotthedots/R
# (1) case_when(..., .default = X)  ->  case_when(..., TRUE ~ X)   (identical semantics)
sed -i -E 's/^( *)\.default = (.*)$/\1TRUE ~ \2/' "$P/ptd_calculate_point_type.R"
grep -q '\.default' "$P/ptd_calculate_point_type.R" && { echo ".default left"; exit 1; }
# (2) dplyr::case_match (icon file lookup only) -> a small local shim with the same semantics
sed -i 's/dplyr::case_match(/ptd_case_match_shim(/' "$P/geom_ptd_icon.R"
cat > "$P/zzz_case_match_shim.R" <<'SHIM'
# Spiral reference build: stand-in for dplyr::case_match (dplyr >= 1.1), used only to pick icon
# file names. First matching formula wins; unmatched values give NA, as in dplyr.
ptd_case_match_shim <- function(.x, ...) {
  out <- rep(NA_character_, length(.x))
  done <- rep(FALSE, length(.x))
  for (f in list(...)) {
    env <- rlang::f_env(f)
    lhs <- eval(rlang::f_lhs(f), env)
    rhs <- eval(rlang::f_rhs(f), env)
    hit <- !done & .x %in% lhs
    out[hit] <- rhs
    done <- done | hit
  }
  out
}
SHIM

# (3) NAMESPACE imports dplyr::pick (dplyr >= 1.1) but no code calls it: drop that import line
sed -i '/^importFrom(dplyr,pick)$/d' "$BUILD/NHSRplotthedots/NAMESPACE"
grep -rn 'pick(' "$P" && { echo "pick() is used"; exit 1; }

R CMD INSTALL --no-docs --no-html --library="$RLIB" "$BUILD/NHSRplotthedots"
R CMD INSTALL --no-docs --no-html --library="$RLIB" "$BUILD/qicharts2"
echo "installed into $RLIB (build dir $BUILD)"
