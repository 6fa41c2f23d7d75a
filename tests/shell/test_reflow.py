"""ReflowRow: side by side where the widgets fit, wrapped into rows where they do not."""

from PySide6.QtWidgets import QGroupBox, QLineEdit, QVBoxLayout

from workbench.gui.reflow import ReflowRow


def _box(title: str) -> QGroupBox:
    box = QGroupBox(title)
    lay = QVBoxLayout(box)
    edit = QLineEdit()
    edit.setMinimumWidth(200)
    lay.addWidget(edit)
    return box


def test_columns_follow_the_width(qtbot):
    boxes = [_box(t) for t in ("a", "b", "c")]
    row = ReflowRow(boxes)
    qtbot.addWidget(row)
    row.show()
    need = max(b.minimumSizeHint().width() for b in boxes)
    for width, cols in ((3 * need + 40, 3), (2 * need + 20, 2), (need + 5, 1)):
        row.resize(width, 300)
        qtbot.waitUntil(lambda cols=cols: row.columns == cols, timeout=2000)
        # every box is on screen, none wider than the row
        for b in boxes:
            assert b.isVisible() and b.geometry().right() <= row.width()
    # wrapped: the third box sits under the first
    row.resize(2 * need + 20, 300)
    qtbot.waitUntil(lambda: row.columns == 2, timeout=2000)
    assert boxes[2].geometry().top() > boxes[0].geometry().bottom()
    assert abs(boxes[2].geometry().left() - boxes[0].geometry().left()) <= 1
