"""Crossbook engine."""
