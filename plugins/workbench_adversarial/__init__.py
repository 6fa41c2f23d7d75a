"""PGD attack explorer plugin."""
