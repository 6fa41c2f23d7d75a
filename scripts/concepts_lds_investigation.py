"""LDS investigation: the same TRAK features (member 0 of the shipped ensemble, all 3000
training images), two target functions scored on the same 20 held-out round positives:
(a) our probe margin (fixed probe) vs retrained nets with a REFIT probe (the panel's LDS);
(b) traker's image_classification margin on the same images with their class labels vs the
retrained nets' class margins (no probe).  Same M half-subset retrainings for both.

    python scripts/concepts_lds_investigation.py [M subsets, default 8] [proj_dim, default 512]

(the numbers in docs/concepts.md: M = 10, proj_dim = 512; writes concepts_lds_investigation.npz
with the masks, scores and retrained outputs into the current folder)."""

import copy
import logging
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
import torch

torch.set_num_threads(1)
sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "plugins"))
import trak  # noqa: E402
from trak.projectors import BasicProjector, ProjectionType  # noqa: E402

from workbench_concepts.core.attribution import ProbedNet, _probe_margin_output, half_masks, lds_from_outputs  # noqa: E402
from workbench_concepts.core.probes import fit_probe, pooled_features  # noqa: E402
from workbench_concepts.core.resnet import ConceptResNet  # noqa: E402
from workbench_concepts.core.train import train_member  # noqa: E402
from workbench_concepts.jobs import _targets, load_ensemble_and_data, probe_concepts  # noqa: E402

M = int(sys.argv[1]) if len(sys.argv) > 1 else 8
PD = int(sys.argv[2]) if len(sys.argv) > 2 else 512
t0 = time.time()
L = load_ensemble_and_data()
data = L.data
train = data.train
model = L.models[0]
_, fitted = probe_concepts([model], data, (1,), None, ("round",))
probe = fitted["round"].probes[0][4]
cset = data.concepts["round"]
xt, yt = _targets(data, "round", 20)
# class labels of the target images (round positives of the concept set: their generated class)
ct = cset.test.labels[np.flatnonzero(cset.test_y)[:20]]
net = ProbedNet(copy.deepcopy(model), "layer4", probe).eval()
ck = {k: v.detach().clone() for k, v in net.state_dict().items()}
work = ProbedNet(ConceptResNet(model.width, model.num_classes), "layer4").eval()
npar = sum(p.numel() for p in work.parameters())


def proj():
    return BasicProjector(
        grad_dim=npar,
        proj_dim=PD,
        seed=0,
        proj_type=ProjectionType.normal,
        device="cpu",
        block_size=PD,
        dtype=torch.float32,
    )


common = dict(
    train_set_size=len(train), device="cpu", proj_dim=PD, use_half_precision=False, logging_level=logging.ERROR
)
X, Y = torch.from_numpy(train.images), torch.from_numpy(train.labels)
out = {}
with tempfile.TemporaryDirectory() as d:
    f = trak.TRAKer(model=work, task="image_classification", save_dir=d, projector=proj(), **common)
    f.load_checkpoint(ck, model_id=0)
    for s in range(0, len(train), 100):
        f.featurize(batch=(X[s : s + 100], Y[s : s + 100]), num_samples=min(100, len(train) - s))
    f.finalize_features()
    print(f"featurized {time.time() - t0:.0f} s", flush=True)
    for name, task, lab in (("probe", _probe_margin_output(), yt), ("class", "image_classification", ct)):
        sc = trak.TRAKer(model=work, task=task, save_dir=d, load_from_save_dir=True, projector=proj(), **common)
        sc.start_scoring_checkpoint(exp_name=name, checkpoint=ck, model_id=0, num_targets=20)
        sc.score(
            batch=(torch.from_numpy(np.ascontiguousarray(xt)), torch.from_numpy(np.asarray(lab, np.int64))),
            num_samples=20,
        )
        out[name] = np.array(sc.finalize_scores(exp_name=name), dtype=np.float64)
masks = half_masks(len(train), M, 0)
act_probe = np.zeros((M, 20))
act_class = np.zeros((M, 20))
act_fixed = np.zeros((M, 20))
seed = int(L.provenance["seeds"][0])
for j in range(M):
    m = train_member(train, seed, L.train_cfg, indices=np.flatnonzero(masks[j]))
    p = fit_probe("layer4", pooled_features(m, cset.fit)["layer4"], cset.fit_y)
    act_probe[j] = p.logits(pooled_features(m, xt)["layer4"])
    act_fixed[j] = probe.logits(pooled_features(m, xt)["layer4"])  # the original probe on the retrained features
    with torch.no_grad():
        lg = m(torch.from_numpy(np.ascontiguousarray(xt))).double()
    correct = lg[torch.arange(20), torch.from_numpy(ct)]
    lg[torch.arange(20), torch.from_numpy(ct)] = -1e9
    act_class[j] = (correct - torch.logsumexp(lg, 1)).numpy()  # traker's multiclass margin
    print(f"subset {j + 1}/{M} {time.time() - t0:.0f} s", flush=True)
res = {}
for name, s, a in (
    ("probe margin, refit probe", out["probe"], act_probe),
    ("probe margin, original probe on retrained features", out["probe"], act_fixed),
    ("class margin (traker's image_classification output)", out["class"], act_class),
):
    r = lds_from_outputs(s, masks, a)
    res[name] = (r.lds, r.ci)
    print(f"LDS {name}: {r.lds:.3f} (95% CI {r.ci[0]:.3f} .. {r.ci[1]:.3f})", flush=True)
np.savez(
    "concepts_lds_investigation.npz",
    masks=masks,
    act_probe=act_probe,
    act_class=act_class,
    act_fixed=act_fixed,
    s_probe=out["probe"],
    s_class=out["class"],
)
print(f"total {time.time() - t0:.0f} s; M={M} proj_dim={PD}")
