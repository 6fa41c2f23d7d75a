"""Micrograph editing plugin: adapt SEM micrograph classifiers to distribution shift by model editing."""
