"""Qt-free core of the micrograph editing plugin."""
