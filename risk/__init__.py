"""Crossbook risk."""
