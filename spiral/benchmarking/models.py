"""Benchmarking keeps no tables of its own: funnel plots, distributions and gaps are derived on request
from measurement's observations (docs/adr/0005-benchmarking-app.md)."""
