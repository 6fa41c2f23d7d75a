"""Representation similarity plugin."""
