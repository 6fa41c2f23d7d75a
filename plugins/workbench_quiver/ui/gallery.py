"""Gallery of standard quivers: Dynkin, affine, elliptic and exceptional mutation-finite types,
and Keller's "New quiver" families (triangle quivers, Grassmannian quivers Gr(k, n)).

Each family is shown with a thumbnail; the size parameter(s) are chosen with spin boxes and
the quiver comes from :func:`workbench_quiver.core.standard.standard_quiver`.  The chosen
family's name in SageMath's notation is shown beside it, and a Sage type typed or picked in the
"Sage type" box (``['D', 5, 1]``, ``['E', 6, [1, 1]]``, ``['T', [3, 3, 4]]``, ...) loads its
quiver (:mod:`workbench_quiver.core.sage_types`; bad input is answered below the box).
"""

from __future__ import annotations

from dataclasses import dataclass

from PySide6.QtCore import QSize, Qt, QTimer, Signal
from PySide6.QtGui import QIcon
from PySide6.QtWidgets import (
    QComboBox,
    QFormLayout,
    QHBoxLayout,
    QLabel,
    QListWidget,
    QListWidgetItem,
    QPushButton,
    QSpinBox,
    QVBoxLayout,
    QWidget,
)


@dataclass(frozen=True)
class Family:
    """A family of standard quivers.  ``template`` uses ``{n}`` (and ``{q}`` for A~ and Gr).

    ``n_name`` / ``q_name`` label the two spin boxes; ``ordered``: the two parameters are
    written larger first (A~(p, q), p >= q), so they are swapped when q > n.  ``group`` names
    the gallery section ("" for the mutation-finite types).
    """

    name: str
    template: str
    n_min: int = 0  # 0: no parameter
    n_default: int = 0
    q_min: int = 0
    q_default: int = 0
    n_max: int = 60
    note: str = ""
    n_name: str = "n / p"
    q_name: str = "q"
    ordered: bool = False
    group: str = ""


FAMILIES: tuple[Family, ...] = (
    Family("A\u2099", "A{n}", 1, 5, note="n vertices, linear"),
    Family("D\u2099", "D{n}", 4, 6, note="n vertices"),
    Family("E\u2086", "E6"),
    Family("E\u2087", "E7"),
    Family("E\u2088", "E8"),
    Family("\u00c3(p,q)", "A~{n},{q}", 1, 3, 1, 2, note="p + q vertices, p \u2265 q, non-oriented cycle", ordered=True),
    Family("D\u0303\u2099", "D~{n}", 4, 6, note="n + 1 vertices"),
    Family("\u1ebc\u2086", "E~6"),
    Family("\u1ebc\u2087", "E~7"),
    Family("\u1ebc\u2088", "E~8"),
    Family("E\u2086^(1,1)", "E6^(1,1)", note="elliptic"),
    Family("E\u2087^(1,1)", "E7^(1,1)", note="elliptic"),
    Family("E\u2088^(1,1)", "E8^(1,1)", note="elliptic"),
    Family("X\u2086", "X6", note="Derksen-Owen exceptional"),
    Family("X\u2087", "X7", note="Derksen-Owen exceptional"),
    Family(
        "Triangle (side s)",
        "Tri{n}",
        2,
        4,
        n_max=12,
        note="Keller's New quiver: s(s+1)/2 vertices, every small triangle oriented; "
        "s = 3: D\u2086, s = 4: E\u2088^(1,1), s \u2265 5: mutation-infinite",
        n_name="side s",
        group="Keller families",
    ),
    Family(
        "Grassmannian Gr(k,n)",
        "Gr({q},{n})",
        4,
        7,
        2,
        3,
        n_max=30,
        note="Keller's New quiver: rectangles seed of Gr(k, n) (Scott 2006), (k-1)(n-k-1) mutable "
        "and n frozen vertices; Gr(2,n): A\u2099\u208b\u2083, Gr(3,6): D\u2084, Gr(3,7): E\u2086, Gr(3,8): E\u2088",
        n_name="n",
        q_name="k",
        group="Keller families",
    ),
)


#: Sage types offered in the "Sage type" box (any other can be typed)
SAGE_SAMPLES = (
    "['A', 5]",
    "['D', 6]",
    "['E', 8]",
    "['A', [2, 3], 1]",
    "['D', 5, 1]",
    "['E', 6, 1]",
    "['E', 6, [1, 1]]",
    "['X', 7]",
    "['TR', 5]",
    "['GR', [3, 10]]",
    "['T', [3, 3, 4]]",
    "['E', 10]",
    "[['A', 2], ['D', 4]]",
)


