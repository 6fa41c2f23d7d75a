"""Thin Qt views of the micrograph editing panel (no science here)."""
