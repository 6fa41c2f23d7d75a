"""Diffusion prompt intrinsic-dimension plugin (arXiv 2302.09301, Kvinge, Brown and Godfrey 2023)."""
