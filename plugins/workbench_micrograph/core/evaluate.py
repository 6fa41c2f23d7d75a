"""What an edit buys and what it costs (Qt-free, torch): accuracies on every test set, PGD
robust accuracy, accuracy under a corruption suite with the mean corruption error, the 1-LI
alpha curve, and the comparison table of methods over seeds.

* Robust accuracy: the fraction of source test images classified correctly and not broken by
  an untargeted PGD attack (Madry et al., ICLR 2018) in the l_inf and in the l_2 ball of radius
  eps around the image in [0, 1] pixels, with a random start; the attack is the adversarial
  plugin's (:func:`workbench_adversarial.core.pgd.pgd_attack`), imported, not copied.
* Corruptions (:data:`CORRUPTIONS`, five severities each, in the manner of ImageNet-C, Hendrycks
  & Dietterich, ICLR 2019; severities chosen for 64 x 64 SEM images): Gaussian noise, Poisson
  (shot) noise, Gaussian blur, contrast loss, brightness, JPEG, and SEM charging / scan-line
  artefacts (bright charging streaks along lines and per-line horizontal jitter).  Every
  corrupted set is drawn from fixed seeds, so all models see the same images.
  corruption_acc = mean accuracy over corruptions and severities; mean corruption error
  mCE = mean_c [ sum_s E(f, c, s) / sum_s E(base, c, s) ] with E the error rate and base the
  unedited model (ImageNet-C uses AlexNet as the base; here the model before editing, so the
  unedited row has mCE = 1 and lower is more robust).
"""

from __future__ import annotations

import io
import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

import numpy as np
import torch
from scipy import ndimage
from torch import nn

from .data import ImageSet
from .edits import LayerInterpolation, interpolate_layer
from .models import MicrographResNet
from .specs import CORRUPTIONS, RobustnessConfig  # re-exported: the settings live in .specs (torch-free)
from .train import predict

Check = Callable[[], None] | None


def corrupt(x: np.ndarray, name: str, severity: int, seed: int = 0) -> np.ndarray:
    """Images x (N, 1, H, W) in [0, 1] under corruption ``name`` at ``severity`` 1..5."""
    if name not in CORRUPTIONS:
        raise ValueError(f"unknown corruption {name!r}; use one of {', '.join(CORRUPTIONS)}")
    if not 1 <= severity <= 5:
        raise ValueError(f"severity must be 1..5, got {severity}")
    v = CORRUPTIONS[name][severity - 1]
    rng = np.random.default_rng([seed, list(CORRUPTIONS).index(name), severity])
    x = np.asarray(x, dtype=np.float32)
    if name == "gaussian_noise":
        out = x + v * rng.standard_normal(x.shape)
    elif name == "poisson_noise":
        out = rng.poisson(np.clip(x, 0, 1) * v) / v
    elif name == "blur":
        out = ndimage.gaussian_filter(x, sigma=(0, 0, v, v), mode="reflect")
    elif name == "contrast":
        m = x.mean(axis=(1, 2, 3), keepdims=True)
        out = (x - m) * v + m
    elif name == "brightness":
        out = x + v
    elif name == "jpeg":
        from PIL import Image

        out = np.empty_like(x)
        for i in range(x.shape[0]):
            buf = io.BytesIO()
            Image.fromarray(np.round(np.clip(x[i, 0], 0, 1) * 255).astype(np.uint8), mode="L").save(
                buf, format="JPEG", quality=int(v)
            )
            buf.seek(0)
            out[i, 0] = np.asarray(Image.open(buf), dtype=np.float32) / 255.0
    else:  # charging: bright streaks trailing to the right of bright features on some lines, line jitter
        n, _, h, w = x.shape
        lines = rng.random((n, 1, h, 1)) < 0.08 * v
        trail = ndimage.uniform_filter1d(np.clip(x - 0.6, 0, None), size=9, axis=3, origin=-4)
        out = x + lines * (0.25 * v * trail + 0.1 * v * rng.random((n, 1, h, 1)))
        shift = rng.normal(0, 0.5 * v, size=(n, 1, h, 1))
        cols = np.arange(w)[None, None, None, :] + shift
        lo = np.clip(np.floor(cols).astype(int), 0, w - 1)
        hi = np.clip(lo + 1, 0, w - 1)
        frac = cols - np.floor(cols)
        out = (1 - frac) * np.take_along_axis(out, lo, axis=3) + frac * np.take_along_axis(out, hi, axis=3)
    return np.clip(out, 0.0, 1.0).astype(np.float32)


