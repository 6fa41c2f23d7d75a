"""Jobs of the bundle plugin: picklable frozen-dataclass specs and ``run(spec, ctx)`` functions.

* :func:`run_chern` - FHS Chern number of a model (with the reliability signal, refinement).
* :func:`run_view` - everything the torus / sphere views draw for a model or a dataset sample:
  the Chern number (refined locally near a gap closing, :mod:`.core.refine`), Berry curvature
  per face, phase and modulus of a section component, sign of G, zeros of F
  (vortices), the unit vector d / |d| for the sphere view.
* :func:`run_phase_diagram` - C over (phi, m) for the Haldane model.
* :func:`run_dataset` - generate (and save) a Haldane bundle dataset.
* :func:`run_load_dataset`, :func:`run_save_dataset` - read / write a dataset file (npz, no pickle).
* :func:`run_train` - train a classifier, save a checkpoint, predict on the dataset.
* :func:`run_predict` - predictions of a saved checkpoint on a dataset.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from workbench.jobs import JobContext, JobError
from workbench.seeding import check_seed
from workbench.torch_setup import hide_triton_without_cuda

from .core import fhs
from .core.haldane_bundle import (
    CLASSES,
    D,
    HaldaneDataset,
    evaluate_fg,
    generate_dataset,
    load_dataset,
    locate_zeros,
    save_dataset,
    section,
)
from .core.models import ModelSpec, band_data, haldane_d, k_grid
from .core.refine import refine_chern


# ------------------------------------------------------------------------------------------ chern
@dataclass(frozen=True)
class ChernSpec:
    """model: haldane | qwz | bhz | custom; params: (name, value) pairs; grid: n for an n x n grid;
    convention: pythtb | fukui; refine: double the grid while unreliable (up to max_grid);
    spin: the BHZ block reported as "chern" (the result also holds both blocks and the spin
    Chern number)."""

    model: str = "haldane"
    params: tuple[tuple[str, float], ...] = ()
    expressions: tuple[tuple[str, str], ...] = ()
    grid: int = 64
    convention: str = fhs.DEFAULT_CONVENTION
    refine: bool = False
    max_grid: int = 1024
    spin: str = "up"
    array_path: str = ""  # model "sampled": npz with "hamiltonians" (N1, N2, d, d) or "states"
    bands: tuple[int, ...] = ()  # bands of sampled Hamiltonians (default: the lower half)


def load_sampled(path: str, bands: tuple[int, ...] = ()) -> tuple[np.ndarray, np.ndarray | None]:
    """States (and gaps) from a user's npz (loaded with allow_pickle=False): either
    ``hamiltonians`` of shape (N1, N2, dim, dim) (Hermitian; the chosen bands, default the lower
    half) or ``states`` of shape (N1, N2, dim) / (N1, N2, dim, nbands) on a periodic grid."""
    from workbench.array_files import load_npz

    from .core.models import states_from_hamiltonians

    p = Path(path)
    if not p.is_file():
        raise JobError(f"sampled model file {path} does not exist")
    try:
        arrays = load_npz(p, "sampled Hamiltonians or states")
    except ValueError as exc:
        raise JobError(str(exc)) from None
    try:
        if "hamiltonians" in arrays:
            return states_from_hamiltonians(arrays["hamiltonians"], list(bands) or None)
        if "states" in arrays:
            st = np.asarray(arrays["states"])
            if st.ndim not in (3, 4) or not np.iscomplexobj(st) and st.dtype.kind not in "f":
                raise ValueError(f"states must be (N1, N2, dim[, nbands]) numbers; got {st.shape} {st.dtype}")
            fhs.check_states(st)
            return st.astype(complex), None
    except ValueError as exc:
        raise JobError(f"{p}: {exc}") from None
    raise JobError(f"{p} has neither a 'hamiltonians' nor a 'states' array (found {sorted(arrays)})")


def _model(spec) -> ModelSpec:
    try:
        return ModelSpec.make(spec.model, dict(spec.params), spec.spin, dict(spec.expressions))
    except ValueError as exc:
        raise JobError(str(exc)) from None


def _chern_of(model: ModelSpec, spec: ChernSpec) -> fhs.ChernResult:
    def sampler(n: int):
        b = band_data(model, n)
        return b.states, b.gap

    try:
        return fhs.chern_refined(sampler, spec.grid, spec.convention, spec.refine, spec.max_grid)
    except ValueError as exc:
        raise JobError(str(exc)) from None


def run_chern(spec: ChernSpec, ctx: JobContext) -> dict:
    """JSON-ready result: model, parameters, chern and the reliability signal (BHZ: both spins)."""
    if spec.grid < 2 or spec.grid > 4096:
        raise JobError(f"grid must be between 2 and 4096, got {spec.grid}")
    ctx.progress(0.0, "FHS")
    if spec.model == "sampled":
        states, gaps = load_sampled(spec.array_path, spec.bands)
        try:
            res = fhs.chern_number(states, spec.convention, gaps)
        except ValueError as exc:
            raise JobError(f"{spec.array_path}: {exc}") from None
        return {
            "model": "sampled",
            "file": spec.array_path,
            "bands": list(spec.bands) or "lower half",
            **res.summary(),
            "note": "sampled arrays cannot be refined",
        }
    model = _model(spec)
    res = _chern_of(model, spec)
    out = {"model": spec.model, "params": model.param_dict(), **res.summary()}
    if spec.model == "custom":
        out["expressions"] = dict(spec.expressions)
    if spec.model == "bhz":
        # "chern" is the requested block's; the other block (its time-reversal partner,
        # H_down(k) = H_up*(-k), so C_down = -C_up) is computed too for the spin Chern number
        # C_s = (C_up - C_down) / 2 (Sheng et al., PRL 97, 036808 (2006))
        other = "down" if model.spin == "up" else "up"
        blocks = {model.spin: res, other: _chern_of(ModelSpec.make("bhz", model.param_dict(), other), spec)}
        out["spin"] = model.spin
        out["spin_up"] = blocks["up"].summary()
        out["spin_down"] = blocks["down"].summary()
        out["spin_chern_number"] = (blocks["up"].chern - blocks["down"].chern) / 2
    ctx.progress(1.0, f"C = {res.chern}")
    return out


# ------------------------------------------------------------------------------------------- view
@dataclass(frozen=True)
class ViewSpec:
    """What to draw on the torus.  source: "model" or "sample".  For a sample, coef_f / coef_g hold
    the coefficients (flattened real and imaginary parts) so the spec stays plain data."""

    source: str = "model"
    model: str = "haldane"
    params: tuple[tuple[str, float], ...] = ()
    expressions: tuple[tuple[str, str], ...] = ()
    spin: str = "up"
    coef_f_re: tuple[float, ...] = ()
    coef_f_im: tuple[float, ...] = ()
    coef_g: tuple[float, ...] = ()
    grid: int = 128
    convention: str = fhs.DEFAULT_CONVENTION


@dataclass
class ViewResult:
    """Per-face fields on an n x n grid of the torus (face (i, j) = plaquette with corner k(i, j))
    and the data of the sphere view.  Angles in radians, x in [0, 1) = k / 2 pi."""

    grid: int
    chern: int
    curvature: np.ndarray  # (n, n) Berry flux per plaquette (radians)
    phase: np.ndarray  # (n, n, 2) phase of each section component at face centres
    modulus: np.ndarray  # (n, n, 2) modulus of each component (unnormalised section)
    sign_g: np.ndarray  # (n, n) sign of G (d_z for models) at face centres
    dhat: np.ndarray  # (n, n, 3) unit vector d / |d| at the vertices
    zeros: np.ndarray  # (Z, 4) zeros of F (x, y, winding, G) - vortices
    summary: dict = field(default_factory=dict)
    label: str = ""


def _model_fields(spec: ViewSpec) -> tuple:
    model = _model(spec)
    n = spec.grid
    from .core.models import d_on_grid, lower_band_states

    h0, dx, dy, dz = d_on_grid(model, n)
    states = lower_band_states(dx, dy, dz)
    # section of the lower band in the gauge [dz - |d|, dx + i dy] (unnormalised): its zeros are
    # where dx + i dy = 0 with dz > 0, the analogue of the zeros of F with G < 0
    r = np.sqrt(dx * dx + dy * dy + dz * dz)
    sec = np.stack([dz - r + 0j, dx + 1j * dy], axis=-1)
    d = np.stack([dx, dy, dz], axis=-1)
    f = dx + 1j * dy
    return states, sec, d, f, dz, 2 * r, model.name


def _sample_fields(spec: ViewSpec) -> tuple:
    if len(spec.coef_f_re) != D * D or len(spec.coef_g) != 2 * D * D:
        raise JobError("sample coefficients must have 81 complex F and 162 real G values")
    cf = (np.array(spec.coef_f_re) + 1j * np.array(spec.coef_f_im)).reshape(1, D, D)
    cg = np.array(spec.coef_g, dtype=float).reshape(1, 2, D, D)
    n = spec.grid
    f, g = evaluate_fg(cf, cg, n)
    f, g = f[0], g[0]
    psi, norm = section(f, g)
    fr = f.real**2 + f.imag**2
    s = np.sqrt(g * g + fr)
    with np.errstate(divide="ignore", invalid="ignore"):
        rr = np.where(g >= 0, g + s, fr / (s - g))
    sec = np.stack([rr + 0j, f], axis=-1)
    d = np.stack([f.real, f.imag, g], axis=-1)
    psi = np.where(np.isfinite(psi), psi, np.array([1.0, 0.0]))
    return psi, sec, d, f, g, 2 * s, "sample", cf, cg


def run_view(spec: ViewSpec, ctx: JobContext) -> ViewResult:
    """Fields for the viewer (quick: a 128 x 128 grid takes a few tens of ms)."""
    if spec.grid < 4 or spec.grid > 1024:
        raise JobError(f"view grid must be between 4 and 1024, got {spec.grid}")
    ctx.check_cancelled()
    if spec.source == "sample":
        states, sec, d, f, g, gap, label, cf, cg = _sample_fields(spec)
        zeros = locate_zeros(cf[0], cg[0], n=max(64, min(spec.grid, 256)))
    else:
        states, sec, d, f, g, gap, label = _model_fields(spec)
        zeros = _grid_vortices(f, g)
    ctx.check_cancelled()
    res = fhs.chern_number(states, spec.convention, gaps=gap)
    summary = res.summary()
    chern = res.chern
    if spec.source == "model" and not res.reliable:
        # near a gap closing: refine the Chern number locally (the drawn fields keep the grid)
        ctx.progress(0.5, "refining near the gap closing")
        ref = refine_chern(_model_states_at(_model(spec)), res.flux, spec.convention, coarse_gap=res.min_gap)
        chern = ref.chern
        summary.update(
            chern=int(ref.chern), coarse_chern=int(res.chern), reliable=bool(ref.reliable), refined=ref.summary()
        )
    if spec.source == "sample":
        from .core.haldane_bundle import chern_labels

        lab = chern_labels(cf, cg)
        exact = int(lab.labels[0]) if lab.ok[0] else None
        if exact is not None and spec.convention == "fukui":
            exact = -exact
        summary["exact_label"] = exact
        summary["exact_label_note"] = "" if lab.ok[0] else str(lab.reason[0])
    n = spec.grid

    def centre(a: np.ndarray) -> np.ndarray:
        return (a + np.roll(a, -1, 0) + np.roll(a, -1, 1) + np.roll(np.roll(a, -1, 0), -1, 1)) / 4

    # phase at face centres from the average of the unit phases (robust across the branch cut)
    unit = np.where(np.abs(sec) > 0, sec / np.maximum(np.abs(sec), 1e-300), 0)
    phase = np.angle(centre(unit))
    modulus = centre(np.abs(sec))
    sign_g = np.sign(centre(g))
    nrm = np.linalg.norm(d, axis=-1, keepdims=True)
    dhat = d / np.where(nrm > 0, nrm, 1.0)
    return ViewResult(
        grid=n,
        chern=chern,
        curvature=res.flux,
        phase=phase,
        modulus=modulus,
        sign_g=sign_g,
        dhat=dhat,
        zeros=zeros,
        summary=summary,
        label=label,
    )


def _model_states_at(model: ModelSpec):
    """states_at(k1, k2) of :func:`workbench_bundle.core.refine.refine_chern` for a model: the
    lower-band states and the direct gap 2 |d| at any reduced coordinates."""
    from .core.models import d_vector, lower_band_states

    def states_at(k1: np.ndarray, k2: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        try:
            _h0, dx, dy, dz = (
                np.broadcast_to(np.asarray(a, dtype=float), np.shape(k1)) for a in d_vector(model, k1, k2)
            )
        except ValueError as exc:
            raise JobError(str(exc)) from None
        return lower_band_states(dx, dy, dz), 2 * np.sqrt(dx * dx + dy * dy + dz * dz)

    return states_at


def _grid_vortices(f: np.ndarray, g: np.ndarray) -> np.ndarray:
    """Zeros of f located by cell windings on the model's grid: x, y (cell centres), winding, g."""
    from .core.haldane_bundle import cell_windings

    w = cell_windings(f[None])[0]
    ci, cj = np.nonzero(w)
    n = f.shape[0]
    gc = (g[ci, cj] + g[(ci + 1) % n, cj] + g[ci, (cj + 1) % n] + g[(ci + 1) % n, (cj + 1) % n]) / 4
    return np.column_stack([(ci + 0.5) / n, (cj + 0.5) / n, w[ci, cj], gc]) if ci.size else np.zeros((0, 4))


