"""Qt views of the diffusion intrinsic-dimension panel (no science here)."""