def _subset(images: ImageSet, n: int, seed: int) -> ImageSet:
    if n <= 0 or n >= len(images):
        return images
    idx = np.sort(np.random.default_rng([seed, 7]).choice(len(images), size=n, replace=False))
    return images.take(idx)


def robust_accuracy(
    model: nn.Module,
    images: ImageSet,
    p: float,
    eps: float,
    steps: int = 10,
    seed: int = 0,
    device: str = "cpu",
    check: Check = None,
    batch: int = 200,
) -> float:
    """PGD robust accuracy (see the module docstring) through the adversarial plugin's core."""
    from workbench_adversarial.core.pgd import PGDConfig, pgd_attack

    if len(images) == 0:
        return float("nan")
    model.eval()
    req = [q.requires_grad for q in model.parameters()]
    for q in model.parameters():
        q.requires_grad_(False)
    try:
        cfg = PGDConfig(p=p, eps=float(eps), steps=int(steps))
        kept = 0
        for i in range(0, len(images), batch):
            x = torch.as_tensor(images.x[i : i + batch], device=device)
            y = torch.as_tensor(images.y[i : i + batch], device=device)
            out = pgd_attack(model, x, y, cfg, seed=seed + i, check=check)
            kept += int((~out.success).sum())
    finally:
        for q, r in zip(model.parameters(), req, strict=True):
            q.requires_grad_(r)
    return kept / len(images)


@dataclass
class CorruptionScores:
    """accuracy[c][s - 1]: accuracy under corruption c at severity s (for the severities run;
    missing ones nan); mean: mean over corruptions and severities."""

    accuracy: dict[str, list[float]]
    mean: float


def corruption_accuracy(
    model: nn.Module,
    images: ImageSet,
    cfg: RobustnessConfig,
    device: str = "cpu",
    check: Check = None,
    corrupted: dict[tuple[str, int], np.ndarray] | None = None,
) -> CorruptionScores:
    """Accuracy under every corruption and severity of ``cfg`` (``corrupted``: a cache of the
    corrupted images, filled on first use, shared between models)."""
    acc: dict[str, list[float]] = {}
    vals = []
    for c in cfg.corruptions:
        row = [float("nan")] * 5
        for s in cfg.severities:
            key = (c, s)
            if corrupted is not None and key in corrupted:
                xc = corrupted[key]
            else:
                xc = corrupt(images.x, c, s, cfg.seed)
                if corrupted is not None:
                    corrupted[key] = xc
            a = float((predict(model, xc, device, check=check).argmax(1) == images.y).mean())
            row[s - 1] = a
            vals.append(a)
        acc[c] = row
    return CorruptionScores(acc, float(np.mean(vals)) if vals else float("nan"))


def mean_corruption_error(scores: CorruptionScores, base: CorruptionScores) -> float:
    """mCE of ``scores`` relative to ``base`` (see the module docstring); nan if undefined."""
    ces = []
    for c, row in scores.accuracy.items():
        e = [1 - a for a in row if not math.isnan(a)]
        eb = [1 - a for a in base.accuracy.get(c, []) if not math.isnan(a)]
        if e and len(e) == len(eb) and sum(eb) > 0:
            ces.append(sum(e) / sum(eb))
    return float(np.mean(ces)) if ces else float("nan")


