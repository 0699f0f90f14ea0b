"""Crossbook chain."""
