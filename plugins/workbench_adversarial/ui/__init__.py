"""Qt views of the PGD attack explorer (no science here)."""