# ---------------------------------------------------------------------------------- phase diagram
@dataclass(frozen=True)
class PhaseDiagramSpec:
    """C over phi in [-pi, pi] x m in [m_min, m_max] for the Haldane model at t1, t2."""

    t1: float = 1.0
    t2: float = 1.0 / 3.0
    n_phi: int = 61
    n_m: int = 61
    m_min: float = -3.0
    m_max: float = 3.0
    grid: int = 24
    convention: str = fhs.DEFAULT_CONVENTION


@dataclass
class PhaseDiagramResult:
    phi: np.ndarray
    m: np.ndarray
    chern: np.ndarray  # (n_phi, n_m)
    max_flux: np.ndarray  # (n_phi, n_m)
    t1: float
    t2: float


def run_phase_diagram(spec: PhaseDiagramSpec, ctx: JobContext) -> PhaseDiagramResult:
    """FHS Chern number at every (phi, m) of a grid (vectorised over m)."""
    phis = np.linspace(-np.pi, np.pi, spec.n_phi)
    ms = np.linspace(spec.m_min, spec.m_max, spec.n_m)
    k1, k2 = k_grid(spec.grid)
    out = np.zeros((spec.n_phi, spec.n_m), dtype=np.int64)
    mf = np.zeros((spec.n_phi, spec.n_m))
    from .core.models import lower_band_states

    for i, phi in enumerate(phis):
        ctx.check_cancelled()
        _, hx, hy, hz0 = haldane_d(k1, k2, spec.t1, spec.t2, phi, 0.0)
        for j, m in enumerate(ms):
            u = lower_band_states(hx, hy, hz0 + m)
            flux = fhs.plaquette_flux(u, spec.convention)
            out[i, j] = int(np.rint(flux.sum() / (2 * np.pi)))
            mf[i, j] = np.abs(flux).max()
        ctx.progress((i + 1) / spec.n_phi, f"phi {i + 1}/{spec.n_phi}")
    return PhaseDiagramResult(phis, ms, out, mf, spec.t1, spec.t2)


