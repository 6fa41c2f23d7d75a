"""Qt-free core of the Representation similarity plugin."""
