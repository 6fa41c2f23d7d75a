"""Property-based tests (hypothesis) of the parsers and of invariants the science guarantees:
parsers read back what the writers wrote and refuse anything else with an InputError; mutation
is an involution; identify does not depend on the labelling of the vertices; CKA is invariant
under scaling and rotation; the FHS Chern number under a change of gauge.  Few examples each
(fixed seed via the database-less profile) so the suite stays fast."""

from __future__ import annotations

import json

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from workbench.errors import InputError, parse_json
from workbench_quiver.core import formats
from workbench_quiver.core.mutation import mutate
from workbench_quiver.core.quiver import Quiver, validate_b

FAST = settings(
    max_examples=40, deadline=None, database=None, derandomize=True, suppress_health_check=[HealthCheck.too_slow]
)
SLOW = settings(
    max_examples=12, deadline=None, database=None, derandomize=True, suppress_health_check=[HealthCheck.too_slow]
)

BIG = st.one_of(st.integers(-4, 4), st.integers(-(2**80), 2**80))


@st.composite
def exchange_matrices(draw, max_n: int = 5, max_frozen: int = 2, entries=BIG) -> np.ndarray:
    """(n + m) x n exchange matrices: skew-symmetric top block, any frozen rows, exact ints."""
    n = draw(st.integers(1, max_n))
    m = draw(st.integers(0, max_frozen))
    b = [[0] * n for _ in range(n + m)]
    for i in range(n):
        for j in range(i + 1, n):
            v = draw(entries)
            b[i][j], b[j][i] = v, -v
    for r in range(n, n + m):
        for j in range(n):
            b[r][j] = draw(entries)
    return validate_b(b)


def _ints(b: np.ndarray) -> list[list[int]]:
    return [[int(x) for x in row] for row in b]


# ------------------------------------------------------------------------------------- parsers
@FAST
@given(exchange_matrices())
def test_every_writer_is_read_back_exactly(b):
    q = Quiver(b)
    for suffix in (".qmu", ".json", ".txt") + ((".csv",) if q.n_frozen == 0 else ()):
        text = formats.quiver_text(q, suffix)
        back = {
            ".qmu": lambda t: formats.read_qmu(t).b,
            ".json": lambda t: formats.from_json(t).b,
            ".txt": formats.read_b_text,
            ".csv": lambda t: formats.read_benchmark_csv(t)[0],
        }[suffix](text)
        assert _ints(back) == _ints(b), suffix
    lines = formats.read_json_lines(json.dumps({"b": _ints(b)}) + "\n")
    assert _ints(lines[0]) == _ints(b)


TOKENS = st.one_of(
    st.integers(-(2**70), 2**70).map(str),
    st.floats(allow_nan=True, allow_infinity=True).map(repr),
    st.sampled_from(
        ["1.5", "inf", "-inf", "nan", "1e300", "1.18e21", "3.0", "1e3", "x", "", "0x10", "١", "1_000", "--1", "+2"]
    ),
)


@FAST
@given(
    st.lists(st.lists(TOKENS, min_size=1, max_size=4), min_size=1, max_size=4),
    st.sampled_from(["csv", "txt", "qmu", "json"]),
)
def test_parsers_accept_exact_integers_or_raise_input_error(rows, kind):
    if kind == "csv":
        text = "\n".join(",".join(r) for r in rows)
        read = formats.read_benchmark_csv
    elif kind == "txt":
        text = "\n".join("[" + " ".join(r) + "]" for r in rows)
        read = formats.read_b_text
    elif kind == "qmu":
        text = f"//Matrix\n{len(rows)} {len(rows)}\n" + "\n".join(" ".join(r) for r in rows)
        read = formats.read_qmu
    else:
        text = "[" + ",".join("[" + ",".join(r) + "]" for r in rows) + "]"
        read = formats.from_json
    try:
        out = read(text)
    except InputError:
        return
    mats = out if isinstance(out, list) else [out.b if isinstance(out, Quiver) else out]
    for m in mats:
        for v in np.asarray(m, dtype=object).flat:
            assert isinstance(v, (int, np.integer))  # never a float, never wrapped