# ---------------------------------------------------------------------------------------- dataset
@dataclass(frozen=True)
class DatasetSpec:
    """``size`` samples on a ``grid`` x ``grid`` torus.  ``seed`` (an integer, required to be
    explicit: the same seed gives the same dataset, so a session can regenerate it) seeds
    numpy's generator for the random coefficients."""

    size: int = 1000
    grid: int = 32
    seed: int = 0
    variant: str = "random"
    balance: bool = True
    out: str = ""


def run_dataset(spec: DatasetSpec, ctx: JobContext) -> HaldaneDataset:
    """Generate a dataset (progress, cancellable) and save it to ``spec.out`` if given."""
    if spec.size <= 0 or spec.size > 1_000_000:
        raise JobError(f"size must be between 1 and 1000000, got {spec.size}")
    if spec.grid < 4 or spec.grid > 256:
        raise JobError(f"grid must be between 4 and 256, got {spec.grid}")
    try:
        check_seed(spec.seed, "dataset seed")
    except ValueError as exc:
        raise JobError(str(exc)) from None
    try:
        ds = generate_dataset(
            spec.size,
            spec.grid,
            spec.seed,
            spec.variant,
            spec.balance,
            progress=ctx.progress,
            check_cancelled=ctx.check_cancelled,
        )
    except (ValueError, RuntimeError) as exc:
        raise JobError(str(exc)) from None
    ds.provenance["command"] = (
        f"workbench bundle dataset --size {spec.size} --grid {spec.grid} --seed {spec.seed} "
        f"--variant {spec.variant}" + ("" if spec.balance else " --no-balance")
    )
    if spec.out:
        path = save_dataset(ds, spec.out)
        ctx.log(f"saved {len(ds)} samples to {path}")
    return ds


