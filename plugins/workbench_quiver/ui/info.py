"""The info side panel: live facts about the quiver on the canvas (from a
:class:`~workbench_quiver.jobs.QuiverSummary`)."""

from __future__ import annotations

from PySide6.QtCore import Qt, Signal
from PySide6.QtGui import QPalette
from PySide6.QtWidgets import (
    QCheckBox,
    QFormLayout,
    QFrame,
    QHBoxLayout,
    QLabel,
    QProgressBar,
    QPushButton,
    QSpinBox,
    QVBoxLayout,
    QWidget,
)

from workbench_quiver.jobs import QuiverSummary

_PRETTY_SUB = str.maketrans("0123456789", "\u2080\u2081\u2082\u2083\u2084\u2085\u2086\u2087\u2088\u2089")


def pretty_label(label: str) -> str:
    """``D~6`` -> ``D̃₆``, ``A~3,2`` -> ``Ã(3,2)``, ``E6^(1,1)`` -> ``E₆⁽¹'¹⁾``."""
    if label in ("infinite", "unknown", "empty", "") or label.startswith(("Tri", "Gr", "[")):
        return label  # Keller family labels (Tri4, Gr(3,7)) and Sage's names are shown as written
    if label.startswith("A~"):
        return "\u00c3(" + label[2:] + ")"
    if "^(1,1)" in label:
        return label.split("^")[0][0] + label.split("^")[0][1:].translate(_PRETTY_SUB) + "^(1,1)"
    if len(label) > 1 and label[1] == "~":
        return label[0] + "\u0303" + label[2:].translate(_PRETTY_SUB)
    return label[0] + label[1:].translate(_PRETTY_SUB)


FAMILY_TEXT = {
    "A": "Dynkin type A (mutation class: Buan-Vatne)",
    "D": "Dynkin type D (Vatne's Types I-IV)",
    "E": "Dynkin type E",
    "A~": "affine type \u00c3 (Bastian)",
    "D~": "affine type D\u0303",
    "E~": "affine type \u1ebc",
    "E^(1,1)": "elliptic type",
    "X": "exceptional (Derksen-Owen), mutation-finite",
    "product": "disconnected: product of the components' types",
    "infinite": "mutation-infinite",
    "unknown": "type not determined",
}


def _vertex_list(labels: list[str], idx: list[int], limit: int = 12) -> str:
    if not idx:
        return "none"
    names = [labels[i] if i < len(labels) else str(i + 1) for i in idx]
    text = ", ".join(names[:limit])
    return text + (f", \u2026 ({len(names)})" if len(names) > limit else "")


