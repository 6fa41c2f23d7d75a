"""Qt / vispy views of the bundle plugin (no science here)."""
