"""Class sizes: closed formulas against the published values and against enumeration."""

import pytest

from workbench_quiver.core.class_size import class_size, enumerated_size, size_a, size_affine_a, size_d
from workbench_quiver.core.enumerate import mutation_class
from workbench_quiver.core.standard import standard_quiver


def test_torkildsen_a():
    assert [size_a(n) for n in range(3, 12)] == [4, 6, 19, 49, 150, 442, 1424, 4522, 14924]


def test_buan_torkildsen_d():
    assert [size_d(n) for n in range(4, 12)] == [6, 26, 80, 246, 810, 2704, 9252, 32066]


def test_affine_a_formula_matches_enumeration():
    for n in range(2, 9):
        for q in range(1, n // 2 + 1):
            p = n - q
            assert size_affine_a(p, q) == len(mutation_class(standard_quiver(f"A~{p},{q}"))), (p, q)


def test_exceptional_and_dtilde_sizes():
    published = {"E6": 67, "E7": 416, "E8": 1574, "E~6": 132, "E~7": 1080, "E~8": 7560,
                 "E6^(1,1)": 49, "E7^(1,1)": 506, "E8^(1,1)": 5739, "X6": 5, "X7": 2,
                 "D~5": 40, "D~6": 146, "D~7": 504, "D~8": 1868, "D~9": 6864, "D~10": 25810,
                 "D~4": 10}
    for label, size in published.items():
        assert class_size(label) == size, label


def test_fresh_enumeration_of_a_size_and_label_errors():
    assert enumerated_size("D~7") == 504
    assert class_size("A~2,3") == class_size("A~3,2") == 12
    with pytest.raises(ValueError):
        class_size("Z3")
