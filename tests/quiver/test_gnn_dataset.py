"""GNN datasets: published class sizes, pickle-free round trip, clear errors, graph conversion,
block features on quivers whose blocks are known by hand."""

import json

import numpy as np
import pytest

from workbench_quiver.gnn import FAMILIES
from workbench_quiver.gnn.dataset import (
    DatasetRecipe,
    build_dataset,
    family_of,
    from_matrices,
    load_dataset,
    pack,
    sample_by_walks,
    save_dataset,
    to_data,
    types_on,
)
from workbench_quiver.gnn.features import block_features


@pytest.fixture(scope="module")
def small():
    return build_dataset(DatasetRecipe(sizes=(4, 5), extra_types=("E6",)))


def test_class_sizes_are_the_published_ones(small):
    # A_n: 6, 19 (n = 4, 5); D_n: 6, 26; D~ on 5 vertices: 10 (brute force, see issue 3); E6: 67
    c = small.counts()
    assert c["A4"] == 6 and c["A5"] == 19
    assert c["D4"] == 6 and c["D5"] == 26
    assert c["D~4"] == 10
    assert c["E6"] == 67
    assert set(np.unique(small.label)) == {FAMILIES.index(f) for f in ("A", "D", "A~", "D~", "E")}


def test_types_on_and_families():
    assert types_on(11) == ["A11", "D11", "A~10,1", "A~9,2", "A~8,3", "A~7,4", "A~6,5", "D~10"]
    assert family_of("A~5,3") == "A~" and family_of("E10") == "E" and family_of("D~9") == "D~"
    with pytest.raises(ValueError):
        family_of("X7")


def test_save_load_round_trip_without_pickle(small, tmp_path):
    p, meta = save_dataset(small, tmp_path / "d.npz")
    with np.load(p, allow_pickle=False) as z:  # would raise if anything were pickled
        assert z["types"].dtype.kind == "U"
    back = load_dataset(p)
    assert len(back) == len(small) and back.types == small.types
    for i in (0, 7, len(small) - 1):
        assert np.array_equal(back.b(i), small.b(i))
    prov = json.loads(meta.read_text())
    assert prov["sizes"]["D5"] == 26 and prov["code_version"]


def test_bad_dataset_files_give_clear_errors(tmp_path):
    with pytest.raises(ValueError, match="does not exist"):
        load_dataset(tmp_path / "nope.npz")
    bad = tmp_path / "bad.npz"
    bad.write_bytes(b"this is not a zip archive")
    with pytest.raises(ValueError, match="not a readable"):
        load_dataset(bad)
    np.savez(tmp_path / "other.npz", x=np.arange(3))
    with pytest.raises(ValueError, match="lacks the arrays"):
        load_dataset(tmp_path / "other.npz")


def test_to_data_matches_the_exchange_matrix():
    b = np.array([[0, 2, 0], [-2, 0, 1], [0, -1, 0]])
    d = to_data(b)
    assert d.num_nodes == 3
    edges = {(int(i), int(j)) for i, j in d.edge_index.t().tolist()}
    assert edges == {(0, 1), (1, 2)}
    k = [tuple(e) for e in d.edge_index.t().tolist()].index((0, 1))
    assert d.edge_attr[k, 1] == 1.0  # multiplicity-2 indicator


def test_pack_batches_agree_with_per_graph_conversion(small):
    pk = pack(small)
    idx = np.array([3, 0, 50])
    x, ei, ea, bvec, y = pk.batch(idx)
    off = 0
    for g, i in enumerate(idx):
        d = to_data(small.b(int(i)))
        n = d.num_nodes
        assert np.allclose(x[off : off + n].numpy(), d.x.numpy())
        mine = {(a - off, c - off) for a, c in ei.t().tolist() if off <= a < off + n}
        assert mine == {tuple(e) for e in d.edge_index.t().tolist()}
        assert int(y[g]) == int(small.label[i])
        off += n
    assert bvec.tolist() == sum([[g] * int(small.n_nodes[i]) for g, i in enumerate(idx)], [])


def test_block_features_of_known_quivers():
    tri = np.array([[0, 1, -1], [-1, 0, 1], [1, -1, 0]])  # oriented 3-cycle
    assert block_features(tri)[:, 2].tolist() == [1, 1, 1]
    sq = np.zeros((4, 4), int)  # oriented 4-cycle: Vatne IV core
    for i in range(4):
        sq[i, (i + 1) % 4], sq[(i + 1) % 4, i] = 1, -1
    assert block_features(sq)[:, 4].tolist() == [1, 1, 1, 1]
    sq[0, 1], sq[1, 0] = -1, 1  # reverse one arrow: non-oriented (A~3,1)
    assert block_features(sq)[:, 5].tolist() == [1, 1, 1, 1]
    path = np.array([[0, 1, 0], [-1, 0, 1], [0, -1, 0]])
    assert block_features(path)[:, 1].tolist() == [1, 2, 1]


def test_random_walk_samples_are_distinct_members():
    from workbench_quiver.core.canonical import canonical_form
    from workbench_quiver.core.identify import identify

    rng = np.random.default_rng(0)
    bs, _ = sample_by_walks("D~6", 15, rng)
    assert len({canonical_form(b) for b in bs}) == len(bs) == 15
    assert all(identify(b).label == "D~6" for b in bs)
    ds = from_matrices(bs, ["D~6"] * len(bs))
    assert set(ds.label.tolist()) == {FAMILIES.index("D~")}
