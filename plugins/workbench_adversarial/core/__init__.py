"""Qt-free core of the PGD attack explorer plugin."""