@dataclass
class Metrics:
    """One model's numbers.  acc: test-set name -> accuracy (``source``, each shifted domain,
    ``edit``); robust_inf / robust_2: PGD robust accuracies; corruption: the suite's scores;
    mce: mean corruption error against the unedited model (1 for the unedited model)."""

    acc: dict[str, float]
    robust_inf: float
    robust_2: float
    corruption: CorruptionScores
    mce: float = 1.0


@dataclass
class EvalSets:
    """The images every model of a comparison is measured on: ``tests`` (source and each shifted
    test set), the source subsets for the attack and the corruptions, the corrupted images."""

    tests: dict[str, ImageSet]
    robust: ImageSet
    corrupt: ImageSet
    cfg: RobustnessConfig
    corrupted: dict[tuple[str, int], np.ndarray] = field(default_factory=dict)


def eval_sets(source_test: ImageSet, shifted: dict[str, ImageSet], cfg: RobustnessConfig) -> EvalSets:
    cfg = cfg.check()
    return EvalSets(
        {"source": source_test, **shifted},
        _subset(source_test, cfg.n_robust, cfg.seed),
        _subset(source_test, cfg.n_corrupt, cfg.seed + 1),
        cfg,
    )


def measure(
    model: nn.Module,
    sets: EvalSets,
    edit: ImageSet | None = None,
    device: str = "cpu",
    check: Check = None,
    base: CorruptionScores | None = None,
    robustness: bool = True,
    seed: int = 0,
) -> Metrics:
    """Every metric of ``model`` on ``sets`` (and the edit set); ``base``: the unedited model's
    corruption scores for the mCE (None: this is the base, mCE 1); ``robustness=False`` skips
    PGD and corruptions (nan)."""
    model = model.to(device).eval()
    acc = {
        n: float((predict(model, s.x, device, check=check).argmax(1) == s.y).mean()) if len(s) else float("nan")
        for n, s in sets.tests.items()
    }
    if edit is not None:
        acc["edit"] = float((predict(model, edit.x, device, check=check).argmax(1) == edit.y).mean())
    if not robustness:
        nan = float("nan")
        return Metrics(acc, nan, nan, CorruptionScores({}, nan), nan)
    return measure_robustness(model, sets, acc, device, check, base, seed)


def measure_robustness(
    model: nn.Module,
    sets: EvalSets,
    acc: dict[str, float],
    device: str = "cpu",
    check: Check = None,
    base: CorruptionScores | None = None,
    seed: int = 0,
) -> Metrics:
    """The robustness half of :func:`measure` (PGD l_inf and l_2 with the attack seed
    ``sets.cfg.seed + seed``, the corruption suite, the mCE against ``base``), with the
    accuracies ``acc`` measured before; the expensive part (seconds to minutes)."""
    model = model.to(device).eval()
    cfg = sets.cfg
    r_inf = robust_accuracy(model, sets.robust, math.inf, cfg.eps_inf, cfg.steps, cfg.seed + seed, device, check)
    r_2 = robust_accuracy(model, sets.robust, 2.0, cfg.eps_2, cfg.steps, cfg.seed + seed, device, check)
    corr = corruption_accuracy(model, sets.corrupt, cfg, device, check, sets.corrupted)
    mce = 1.0 if base is None else mean_corruption_error(corr, base)
    return Metrics(dict(acc), r_inf, r_2, corr, mce)


@dataclass
class AlphaCurve:
    """1-LI of ``layer`` between the original and an edited model: ``alphas`` (fine grid) with the
    accuracy of every set at each (``acc[name][i]``), and at the coarse ``robust_alphas`` the
    robust and corruption accuracies."""

    layer: str
    alphas: list[float]
    acc: dict[str, list[float]]
    robust_alphas: list[float]
    robust_inf: list[float]
    robust_2: list[float]
    corruption: list[float]


