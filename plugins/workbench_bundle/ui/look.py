"""Colours of the bundle panel's own widgets in the current theme, the colour-key widget, and
figures that carry their context: a title above, the view, its colour key below.

Plot and window colours come from :func:`workbench.gui.theme.plot_theme` (the palette); what
the shell's theme cannot reach itself (vispy canvases, the Chern badge, the stale banner, keys)
is coloured here and repainted by the panel on ``theme_signals().theme_changed``."""

from __future__ import annotations

from collections.abc import Callable

from PySide6.QtCore import QPointF, QRectF, QSize, Qt
from PySide6.QtGui import QColor, QFont, QFontMetricsF, QImage, QLinearGradient, QPainter, QPen
from PySide6.QtWidgets import QSizePolicy, QWidget

from workbench.gui.theme import PlotTheme, plot_theme

from .colors import ColourKey

#: badge (background, text) by sign of C, light and dark; and a stale / unknown badge
_BADGES = {
    False: {1: ("#f4b6b6", "#3a0000"), -1: ("#b6c8f4", "#00194d"), 0: ("#e6e6e6", "#1e1e1e")},
    True: {1: ("#8e3030", "#ffffff"), -1: ("#30508e", "#ffffff"), 0: ("#55555a", "#f2f2f2")},
}
_STALE_BADGE = {False: ("#dcdcdc", "#6a6a6a"), True: ("#3a3a3e", "#9a9a9e")}
BADGE_STYLE = (
    "font-size: 20pt; font-weight: bold; padding: 6px; border-radius: 6px; background: {bg}; "
    "color: {fg}; border: 2px {border} {edge};"
)


def theme() -> PlotTheme:
    return plot_theme()


def badge_style(sign: int | None, stale: bool, dark: bool | None = None) -> str:
    """Style sheet of the Chern badge: coloured by the sign of C (None: unknown), greyed with a
    dashed border when the number shown is not of the current settings."""
    dark = theme().dark if dark is None else dark
    if stale or sign is None:
        bg, fg = _STALE_BADGE[dark]
        return BADGE_STYLE.format(bg=bg, fg=fg, border="dashed" if stale else "solid", edge=fg)
    bg, fg = _BADGES[dark][int(sign)]
    return BADGE_STYLE.format(bg=bg, fg=fg, border="solid", edge=bg)


def banner_style(dark: bool | None = None) -> str:
    """A warning banner (stale results, a detached view): amber, readable in either theme."""
    dark = theme().dark if dark is None else dark
    if dark:
        return "QLabel { background: #4a3b10; color: #ffe08a; border: 1px solid #8a6d1c; padding: 4px; }"
    return "QLabel { background: #fff3cd; color: #5c4400; border: 1px solid #e0c060; padding: 4px; }"


def gl_colours(dark: bool | None = None) -> dict[str, tuple[float, float, float, float]]:
    """Colours of the vispy scenes: background, text, arrows, the bare sphere and its grid."""
    t = theme()
    dark = t.dark if dark is None else dark
    bg = t.background
    rgba = (bg.redF(), bg.greenF(), bg.blueF(), 1.0)
    if dark:
        return {
            "background": rgba,
            "text": (0.92, 0.92, 0.92, 1.0),
            "arrows": (0.9, 0.9, 0.9, 1.0),
            "sphere": (0.32, 0.32, 0.35, 1.0),
            "sphere_edges": (0.45, 0.45, 0.5, 1.0),
        }
    return {
        "background": rgba,
        "text": (0.0, 0.0, 0.0, 1.0),
        "arrows": (0.1, 0.1, 0.1, 1.0),
        "sphere": (0.92, 0.92, 0.92, 1.0),
        "sphere_edges": (0.75, 0.75, 0.75, 1.0),
    }


def _qcolor(rgba: tuple[float, ...]) -> QColor:
    return QColor.fromRgbF(*[float(min(max(c, 0.0), 1.0)) for c in rgba[:4]])


def key_height(key: ColourKey | None, font: QFont, width: float) -> float:
    """Height a key needs at ``width`` (title wrapped, bar or swatches, tick labels)."""
    if key is None:
        return 0.0
    fm = QFontMetricsF(font)
    title = fm.boundingRect(QRectF(0, 0, width, 1000), int(Qt.TextFlag.TextWordWrap), key.title).height()
    return title + fm.height() * (2.4 if key.gradient is not None else 1.4) + 4


