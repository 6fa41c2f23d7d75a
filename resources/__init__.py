"""Shipped resources (icons, example files, model weights with provenance JSON).

Installed as the package ``workbench_resources``; use :func:`resource_path`."""

from __future__ import annotations

from pathlib import Path


def resource_path(*parts: str) -> Path:
    """Absolute path of a file under resources/ (it may not exist; callers check)."""
    return Path(__file__).resolve().parent.joinpath(*parts)