class InfoView(QWidget):
    """Type, evidence, class size, sinks/sources...; buttons to enumerate the class."""

    enumerate_requested = Signal(object)  # max depth (int) or None
    cancel_requested = Signal()
    evidence_toggled = Signal(bool)
    certificate_requested = Signal(object)  # list of document vertices to mutate at

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.type_label = QLabel("\u2013")
        self.type_label.setObjectName("quiver-type")
        font = self.type_label.font()
        font.setPointSizeF(font.pointSizeF() * 1.9)
        font.setBold(True)
        self.type_label.setFont(font)
        self.family_label = QLabel("")
        self.family_label.setForegroundRole(QPalette.ColorRole.PlaceholderText)
        self.evidence = QLabel("")
        self.evidence.setWordWrap(True)
        self.evidence.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.show_evidence = QCheckBox("Highlight evidence on the canvas")
        self.show_evidence.setChecked(True)
        self.show_evidence.toggled.connect(self.evidence_toggled)
        self.certificate_button = QPushButton("Apply certificate")
        self.certificate_button.setToolTip(
            "Mutate along the certificate: it reaches an arrow of multiplicity "
            "\u2265 3, which proves the class mutation-infinite (undo goes back)"
        )
        self.certificate_button.hide()
        self.certificate_button.clicked.connect(lambda: self.certificate_requested.emit(list(self._certificate)))
        self._certificate: list[int] = []
        self.fields: dict[str, QLabel] = {}
        form = QFormLayout()
        form.setLabelAlignment(Qt.AlignmentFlag.AlignRight)
        form.setHorizontalSpacing(10)
        for key, title in (
            ("vertices", "Vertices"),
            ("arrows", "Arrows"),
            ("finite", "Mutation-finite"),
            ("class_size", "Class size"),
            ("acyclic", "Acyclic"),
            ("sinks", "Sinks"),
            ("sources", "Sources"),
            ("timing", "Identified in"),
        ):
            lab = QLabel("\u2013")
            lab.setWordWrap(True)
            lab.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
            self.fields[key] = lab
            name = QLabel(title)
            name.setForegroundRole(QPalette.ColorRole.PlaceholderText)
            form.addRow(name, lab)
        line = QFrame()
        line.setFrameShape(QFrame.Shape.HLine)
        line.setFrameShadow(QFrame.Shadow.Sunken)
        # max_depth, not depth: that would hide QPaintDevice.depth() of this widget
        self.max_depth = QSpinBox()
        self.max_depth.setRange(0, 200)
        self.max_depth.setSpecialValueText("all")
        self.max_depth.setToolTip("Largest mutation distance from this quiver to enumerate (all: the whole class)")
        self.max_size = QSpinBox()
        self.max_size.setRange(1, 5_000_000)
        self.max_size.setGroupSeparatorShown(True)
        self.max_size.setToolTip("Stop once this many quivers are known (mutation-infinite classes never end)")
        self.enum_button = QPushButton("Enumerate class")
        self.enum_button.setToolTip("List the mutation class up to isomorphism (runs as a job; Cancel stops it)")
        self.enum_button.clicked.connect(lambda: self.enumerate_requested.emit(self.max_depth.value() or None))
        self.cancel_button = QPushButton("Cancel")
        self.cancel_button.setEnabled(False)
        self.cancel_button.clicked.connect(self.cancel_requested)
        self.progress = QProgressBar()
        self.progress.setRange(0, 1000)
        self.progress.setValue(0)
        self.progress.setTextVisible(True)
        self.progress.setFormat("")
        self.progress.setMaximumHeight(16)

        lay = QVBoxLayout(self)
        lay.setContentsMargins(8, 8, 8, 8)
        lay.addWidget(self.type_label)
        lay.addWidget(self.family_label)
        lay.addWidget(self.evidence)
        lay.addWidget(self.show_evidence)
        lay.addWidget(self.certificate_button)
        lay.addWidget(line)
        lay.addLayout(form)
        lay.addStretch(1)
        limits = QFormLayout()
        limits.addRow("max depth", self.max_depth)
        limits.addRow("max size", self.max_size)
        lay.addLayout(limits)
        row = QHBoxLayout()
        row.addWidget(self.enum_button, 1)
        row.addWidget(self.cancel_button)
        lay.addLayout(row)
        lay.addWidget(self.progress)

    def show_pending(self) -> None:
        self.fields["timing"].setText("identifying\u2026")

    def show_summary(self, s: QuiverSummary, labels: list[str]) -> None:
        self.type_label.setText(pretty_label(s.label))
        self.type_label.setToolTip(f"label: {s.label}")
        self.family_label.setText(FAMILY_TEXT.get(s.family, s.family if s.family != s.label else ""))
        self.evidence.setText(s.description)
        f = self.fields
        f["vertices"].setText(f"{s.n_mutable} mutable" + (f" + {s.n_frozen} frozen" if s.n_frozen else ""))
        most = f" (largest multiplicity {s.max_multiplicity})" if s.max_multiplicity > 1 else ""
        f["arrows"].setText(f"{s.n_arrows}{most}")
        fin = {True: "yes", False: "no (mutation-infinite)", None: "not decided"}[s.finite_mutation]
        f["finite"].setText(fin)
        if s.class_size is not None:
            size = f"{s.class_size:,} quivers up to isomorphism"
        else:
            size = "infinite" if s.finite_mutation is False else "no formula or table (Enumerate class counts it)"
        f["class_size"].setText(size)
        f["acyclic"].setText("yes" if s.acyclic else "no (has an oriented cycle)")
        f["sinks"].setText(_vertex_list(labels, s.sinks))
        f["sources"].setText(_vertex_list(labels, s.sources))
        f["timing"].setText(f"{s.identify_ms:.2f} ms")
        self._certificate = list(s.certificate or [])
        self.certificate_button.setVisible(bool(self._certificate))
        if self._certificate:
            self.certificate_button.setText(f"Apply certificate ({len(self._certificate)} mutations)")

    def show_error(self, message: str) -> None:
        self.type_label.setText("?")
        self.evidence.setText(message)

    def set_enumerating(self, running: bool) -> None:
        self.enum_button.setEnabled(not running)
        self.cancel_button.setEnabled(running)
        if running:
            self.progress.setValue(0)
            self.progress.setFormat("starting\u2026")

    def set_count_progress(self, count: int | None, total: tuple[int, str] | None, message: str) -> None:
        """A running enumeration: ``count`` quivers found (None: not yet known, ``message``
        shown), of ``total`` = (number, "of": the class size | "limit": the max size it will
        reach) when known; no percentage without a known total."""
        if count is None:
            self.set_progress(0.0, message or "starting\u2026")
            return
        rest = message.split(",", 1)[1].strip() if "," in message else ""
        if total is not None and total[0] > 0:
            frac = min(count / total[0], 1.0)
            if total[1] == "limit":
                self.set_progress(frac, f"{count:,} quivers of max size {total[0]:,} ({frac * 100:.0f}%)")
            else:
                self.set_progress(frac, f"{count:,} of {total[0]:,} quivers ({frac * 100:.0f}%)")
        else:
            self.set_progress(0.0, f"{count:,} quivers found" + (f", {rest}" if rest else "") + " (total unknown)")

    def set_progress(self, fraction: float, message: str) -> None:
        self.progress.setValue(int(round(1000 * fraction)))
        self.progress.setFormat(message or (f"{fraction * 100:.0f}%" if fraction > 0 else ""))
