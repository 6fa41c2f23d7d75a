"""Qt-free core of the Quiver editor plugin."""
