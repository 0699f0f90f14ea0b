"""Crossbook connectors."""