@dataclass(frozen=True)
class LoadDatasetSpec:
    path: str


def run_load_dataset(spec: LoadDatasetSpec, ctx: JobContext) -> HaldaneDataset:
    try:
        return load_dataset(spec.path)
    except ValueError as exc:
        raise JobError(str(exc)) from None


@dataclass(frozen=True)
class SaveDatasetSpec:
    """Write ``dataset`` to ``path`` (compressed npz without pickled objects; ``.npz`` is
    appended when the suffix differs)."""

    dataset: HaldaneDataset
    path: str


def run_save_dataset(spec: SaveDatasetSpec, ctx: JobContext) -> str:
    """Save the dataset (a job: large datasets take seconds to compress); returns the path written."""
    ctx.progress(0.0, f"saving {len(spec.dataset)} samples")
    try:
        path = save_dataset(spec.dataset, spec.path)
    except OSError as exc:
        raise JobError(f"cannot write the dataset to {spec.path}: {exc.strerror or exc}") from None
    ctx.log(f"saved {len(spec.dataset)} samples to {path}")
    return str(path)


# ------------------------------------------------------------------------------------------ train
@dataclass(frozen=True)
class TrainSpec:
    """Train ``arch`` on a dataset file (or a freshly generated one when data is empty)."""

    arch: str = "flux"
    data: str = ""
    size: int = 2000
    grid: int = 32
    test_fraction: float = 0.2
    epochs: int = 5
    batch_size: int = 128
    lr: float = 2e-3
    seed: int = 0
    out: str = ""
    device: str = "auto"


