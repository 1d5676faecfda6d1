"""Realistic synthetic data for the whole system: deterministic for a seed.

`build_demo(size=..., seed=...)` runs each step in STEPS (spiral.demo.builder) in order. A later
capability adds its own step module (measures, projects, feedback...) and appends it there.
"""
