"""Qt-free core of the Torus bundle viewer plugin."""
