"""Improvement projects: aim, team, driver diagram, change ideas, PDSA cycles, measures, progress."""