@dataclass
class TrainJobResult:
    arch: str
    test_accuracy: float
    history: list
    confusion: list
    checkpoint: str
    predictions: np.ndarray  # predictions on the whole dataset
    labels: np.ndarray
    test_index: np.ndarray
    dataset: str = ""  # HaldaneDataset.fingerprint() of the dataset trained and predicted on
    metrics: dict = field(default_factory=dict)  # prediction_metrics on the whole dataset


def run_train(spec: TrainSpec, ctx: JobContext) -> TrainJobResult:
    import torch

    hide_triton_without_cuda()  # the shell does it too; the CLI path needs it here

    from .core.train import TrainConfig, predict, save_checkpoint, train_classifier

    if not 0 < spec.test_fraction < 1:
        raise JobError("test_fraction must be between 0 and 1")
    if spec.data:
        try:
            ds = load_dataset(spec.data)
        except ValueError as exc:
            raise JobError(str(exc)) from None
    else:
        ctx.progress(0.0, "generating data")
        ds = generate_dataset(spec.size, spec.grid, spec.seed, check_cancelled=ctx.check_cancelled)
    keep = np.flatnonzero(np.isin(ds.labels, CLASSES))
    if keep.size < 10:
        raise JobError(f"the dataset has only {keep.size} samples with labels in -2..2")
    rng = np.random.default_rng(spec.seed)
    perm = rng.permutation(keep)
    n_test = max(1, int(round(spec.test_fraction * len(perm))))
    test, train = perm[:n_test], perm[n_test:]
    # the local-density models learn from the exact per-cell charges too (core/plaquette_targets.py)
    dense = spec.arch in ("gauge", "charge")
    cfg = TrainConfig(
        arch=spec.arch,
        epochs=spec.epochs,
        batch_size=spec.batch_size,
        lr=spec.lr,
        seed=spec.seed,
        device=ctx.device,
        dense_weight=1.0 if dense else 0.0,
        augment=spec.arch == "charge",
    )
    cells = None
    if dense:
        from .core.plaquette_targets import vortex_charges

        ctx.progress(0.0, "per-cell charges of the training samples")
        cells = vortex_charges(ds.coef_f[train], ds.coef_g[train], ds.grid)
    try:
        if spec.arch == "subcell":
            # learns from the exact 4 pi corrections of its candidate cells (core/subcell.py)
            from .core.subcell import train_subcell

            res = train_subcell(
                ds.psi[train],
                ds.labels[train],
                ds.coef_f[train],
                ds.coef_g[train],
                ds.psi[test],
                ds.labels[test],
                epochs=spec.epochs,
                lr=spec.lr,
                batch_size=spec.batch_size,
                seed=spec.seed,
                progress=ctx.progress,
                check_cancelled=ctx.check_cancelled,
            )
        else:
            res = train_classifier(
                ds.psi[train],
                ds.labels[train],
                ds.psi[test],
                ds.labels[test],
                cfg,
                progress=ctx.progress,
                check_cancelled=ctx.check_cancelled,
                cells_train=cells,
            )
    except ValueError as exc:
        raise JobError(str(exc)) from None
    ckpt = ""
    if spec.out:
        prov = {
            "data": {"file": spec.data or "generated", "size": len(ds), "grid": ds.grid, "provenance": ds.provenance},
            "seed": spec.seed,
            "epochs": spec.epochs,
            "command": f"workbench bundle train --arch {spec.arch} --data {spec.data or '<generated>'} "
            f"--epochs {spec.epochs} --seed {spec.seed} --out {spec.out}",
        }
        p, _ = save_checkpoint(res, spec.out, prov)
        ckpt = str(p)
    torch.set_grad_enabled(True)
    preds = predict(res.model, ds.psi)
    from .core.metrics import prediction_metrics

    return TrainJobResult(
        spec.arch,
        res.test_accuracy,
        res.history,
        res.confusion,
        ckpt,
        preds,
        ds.labels,
        test,
        ds.fingerprint(),
        prediction_metrics(ds.labels, preds),
    )


