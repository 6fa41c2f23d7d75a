"""Quiver editor plugin."""