def paint_key(painter: QPainter, rect: QRectF, key: ColourKey | None, fg: QColor) -> None:
    """Draw ``key`` into ``rect``: its title (wrapped), then a colour bar with tick labels or a
    row of swatches with their labels."""
    if key is None:
        return
    painter.save()
    painter.setPen(QPen(fg))
    fm = QFontMetricsF(painter.font())
    flags = int(Qt.TextFlag.TextWordWrap)
    title = fm.boundingRect(QRectF(0, 0, rect.width(), 1000), flags, key.title)
    painter.drawText(QRectF(rect.left(), rect.top(), rect.width(), title.height()), flags, key.title)
    y = rect.top() + title.height() + 2
    h = fm.height()
    if key.gradient is not None:
        ends = [label for pos, label in key.ticks if pos in (0.0, 1.0)] or ["-0.0"]
        margin = max(fm.horizontalAdvance(label) for label in ends) / 2 + 2
        bar = QRectF(rect.left() + margin, y, max(10.0, rect.width() - 2 * margin), h * 0.9)
        grad = QLinearGradient(bar.topLeft(), bar.topRight())
        n = len(key.gradient)
        for i in range(0, n, max(1, n // 64)):
            grad.setColorAt(i / (n - 1), _qcolor(key.gradient[i]))
        grad.setColorAt(1.0, _qcolor(key.gradient[-1]))
        painter.fillRect(bar, grad)
        painter.drawRect(bar)
        for pos, label in key.ticks:
            x = bar.left() + pos * bar.width()
            painter.drawLine(QPointF(x, bar.bottom()), QPointF(x, bar.bottom() + 3))
            w = fm.horizontalAdvance(label)
            painter.drawText(QPointF(x - w / 2, bar.bottom() + 3 + fm.ascent()), label)
    else:
        x = rect.left()
        for rgba, label in key.swatches:
            painter.fillRect(QRectF(x, y, h, h * 0.9), _qcolor(rgba))
            painter.drawRect(QRectF(x, y, h, h * 0.9))
            painter.drawText(QPointF(x + h * 1.3, y + fm.ascent() * 0.95), label)
            x += h * 2 + fm.horizontalAdvance(label)
    painter.restore()


class ColourKeyWidget(QWidget):
    """A colour bar or a key of swatches (:class:`workbench_bundle.ui.colors.ColourKey`), in the
    palette's text colour; its height follows the key's wrapped title."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.key: ColourKey | None = None
        self.setSizePolicy(QSizePolicy.Policy.Preferred, QSizePolicy.Policy.Fixed)

    def set_key(self, key: ColourKey | None) -> None:
        self.key = key
        self.setToolTip(key.title if key is not None else "")
        self.updateGeometry()
        self.setFixedHeight(int(key_height(key, self.font(), max(self.width(), 200))) + 2 if key else 0)
        self.update()

    def resizeEvent(self, event) -> None:
        super().resizeEvent(event)
        if self.key is not None:
            self.setFixedHeight(int(key_height(self.key, self.font(), max(self.width(), 200))) + 2)

    def sizeHint(self) -> QSize:
        return QSize(300, int(key_height(self.key, self.font(), 300)) + 2)

    def paintEvent(self, _event) -> None:
        painter = QPainter(self)
        painter.setRenderHint(QPainter.RenderHint.Antialiasing)
        paint_key(
            painter, QRectF(self.rect()).adjusted(2, 0, -2, 0), self.key, self.palette().color(self.foregroundRole())
        )
        painter.end()


def paint_titled(
    painter: QPainter,
    rect: QRectF,
    title: str,
    body: Callable[[QPainter, QRectF], None],
    key: ColourKey | None = None,
    footer: str = "",
    background: bool = True,
) -> None:
    """A figure that stands alone: the theme's background (unless not ``background``),
    ``title`` (wrapped, bold) at the top, ``body(painter, rect)`` in the middle, ``key`` and
    ``footer`` (wrapped) at the bottom; text in the theme's colour.  Images are drawn
    losslessly (no JPEG in PDFs)."""
    t = theme()
    painter.save()
    painter.setRenderHint(QPainter.RenderHint.LosslessImageRendering)
    painter.setRenderHint(QPainter.RenderHint.Antialiasing)
    if background:
        painter.fillRect(rect, t.background)
    font = QFont(painter.font())
    font.setPixelSize(max(10, int(min(rect.width(), rect.height()) / 45)))
    painter.setFont(font)
    pad = font.pixelSize() * 0.6
    inner = rect.adjusted(pad, pad, -pad, -pad)
    flags = int(Qt.TextFlag.TextWordWrap)
    bold = QFont(font)
    bold.setBold(True)
    fm_bold = QFontMetricsF(bold)
    fm = QFontMetricsF(font)
    th = fm_bold.boundingRect(QRectF(0, 0, inner.width(), 2000), flags, title).height() if title else 0.0
    fh = fm.boundingRect(QRectF(0, 0, inner.width(), 2000), flags, footer).height() if footer else 0.0
    kh = key_height(key, font, inner.width())
    painter.setPen(QPen(t.foreground))
    if title:
        painter.setFont(bold)
        painter.drawText(QRectF(inner.left(), inner.top(), inner.width(), th), flags, title)
        painter.setFont(font)
    body_rect = QRectF(
        inner.left(),
        inner.top() + th + (pad if title else 0),
        inner.width(),
        max(10.0, inner.height() - th - kh - fh - (pad if title else 0) - (pad if kh or fh else 0)),
    )
    body(painter, body_rect)
    y = body_rect.bottom() + pad
    if key is not None:
        paint_key(painter, QRectF(inner.left(), y, inner.width(), kh), key, t.foreground)
        y += kh
    if footer:
        painter.setPen(QPen(t.foreground))
        painter.drawText(QRectF(inner.left(), y, inner.width(), fh), flags, footer)
    painter.restore()


def gl_body(render: Callable[[int, int], QImage]) -> Callable[[QPainter, QRectF], None]:
    """A ``body`` for :func:`paint_titled` drawing an off-screen GL render: at the device's pixel
    size on an image, at twice the size on a vector device (SVG/PDF), centred and not stretched."""

    def body(painter: QPainter, rect: QRectF) -> None:
        scale = 1.0 if isinstance(painter.device(), QImage) else 2.0
        img = render(max(16, int(rect.width() * scale)), max(16, int(rect.height() * scale)))
        painter.drawImage(rect, img)

    return body