@FAST
@given(st.text(max_size=200) | st.binary(max_size=200).map(lambda b: b.decode("latin-1")))
def test_json_boundary_raises_only_input_error(text):
    try:
        parse_json(text, "x.json")
    except InputError as exc:
        assert str(exc).startswith("x.json")


@FAST
@given(
    st.recursive(
        st.sampled_from(["kx", "ky", "pi", "1", "2.5", "e", "u"]),
        lambda inner: st.one_of(
            st.tuples(inner, st.sampled_from(["+", "-", "*", "/", "**"]), inner).map(" ".join),
            st.tuples(
                st.sampled_from(["sin", "cos", "exp", "sqrt", "arctan2", "abs", "log", "open", "__import__"]),
                st.lists(inner, max_size=3),
            ).map(lambda t: f"{t[0]}({', '.join(t[1])})"),
        ),
        max_leaves=8,
    )
)
def test_expressions_evaluate_or_raise_expression_error_and_never_touch_the_grid(source):
    from workbench_bundle.core.expressions import ExpressionError, parse_expression

    kx, ky = np.linspace(0, 6, 5)[:, None] * np.ones((1, 3)), np.ones((5, 3))
    before = kx.copy(), ky.copy()
    try:
        value = parse_expression(source, ("u",)).evaluate(kx, ky, {"u": 0.5})
        assert value.shape == (5, 3)
    except ExpressionError:
        pass
    assert np.array_equal(kx, before[0]) and np.array_equal(ky, before[1])


# ----------------------------------------------------------------------------------- invariants
@FAST
@given(exchange_matrices(entries=st.integers(-3, 3)), st.data())
def test_mutation_is_an_involution(b, data):
    k = data.draw(st.integers(0, b.shape[1] - 1))
    assert _ints(mutate(mutate(b, k), k)) == _ints(b)


@SLOW
@given(
    st.sampled_from(["A4", "A5", "D4", "D5", "E6", "A~3,1", "D~4"]),
    st.lists(st.integers(0, 5), max_size=6),
    st.randoms(use_true_random=False),
)
def test_identify_is_invariant_under_relabelling(label, walk, rnd):
    from workbench_quiver.core.identify import identify
    from workbench_quiver.core.mutation import mutate_sequence
    from workbench_quiver.core.standard import standard_quiver

    b = standard_quiver(label)
    n = b.shape[1]
    b = mutate_sequence(b, [k % n for k in walk])
    perm = list(range(n))
    rnd.shuffle(perm)
    relabelled = b[np.ix_(perm, perm)]
    assert identify(relabelled).label == identify(b).label == label


@FAST
@given(st.integers(0, 2**31 - 1), st.floats(1e-30, 1e30), st.sampled_from([False, True]))
def test_cka_is_invariant_under_scaling_and_rotation(seed, scale, debiased):
    from workbench_repsim.core.cka import linear_cka

    rng = np.random.default_rng(seed)
    x = rng.normal(size=(60, 8))
    q, _ = np.linalg.qr(rng.normal(size=(8, 8)))
    y = rng.normal(size=(60, 5)) + x[:, :5]
    ref = linear_cka(x, y, debiased)
    assert linear_cka(x * scale @ q, y, debiased) == pytest.approx(ref, abs=1e-9)
    assert linear_cka(x, x * scale @ q, debiased) == pytest.approx(1.0, abs=1e-9)
    x32 = x.astype(np.float32)
    assert linear_cka(x32, x32 * np.float32(scale)) == pytest.approx(1.0, abs=1e-5)


@FAST
@given(
    st.sampled_from([("qwz", {"u": 1.0}), ("qwz", {"u": -1.0}), ("qwz", {"u": 3.0}), ("haldane", {})]),
    st.integers(0, 2**31 - 1),
)
def test_chern_number_is_gauge_invariant(model, seed):
    from workbench_bundle.core import fhs
    from workbench_bundle.core.models import ModelSpec, band_data

    u = band_data(ModelSpec.make(model[0], model[1]), 24).states
    theta = np.random.default_rng(seed).uniform(-np.pi, np.pi, size=u.shape[:2])
    gauged = u * np.exp(1j * theta)[..., None]
    assert fhs.chern_number(gauged).chern == fhs.chern_number(u).chern
