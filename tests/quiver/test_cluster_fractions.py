"""Cluster variables as fractions: the core's numerator/denominator parts in Sage's notation, the
subscript/superscript rendering, and the table delegate drawing a fraction bar between them."""

from __future__ import annotations

import numpy as np
import pytest
from PySide6.QtGui import QColor, QImage, QPainter
from PySide6.QtWidgets import QStyleOptionViewItem, QTableWidget, QTableWidgetItem

from workbench_quiver.core.cluster_algebra import ClusterSeed
from workbench_quiver.core.standard import standard_quiver
from workbench_quiver.ui.fraction import FRACTION_ROLE, FractionDelegate, fold, pretty


def _cluster_after(label: str, path: list[int]):
    return ClusterSeed.initial(standard_quiver(label)).mutate_path(path).cluster()


def test_fraction_parts_are_to_str_without_its_parentheses():
    for var in _cluster_after("A3", [0, 1, 2, 0]) + _cluster_after("D4", [1, 0, 2, 3, 1]):
        num, den = var.fraction_parts()
        s = var.to_str()
        if not den:
            assert s == num
            continue
        rebuilt = (f"({num})" if len(var.numerator) > 1 else num) + "/" + (f"({den})" if "*" in den else den)
        assert rebuilt == s
    # x0 after one mutation of A2 is (x1 + 1)/x0 in Sage's print
    (first, _) = _cluster_after("A2", [0])
    assert first.fraction_parts() == ("x1 + 1", "x0")


def test_pretty_writes_indices_and_exponents_as_mathematicians_do():
    assert pretty("x1^2 + 2*x0*x1 + 1") == "x₁² + 2x₀x₁ + 1"
    assert pretty("x10^12*y3") == "x₁₀¹²y₃"
    assert fold("abcdef", 4) == "abc\u2026" and fold("abc", 4) == "abc"


@pytest.mark.gui
def test_delegate_draws_two_lines_and_a_fraction_bar(qtbot):
    table = QTableWidget(3, 1)
    qtbot.addWidget(table)
    delegate = FractionDelegate(table)
    table.setItemDelegateForColumn(0, delegate)
    plain, frac = QTableWidgetItem("x0"), QTableWidgetItem("(x1 + 1)/x0")
    frac.setData(FRACTION_ROLE, ("x1 + 1", "x0"))
    table.setItem(0, 0, plain)
    table.setItem(1, 0, frac)
    poly = QTableWidgetItem("x3")
    poly.setData(FRACTION_ROLE, ("x3", ""))
    table.setItem(2, 0, poly)
    opt = QStyleOptionViewItem()
    opt.font = table.font()
    h_plain = delegate.sizeHint(opt, table.model().index(0, 0)).height()
    h_frac = delegate.sizeHint(opt, table.model().index(1, 0)).height()
    assert h_frac > 1.7 * h_plain  # numerator over denominator
    assert delegate.sizeHint(opt, table.model().index(2, 0)).height() < 0.7 * h_frac  # a polynomial: one line
    img = QImage(200, h_frac, QImage.Format.Format_RGB32)
    img.fill(QColor("white"))
    painter = QPainter(img)
    opt.rect = img.rect()
    opt.palette.setColor(opt.palette.ColorRole.Text, QColor("black"))
    delegate.paint(painter, opt, table.model().index(1, 0))
    painter.end()
    arr = np.frombuffer(img.constBits(), dtype=np.uint8).reshape(h_frac, img.bytesPerLine())[:, : 200 * 4]
    dark = arr.reshape(h_frac, 200, 4)[:, :, :3].mean(axis=2) < 128
    rows = dark.sum(axis=1)
    bar = int(np.argmax(rows))
    assert rows[bar] >= 15  # a horizontal bar across the numerator's width
    assert dark[:bar].any() and dark[bar + 2 :].any()  # text above and below it