@dataclass
class Predictions:
    """Predicted Chern numbers of a dataset's samples, as a panel keeps them (plain data).

    predicted: (S,) int64; source: which classifier ("shipped flux", a checkpoint path, or
    "trained flux"); test_accuracy: of a classifier trained on the dataset, on its held-out
    split (None for a loaded classifier); dataset: the fingerprint
    (:meth:`HaldaneDataset.fingerprint`) of the dataset they were computed on ("" if unknown)."""

    predicted: np.ndarray
    source: str = ""
    test_accuracy: float | None = None
    dataset: str = ""
    #: :func:`.core.metrics.prediction_metrics` against the dataset's labels, computed in the job
    #: ({} when unknown)
    metrics: dict = field(default_factory=dict)

    def __post_init__(self) -> None:
        self.predicted = np.asarray(self.predicted, dtype=np.int64)
        self.source = str(self.source)
        self.test_accuracy = None if self.test_accuracy is None else float(self.test_accuracy)
        self.dataset = str(self.dataset)


def predictions_fit(pred: Predictions, ds: HaldaneDataset | None) -> bool:
    """True when ``pred`` was computed on ``ds``: same fingerprint (when ``pred`` records one)
    and one prediction per sample.  A view applies predictions only then: predictions of
    dataset A must never be drawn on dataset B (IndexError when B is larger, silently wrong
    when it is smaller or of the same size)."""
    if ds is None or len(pred.predicted) != len(ds):
        return False
    return not pred.dataset or pred.dataset == ds.fingerprint()


@dataclass(frozen=True)
class PredictArraySpec:
    """Predictions of a checkpoint on sections held in memory (psi: (S, 2, N, N) complex);
    dataset: the fingerprint of the dataset psi comes from, returned in the metadata as
    ``"dataset"`` so the result can be matched to its input (:func:`predictions_fit`)."""

    checkpoint: str
    psi: np.ndarray = field(default_factory=lambda: np.zeros((0, 2, 32, 32), np.complex64))
    dataset: str = ""
    #: the samples' labels: when given, the metadata carries ``"metrics"`` (confusion, accuracy by |C|)
    labels: np.ndarray = field(default_factory=lambda: np.zeros(0, np.int64))


def run_predict(spec: PredictArraySpec, ctx: JobContext) -> tuple[np.ndarray, dict]:
    from .core.train import load_checkpoint, predict

    try:
        model, meta = load_checkpoint(spec.checkpoint)
    except ValueError as exc:
        raise JobError(str(exc)) from None
    if len(spec.psi) and int(meta.get("grid", 0)) != spec.psi.shape[-1]:
        raise JobError(
            f"the classifier was trained on a {meta.get('grid')} x {meta.get('grid')} grid; "
            f"the dataset has {spec.psi.shape[-1]}"
        )
    out = []
    for s in range(0, len(spec.psi), 256):
        ctx.check_cancelled()
        out.append(predict(model, spec.psi[s : s + 256]))
        ctx.progress(min(1.0, (s + 256) / max(1, len(spec.psi))), "predicting")
    pred = np.concatenate(out) if out else np.zeros(0, dtype=np.int64)
    extra: dict = {"dataset": spec.dataset}
    if len(spec.labels) == len(pred) and len(pred):
        from .core.metrics import prediction_metrics

        extra["metrics"] = prediction_metrics(spec.labels, pred)
    return pred, {**meta, **extra}
