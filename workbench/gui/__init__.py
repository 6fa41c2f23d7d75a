"""Qt views of the shell (PySide6).  Everything here may import Qt; nothing outside may."""
