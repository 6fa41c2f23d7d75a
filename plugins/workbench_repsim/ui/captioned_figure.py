"""A figure whose exports carry their context: a caption band above the plot (models, measure,
n, pooling, ...) drawn into PNG, SVG and PDF alike, so an exported file stands alone; the
shell's captioned figure with the caption broken between its "; "-separated parts (a model
name is never cut in two)."""

from __future__ import annotations

from dataclasses import dataclass

from workbench.gui.captioned import CaptionedFigure as _Captioned


@dataclass
class CaptionedFigure(_Captioned):
    """:class:`workbench.gui.captioned.CaptionedFigure` with ``break_at_parts`` on."""

    break_at_parts: bool = True
