"""Qt views of the Representation similarity panel (no science here)."""
