"""Measurement: measures, indicators, series, observations, imports, SPC charts and the measures page."""