def alpha_accuracies(
    original: MicrographResNet,
    edited: nn.Module,
    layer: str,
    sets: EvalSets,
    edit: ImageSet | None = None,
    alphas: Sequence[float] | None = None,
    robust_alphas: Sequence[float] = (0.0, 0.25, 0.5, 0.75, 1.0),
    device: str = "cpu",
    check: Check = None,
) -> AlphaCurve:
    """The cheap half of :func:`alpha_curve`: every accuracy on the fine grid (through
    :class:`~.edits.LayerInterpolation`, a fraction of a second per alpha); the robustness
    lists hold nan at every ``robust_alphas`` entry until :func:`robustness_at_alpha` fills them."""
    grid = [float(a) for a in (np.linspace(0, 1, 21) if alphas is None else alphas)]
    named = dict(sets.tests)
    if edit is not None:
        named["edit"] = edit
    interp = LayerInterpolation(original, edited, layer, named, device, check)
    acc: dict[str, list[float]] = {n: [] for n in named}
    for a in grid:
        if check is not None:
            check()
        for n, v in interp.accuracies(a).items():
            acc[n].append(v)
    ra = [float(a) for a in robust_alphas]
    nan = [float("nan")] * len(ra)
    return AlphaCurve(layer, grid, acc, ra, list(nan), list(nan), list(nan))


def robustness_at_alpha(
    original: MicrographResNet,
    edited: nn.Module,
    layer: str,
    sets: EvalSets,
    alpha: float,
    device: str = "cpu",
    check: Check = None,
    seed: int = 0,
) -> tuple[float, float, float]:
    """(PGD l_inf, PGD l_2, mean corruption accuracy) of the 1-LI model at ``alpha`` (attack seed
    ``sets.cfg.seed + seed``, as :func:`measure_robustness`)."""
    cfg = sets.cfg
    m = interpolate_layer(original, edited, layer, float(alpha)).to(device)
    r_inf = robust_accuracy(m, sets.robust, math.inf, cfg.eps_inf, cfg.steps, cfg.seed + seed, device, check)
    r_2 = robust_accuracy(m, sets.robust, 2.0, cfg.eps_2, cfg.steps, cfg.seed + seed, device, check)
    return r_inf, r_2, corruption_accuracy(m, sets.corrupt, cfg, device, check, sets.corrupted).mean


def alpha_curve(
    original: MicrographResNet,
    edited: nn.Module,
    layer: str,
    sets: EvalSets,
    edit: ImageSet | None = None,
    alphas: Sequence[float] | None = None,
    robust_alphas: Sequence[float] = (0.0, 0.25, 0.5, 0.75, 1.0),
    device: str = "cpu",
    check: Check = None,
    progress: Callable[[float, str], None] | None = None,
    seed: int = 0,
) -> AlphaCurve:
    """Every metric against alpha (see :class:`AlphaCurve`); accuracies through the fast
    :class:`~.edits.LayerInterpolation` (:func:`alpha_accuracies`), robustness on interpolated
    copies of the model (:func:`robustness_at_alpha`, attack seed ``sets.cfg.seed + seed``)."""
    curve = alpha_accuracies(original, edited, layer, sets, edit, alphas, robust_alphas, device, check)
    for i, a in enumerate(curve.robust_alphas):
        if progress is not None:
            progress(i / max(len(curve.robust_alphas), 1), f"robustness at alpha {a:.2f}")
        r = robustness_at_alpha(original, edited, layer, sets, a, device, check, seed)
        curve.robust_inf[i], curve.robust_2[i], curve.corruption[i] = r
    return curve


# --------------------------------------------------------------------------- the table
#: columns of the comparison table: (key, header)
COLUMNS = (
    ("source_acc", "source"),
    ("shift_mean", "shifted (mean)"),
    ("edit_acc", "edit set"),
    ("robust_acc", "PGD l_inf"),
    ("robust_l2", "PGD l_2"),
    ("corruption_acc", "corruptions"),
    ("mce", "mCE"),
)


