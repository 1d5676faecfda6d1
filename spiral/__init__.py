"""Spiral: an open-source improvement system for health and social care."""

__version__ = "0.1.0"
