"""Qt views of the quiver editor (model.py, summary.py and layout.py are Qt-free)."""