def family_label(fam: Family, n: int = 0, q: int = 0) -> str:
    """The type label of a family member, e.g. ``A5``, ``A~3,2``, ``D~6``."""
    return fam.template.format(n=n or fam.n_default, q=q or fam.q_default)


class GalleryView(QWidget):
    """Choose a family and its size; :attr:`chosen` emits the label (e.g. ``"D~6"``)."""

    chosen = Signal(str)

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.list = QListWidget()
        self.list.setObjectName("quiver-gallery")
        self.list.setViewMode(QListWidget.ViewMode.IconMode)
        self.list.setIconSize(QSize(104, 72))
        self.list.setGridSize(QSize(124, 104))
        self.list.setResizeMode(QListWidget.ResizeMode.Adjust)
        self.list.setMovement(QListWidget.Movement.Static)
        self.list.setWordWrap(True)
        self.n_spin = QSpinBox()
        self.q_spin = QSpinBox()
        self.note = QLabel()
        self.note.setWordWrap(True)
        self.load_button = QPushButton("Load")
        self.load_button.setToolTip("Replace the quiver on the canvas (undo brings it back)")
        self.load_button.clicked.connect(self._load)
        self.list.itemDoubleClicked.connect(lambda _i: self._load())
        self.list.currentRowChanged.connect(self._family_changed)
        form = QFormLayout()
        self.n_name = QLabel("n / p")
        self.q_name = QLabel("q")
        form.addRow(self.n_name, self.n_spin)
        form.addRow(self.q_name, self.q_spin)
        self.sage_box = QComboBox()
        self.sage_box.setObjectName("quiver-gallery-sage")
        self.sage_box.setEditable(True)
        self.sage_box.addItems(SAGE_SAMPLES)
        self.sage_box.setCurrentIndex(-1)
        self.sage_box.lineEdit().setPlaceholderText("Sage type, e.g. ['D', 5, 1]")
        self.sage_box.setToolTip(
            "A mutation type in SageMath's notation (as QuiverMutationType prints it), typed or picked: "
            "['A', n], ['D', n], ['E', 6..8], ['A', [p, q], 1], ['D', n, 1], ['E', 6..8, 1], "
            "['E', 6..8, [1, 1]], ['X', 6|7], ['TR', n], ['GR', [k, n]], ['T', [r, p, q]], ['R2', [b, b]], "
            "['E', n]; Enter or Load Sage loads it"
        )
        self.sage_box.setInsertPolicy(QComboBox.InsertPolicy.NoInsert)
        self.sage_box.textActivated.connect(lambda _t: self.load_sage())  # picked, or Enter typed
        self.sage_button = QPushButton("Load Sage")
        self.sage_button.setToolTip("Replace the quiver on the canvas by the Sage type's (undo brings it back)")
        self.sage_button.clicked.connect(self.load_sage)
        self.sage_message = QLabel("")
        self.sage_message.setObjectName("quiver-gallery-sage-message")
        self.sage_message.setWordWrap(True)
        self.n_spin.valueChanged.connect(lambda _v: self._show_note())
        self.q_spin.valueChanged.connect(lambda _v: self._show_note())
        lay = QVBoxLayout(self)
        lay.setContentsMargins(4, 4, 4, 4)
        lay.addWidget(self.list, 1)
        lay.addWidget(self.note)
        row = QHBoxLayout()
        row.addLayout(form, 1)
        row.addWidget(self.load_button, 0, Qt.AlignmentFlag.AlignBottom)
        lay.addLayout(row)
        sage_row = QHBoxLayout()
        sage_row.addWidget(QLabel("Sage type"))
        sage_row.addWidget(self.sage_box, 1)
        sage_row.addWidget(self.sage_button)
        lay.addLayout(sage_row)
        lay.addWidget(self.sage_message)
        for fam in FAMILIES:
            item = QListWidgetItem(fam.name)
            tip = fam.template.replace("{n}", fam.n_name.split()[-1]).replace("{q}", fam.q_name.split()[-1])
            item.setToolTip(f"{fam.group}: {tip}" if fam.group else tip)
            self.list.addItem(item)
        self._thumbs_done = False
        self._thumb_rows: list[int] = []  # rows whose thumbnail is still to draw
        self._thumb_timer = QTimer(self)
        self._thumb_timer.setSingleShot(True)
        self._thumb_timer.setInterval(1)  # a timer, not a call posted into the same turn
        self._thumb_timer.timeout.connect(self._next_thumbnail)
        self.list.setCurrentRow(6)

    def showEvent(self, event) -> None:
        super().showEvent(event)
        self.make_thumbnails()

    def make_thumbnails(self, at_once: bool = False) -> None:
        """Draw the family thumbnails (once; standard quivers at their default size), one per
        event-loop turn unless ``at_once`` (17 of them: 60 ms of painting alone, more on a busy
        machine).  Their layouts are cached (:func:`.layout.standard_layout`), and computed
        ahead of the panel, off the GUI thread."""
        if self._thumbs_done:
            return
        self._thumbs_done = True
        self._thumb_rows = list(range(len(FAMILIES)))
        if at_once:
            while self._thumb_rows:
                self._next_thumbnail()
        elif not self._thumb_timer.isActive():
            self._thumb_timer.start()

    def thumbnails_pending(self) -> bool:
        """Whether thumbnails are still being drawn (one per turn)."""
        return bool(self._thumb_rows)

    def _next_thumbnail(self) -> None:
        from workbench_quiver.ui.layout import standard_layout
        from workbench_quiver.ui.thumbnail import quiver_pixmap

        if not self._thumb_rows:
            return
        row = self._thumb_rows.pop(0)
        try:
            m, pos, frozen = standard_layout(family_label(FAMILIES[row]))
            self.list.item(row).setIcon(QIcon(quiver_pixmap(m, list(pos), list(frozen), width=104, height=72)))
        except Exception:  # noqa: BLE001 - a missing thumbnail must not break the gallery
            pass
        if self._thumb_rows:
            self._thumb_timer.start()

    def restyle(self) -> None:
        """Draw the thumbnails again with the drawing colours now (a theme switch)."""
        self._thumbs_done = False
        if self.isVisible():
            self.make_thumbnails()

    def current_family(self) -> Family:
        return FAMILIES[max(0, self.list.currentRow())]

    def _family_changed(self, row: int) -> None:
        fam = FAMILIES[max(0, row)]
        self.n_spin.setEnabled(fam.n_min > 0)
        self.q_spin.setEnabled(fam.q_min > 0)
        self.n_name.setText(fam.n_name)
        self.q_name.setText(fam.q_name)
        if fam.n_min:
            self.n_spin.setRange(fam.n_min, fam.n_max)
            self.n_spin.setValue(fam.n_default)
        if fam.q_min:
            self.q_spin.setRange(fam.q_min, fam.n_max)
            self.q_spin.setValue(fam.q_default)
        self._show_note()

    def _show_note(self) -> None:
        """The family's note and the chosen member's name in Sage's notation."""
        from workbench_quiver.core.sage_types import sage_name

        fam = self.current_family()
        text = f"<b>{fam.name}</b>: {fam.note}" if fam.note else f"<b>{fam.name}</b>"
        try:
            text += f"<br>Sage: <code>{sage_name(self.current_label())}</code>"
        except ValueError:
            pass  # a size this family does not have (the Load button says so)
        self.note.setText(text)

    def sage_text(self) -> str:
        return self.sage_box.currentText().strip()

    def load_sage(self) -> bool:
        """Load the Sage type in the box: :attr:`chosen` emits this workbench's label where the type
        has one (so the family's drawing is used), else the Sage name; a message says what is wrong
        otherwise (nothing is loaded)."""
        from workbench_quiver.core.sage_types import parse_sage_type

        text = self.sage_text()
        try:
            t = parse_sage_type(text)
            t.matrix()  # sizes beyond a family's limits are refused here, before the canvas changes
        except ValueError as exc:
            self.sage_message.setText(str(exc))
            return False
        label = t.label or str(t)
        self.sage_message.setText(f"{t}: {t.n_vertices} vertices" + (f" (type {t.label})" if t.label else ""))
        self.chosen.emit(label)
        return True

    def current_label(self) -> str:
        fam = self.current_family()
        n = self.n_spin.value() if fam.n_min else 0
        q = self.q_spin.value() if fam.q_min else 0
        if fam.ordered and q > n:  # A~(p, q) is written with p >= q
            n, q = q, n
        return family_label(fam, n, q)

    def _load(self) -> None:
        self.chosen.emit(self.current_label())
