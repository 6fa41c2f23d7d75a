"""The settings column the round-2 panels share: their setting boxes in a vertical scroll area
that never scrolls sideways (a small window keeps every setting reachable), then the action
buttons, a progress bar and a status line pinned below it.  One place for the layout, the bar's
0..1000 scale and the status label's flags, so the panels look and behave alike."""

from __future__ import annotations

from collections.abc import Iterable

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QLabel, QLayout, QProgressBar, QScrollArea, QVBoxLayout, QWidget

#: the progress bar's scale: fractions in [0, 1] map onto 0..PROGRESS_STEPS
PROGRESS_STEPS = 1000


def progress_bar(with_text: bool = True, hidden: bool = True) -> QProgressBar:
    """A progress bar on the shared 0..1000 scale, hidden until a job shows it (unless not
    ``hidden``); ``with_text`` shows the job's message in the bar (``set_progress``), otherwise
    it is a thin bar without text."""
    bar = QProgressBar()
    bar.setRange(0, PROGRESS_STEPS)
    bar.setTextVisible(with_text)
    if with_text:
        bar.setFormat("")
    else:
        bar.setMaximumHeight(8)
    if hidden:
        bar.hide()
    return bar


def set_progress(bar: QProgressBar, fraction: float, message: str | None = None) -> None:
    """Show ``fraction`` (clamped to [0, 1]) on ``bar`` and, where given, ``message`` as its text."""
    bar.setValue(int(PROGRESS_STEPS * max(0.0, min(1.0, fraction))))
    if message is not None:
        bar.setFormat(message)


def status_label(name: str = "status", selectable: bool = True) -> QLabel:
    """An empty word-wrapped label (object name ``name``, so tests and style sheets find it) whose
    text can be selected and copied: error messages name what is wrong and users paste them."""
    label = QLabel("")
    label.setObjectName(name)
    label.setWordWrap(True)
    if selectable:
        label.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
    return label


def side_pane(
    boxes: Iterable[QWidget | QLayout],
    footer: Iterable[QWidget | QLayout] = (),
    min_width: int = 250,
) -> QWidget:
    """The settings column: ``boxes`` stacked top-down in a scroll area of at least ``min_width``
    pixels (vertical scrolling only, the rest of the column's height taken up by a stretch), and
    ``footer`` (buttons, progress bar, status) below it, always visible."""
    inner = QWidget()
    lv = QVBoxLayout(inner)
    for item in boxes:
        _add(lv, item)
    lv.addStretch(1)
    scroll = QScrollArea()
    scroll.setWidget(inner)
    scroll.setWidgetResizable(True)
    scroll.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
    scroll.setMinimumWidth(min_width)
    side = QWidget()
    sv = QVBoxLayout(side)
    sv.setContentsMargins(0, 0, 0, 0)
    sv.addWidget(scroll, 1)
    for item in footer:
        _add(sv, item)
    return side


def _add(layout: QVBoxLayout, item: QWidget | QLayout) -> None:
    if isinstance(item, QLayout):
        layout.addLayout(item)
    else:
        layout.addWidget(item)


def escape_html(text: str) -> str:
    """``text`` safe inside a rich-text label (``&``, ``<``, ``>`` escaped; quotes left)."""
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def show_message(label: QLabel, text: str, error: bool = False) -> None:
    """``text`` in ``label``, in the theme's error red when ``error`` (redraw it on a theme
    switch by calling again)."""
    from workbench.gui.theme import plot_theme

    if error:
        colour = "#ff7a6e" if plot_theme().dark else "#c0392b"
        label.setText(f"<span style='color:{colour}'>{escape_html(text)}</span>")
    else:
        label.setText(escape_html(text))
