"""Quiver figures whose exports stand alone: a caption band above the drawing (the quiver's
type, n, the B-matrix's size; the explanation method; the explorer's data and layer ...)
painted into PNG, SVG and PDF alike, and the same caption in the figure's data file.

The band takes the figure's own background (white for the canvas, which is always exported
in its light colours; the plot's background for pyqtgraph plots, which follow the theme) and
a text colour that reads on it; the figure grows by the band's height.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from workbench.gui.captioned import CaptionedFigure
from workbench.gui.figures import FigureSource


def captioned(
    fig: FigureSource,
    caption: Callable[[], str],
    context: Callable[[], dict[str, Any]] | None = None,
    light_band: bool = False,
) -> CaptionedFigure:
    """``fig`` with a caption band and, in its data, ``caption``, ``title`` and ``context()``."""
    inner = fig.data

    def data() -> dict[str, Any]:
        own = inner() if inner is not None else {}
        return {"title": caption(), "caption": caption(), **(context() if context is not None else {}), **own}

    return CaptionedFigure(
        fig.name,
        widget=fig.widget,
        data=data,
        paint=fig.paint,
        render_image=fig.render_image,
        title=caption(),
        caption=caption,
        light_band=light_band,
    )