def metric_row(m: Metrics, shifted: Sequence[str]) -> dict[str, float]:
    """A model's metrics as a flat row: source_acc, <domain>_acc per shifted domain (``-`` and
    spaces become ``_``), shift_mean, edit_acc, robust_acc (l_inf), robust_l2, corruption_acc, mce."""
    row = {"source_acc": m.acc.get("source", float("nan"))}
    for d in shifted:
        row[f"{domain_key(d)}_acc"] = m.acc.get(d, float("nan"))
    row["shift_mean"] = float(np.mean([m.acc[d] for d in shifted])) if shifted else float("nan")
    row.update(
        {
            "edit_acc": m.acc.get("edit", float("nan")),
            "robust_acc": m.robust_inf,
            "robust_l2": m.robust_2,
            "corruption_acc": m.corruption.mean,
            "mce": m.mce,
        }
    )
    return row


def domain_key(domain: str) -> str:
    """A domain's name as a key: lower case, every non-alphanumeric character an underscore."""
    return "".join(ch if ch.isalnum() else "_" for ch in domain.lower())


def summarise(rows: Sequence[dict[str, float]]) -> tuple[dict[str, float], dict[str, float]]:
    """Mean and sample standard deviation (ddof 1; 0 for one seed) of each key over ``rows``."""
    keys = list(rows[0]) if rows else []
    mean = {
        k: float(np.nanmean([r[k] for r in rows])) if any(not math.isnan(r[k]) for r in rows) else float("nan")
        for k in keys
    }
    std = {k: float(np.nanstd([r[k] for r in rows], ddof=1)) if len(rows) > 1 else 0.0 for k in keys}
    return mean, std


def format_table(
    methods: Sequence[str],
    means: Sequence[dict[str, float]],
    stds: Sequence[dict[str, float]],
    shifted: Sequence[str],
    fmt: str = "markdown",
    seeds: int = 1,
) -> str:
    """The comparison table (methods x metrics, mean +- sd over seeds) as Markdown, CSV or LaTeX."""
    cols = (
        [("source_acc", "source")]
        + [(f"{domain_key(d)}_acc", d) for d in shifted]
        + [c for c in COLUMNS if c[0] not in ("source_acc", "shift_mean")]
    )
    if fmt not in ("markdown", "csv", "latex"):
        raise ValueError(f"table format must be markdown, csv or latex, got {fmt!r}")

    def cell(mu: float, sd: float) -> str:
        if math.isnan(mu):
            return "-"
        return f"{mu:.3f}" + (f" ± {sd:.3f}" if seeds > 1 else "")

    if fmt == "csv":
        head = ["method"] + [f"{k}_{part}" for k, _ in cols for part in ("mean", "sd")]
        lines = [",".join(head)]
        for name, mu, sd in zip(methods, means, stds, strict=True):
            lines.append(",".join([name] + [f"{mu[k]:.6g},{sd.get(k, 0.0):.6g}" for k, _ in cols]))
        return "\n".join(lines) + "\n"
    if fmt == "latex":
        lines = [
            r"\begin{tabular}{l" + "r" * len(cols) + "}",
            r"\hline",
            "method & " + " & ".join(h.replace("_", r"\_") for _, h in cols) + r" \\",
            r"\hline",
        ]
        for name, mu, sd in zip(methods, means, stds, strict=True):
            cells = [cell(mu[k], sd.get(k, 0.0)).replace("±", r"$\pm$") for k, _ in cols]
            lines.append(name.replace("_", r"\_") + " & " + " & ".join(cells) + r" \\")
        lines += [r"\hline", r"\end{tabular}"]
        return "\n".join(lines) + "\n"
    lines = ["| method | " + " | ".join(h for _, h in cols) + " |", "|---" * (len(cols) + 1) + "|"]
    for name, mu, sd in zip(methods, means, stds, strict=True):
        lines.append(f"| {name} | " + " | ".join(cell(mu[k], sd.get(k, 0.0)) for k, _ in cols) + " |")
    return "\n".join(lines) + "\n"
