"""Torus bundle viewer plugin."""
