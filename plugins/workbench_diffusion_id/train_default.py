"""Retrain the embedded default of the diffusion intrinsic-dimension plugin (a script, never imported).

    nice -n 10 python -m workbench_diffusion_id.train_default [--out resources/diffusion_id]
        [--vae-minutes 7] [--unet-minutes 27] [--lm-minutes 4] [--images 16000] [--seed 0] [--threads 1]

Stages (each runs for its wall-clock budget, so the whole takes about 40 minutes on a 2-core CPU):

1. a CLIP BPE tokenizer from the merges file of the ``open_clip_torch`` package
   (:mod:`workbench_diffusion_id.core.clip_bpe`; ``pip install --no-deps open_clip_torch``);
2. the generated captioned data set (:mod:`workbench_diffusion_id.core.shapes_data`);
3. the ``AutoencoderKL`` (reconstruction MSE + 1e-6 KL, AdamW 2e-3, batch 128), its latent scaling factor
   set to 1 / std of the latents as Stable Diffusion does;
4. the ``UNet2DConditionModel`` and the ``CLIPTextModel`` together on cached latents (epsilon
   prediction on SD's scaled-linear schedule, 10% empty captions for classifier-free guidance,
   batch 256, AdamW 2e-3 after a 50-step warm-up, gradients clipped at norm 1, an exponential
   moving average (decay 0.99) of the weights kept and shipped);
5. the surrogate language model (``GPT2LMHeadModel``) on grammatical captions and English
   docstrings of Python's standard library;
6. an evaluation of the shipped pipeline (how often the dominant colour and the position of a
   generated single-object image are the ones the prompt asks for), and the folders written with
   ``save_pretrained(safe_serialization=True)`` (weights stored as float16) plus ``provenance.json``.
"""

from __future__ import annotations

import argparse
import ast
import copy
import hashlib
import json
import math
import platform
import shutil
import sys
import sysconfig
import time
from pathlib import Path
from typing import Any

import numpy as np

from workbench_diffusion_id.core import clip_bpe, default_model, shapes_data

VAE_BATCH = 128
UNET_BATCH = 256
UNET_LR = 2e-3
EMA_DECAY = 0.99
LM_MAX_TOKENS = 48


def _log(msg: str) -> None:
    print(f"[{time.strftime('%H:%M:%S')}] {msg}", flush=True)


def docstring_corpus(max_chars: int = 1_500_000) -> tuple[list[str], list[str]]:
    """Paragraphs of English from the docstrings of the standard library's top-level modules
    (modules, classes, functions), and the module names used."""
    lib = Path(sysconfig.get_paths()["stdlib"])
    texts: list[str] = []
    used: list[str] = []
    total = 0
    for path in sorted(lib.glob("*.py")):
        try:
            tree = ast.parse(path.read_text(encoding="utf-8"))
        except (SyntaxError, UnicodeDecodeError, OSError):
            continue
        docs = [
            ast.get_docstring(n)
            for n in ast.walk(tree)
            if isinstance(n, (ast.Module, ast.ClassDef, ast.FunctionDef, ast.AsyncFunctionDef))
        ]
        n_before = len(texts)
        for d in docs:
            if not d:
                continue
            for para in d.split("\n\n"):
                line = " ".join(para.split())
                letters = sum(c.isalpha() or c == " " for c in line)
                if len(line) >= 30 and letters > 0.9 * len(line) and not line.startswith((">>>", "...")):
                    texts.append(line)
                    total += len(line)
        if len(texts) > n_before:
            used.append(path.stem)
        if total >= max_chars:
            break
    return texts, used


def _tokenize(tok, captions: list[str], length: int):
    import torch

    enc = tok(captions, padding="max_length", max_length=length, truncation=True, return_tensors="pt")
    return enc.input_ids.to(torch.long)


def train_vae(vae, images: np.ndarray, minutes: float, seed: int) -> dict:
    import torch

    g = torch.Generator().manual_seed(seed)
    x_all = torch.from_numpy(images).permute(0, 3, 1, 2).float() / 127.5 - 1
    n_val = 512
    x_val, x_tr = x_all[:n_val], x_all[n_val:]
    opt = torch.optim.AdamW(vae.parameters(), lr=2e-3, weight_decay=0.0)
    vae.train()
    t0, step, losses = time.time(), 0, []
    while time.time() - t0 < minutes * 60:
        idx = torch.randint(0, len(x_tr), (VAE_BATCH,), generator=g)
        x = x_tr[idx]
        post = vae.encode(x).latent_dist
        z = post.mean + post.std * torch.randn(post.mean.shape, generator=g)
        rec = vae.decode(z).sample
        loss = torch.mean((rec - x) ** 2) + 1e-6 * post.kl().mean()
        opt.zero_grad(set_to_none=True)
        loss.backward()
        opt.step()
        losses.append(float(loss.detach()))
        step += 1
        if step % 20 == 0:
            _log(f"vae step {step} loss {np.mean(losses[-20:]):.4f}")
    vae.eval()
    with torch.no_grad():
        val = float(torch.mean((vae.decode(vae.encode(x_val).latent_dist.mean).sample - x_val) ** 2))
    return {
        "steps": step,
        "batch": VAE_BATCH,
        "final_train_loss": float(np.mean(losses[-20:])),
        "val_mse": val,
        "seconds": round(time.time() - t0, 1),
    }


def encode_latents(vae, images: np.ndarray):
    import torch

    means, stds = [], []
    with torch.no_grad():
        for s in range(0, len(images), 256):
            x = torch.from_numpy(images[s : s + 256]).permute(0, 3, 1, 2).float() / 127.5 - 1
            post = vae.encode(x).latent_dist
            means.append(post.mean)
            stds.append(post.std)
    return torch.cat(means), torch.cat(stds)


def train_unet(
    unet, te, sched, lat_mean, lat_std, ids, empty_ids, scaling: float, minutes: float, seed: int
) -> tuple[dict, Any, Any]:
    import torch

    g = torch.Generator().manual_seed(seed + 1)
    params = list(unet.parameters()) + list(te.parameters())
    opt = torch.optim.AdamW(params, lr=UNET_LR, weight_decay=1e-4)
    ema_unet, ema_te = copy.deepcopy(unet).eval(), copy.deepcopy(te).eval()
    ema_params = list(ema_unet.parameters()) + list(ema_te.parameters())
    acp = sched.alphas_cumprod
    unet.train()
    te.train()
    t0, step, losses = time.time(), 0, []
    batch = UNET_BATCH
    while time.time() - t0 < minutes * 60:
        idx = torch.randint(0, len(lat_mean), (batch,), generator=g)
        z0 = (lat_mean[idx] + lat_std[idx] * torch.randn(lat_mean[idx].shape, generator=g)) * scaling
        tok = ids[idx].clone()
        drop = torch.rand(batch, generator=g) < 0.1
        tok[drop] = empty_ids
        t = torch.randint(0, sched.config.num_train_timesteps, (batch,), generator=g)
        noise = torch.randn(z0.shape, generator=g)
        a = acp[t].view(-1, 1, 1, 1)
        zt = a.sqrt() * z0 + (1 - a).sqrt() * noise
        pred = unet(zt, t, encoder_hidden_states=te(tok)[0]).sample
        loss = torch.mean((pred - noise) ** 2)
        for group in opt.param_groups:
            group["lr"] = UNET_LR * min(1.0, (step + 1) / 50)
        opt.zero_grad(set_to_none=True)
        loss.backward()
        torch.nn.utils.clip_grad_norm_(params, 1.0)
        opt.step()
        decay = min(EMA_DECAY, (1 + step) / (10 + step))
        with torch.no_grad():
            for pe, p in zip(ema_params, params, strict=True):
                pe.mul_(decay).add_(p.detach(), alpha=1 - decay)
        losses.append(float(loss.detach()))
        step += 1
        if step % 20 == 0:
            _log(f"unet step {step} loss {np.mean(losses[-20:]):.4f}")
    return (
        {
            "steps": step,
            "batch": batch,
            "final_train_loss": float(np.mean(losses[-50:])),
            "seconds": round(time.time() - t0, 1),
            "ema_decay": EMA_DECAY,
            "cfg_dropout": 0.1,
            "lr": UNET_LR,
        },
        ema_unet,
        ema_te,
    )


def train_lm(lm, tok, texts: list[str], minutes: float, seed: int) -> dict:
    import torch

    g = torch.Generator().manual_seed(seed + 2)
    rng = np.random.default_rng(seed + 2)
    enc = [e for e in tok(texts, truncation=True, max_length=LM_MAX_TOKENS)["input_ids"] if len(e) >= 3]
    order = rng.permutation(len(enc))
    val = [enc[i] for i in order[:300]]
    tr = [enc[i] for i in order[300:]]
    opt = torch.optim.AdamW(lm.parameters(), lr=2e-3, weight_decay=0.01)
    pad = tok.pad_token_id

    def batch_of(seqs):
        w = max(len(s) for s in seqs)
        ids = torch.full((len(seqs), w), pad, dtype=torch.long)
        mask = torch.zeros((len(seqs), w), dtype=torch.long)
        for i, s in enumerate(seqs):
            ids[i, : len(s)] = torch.tensor(s)
            mask[i, : len(s)] = 1
        labels = ids.masked_fill(mask == 0, -100)
        return ids, mask, labels

    lm.train()
    t0, step, losses = time.time(), 0, []
    while time.time() - t0 < minutes * 60:
        idx = torch.randint(0, len(tr), (32,), generator=g).tolist()
        ids, mask, labels = batch_of([tr[i] for i in idx])
        loss = lm(input_ids=ids, attention_mask=mask, labels=labels).loss
        opt.zero_grad(set_to_none=True)
        loss.backward()
        opt.step()
        losses.append(float(loss.detach()))
        step += 1
        if step % 50 == 0:
            _log(f"lm step {step} loss {np.mean(losses[-50:]):.3f}")
    lm.eval()
    vl = []
    with torch.no_grad():
        for i in range(0, len(val), 50):
            ids, mask, labels = batch_of(val[i : i + 50])
            vl.append(float(lm(input_ids=ids, attention_mask=mask, labels=labels).loss))
    return {
        "steps": step,
        "batch": 32,
        "max_tokens": LM_MAX_TOKENS,
        "final_train_loss": float(np.mean(losses[-50:])),
        "val_loss": float(np.mean(vl)),
        "val_perplexity": float(math.exp(np.mean(vl))),
        "seconds": round(time.time() - t0, 1),
    }


def _dominant_colour(img: np.ndarray) -> str | None:
    px = img.reshape(-1, 3).astype(float)
    fg = px[np.abs(px - px[0]).sum(axis=1) > 60]  # pixels unlike the (corner) background
    if len(fg) < 4:
        return None
    names = list(shapes_data.COLOURS)
    cols = np.array([shapes_data.COLOURS[n] for n in names], dtype=float)
    votes = np.argmin(((fg[:, None, :] - cols[None]) ** 2).sum(axis=2), axis=1)
    return names[int(np.bincount(votes, minlength=len(names)).argmax())]


def _foreground_cell(img: np.ndarray) -> tuple[int, int] | None:
    px = img.astype(float)
    m = np.abs(px - px[0, 0]).sum(axis=2) > 60
    if m.sum() < 4:
        return None
    ys, xs = np.nonzero(m)
    return int(ys.mean() * 3 // img.shape[0]), int(xs.mean() * 3 // img.shape[1])


def evaluate(pipe, seed: int, n_per_prompt: int = 4) -> dict:
    """Fraction of generated single-object images whose dominant colour / position is the one asked."""
    from workbench_diffusion_id.core.pipeline import generate

    rng = np.random.default_rng(seed + 3)
    colour_hits = colour_n = pos_hits = pos_n = 0
    for colour in shapes_data.COLOURS:
        shape = str(rng.choice(shapes_data.SHAPES))
        pos = str(rng.choice(list(shapes_data.POSITIONS)))
        g = generate(
            pipe,
            f"a {colour} {shape} in the {pos}" if pos != "center" else f"a {colour} {shape} in the center",
            n_images=n_per_prompt,
            steps=20,
            guidance=4.0,
            seed=seed + 100,
            layers=("latents",),
        )
        for img in g.images:
            colour_n += 1
            colour_hits += _dominant_colour(img) == colour
            pos_n += 1
            pos_hits += _foreground_cell(img) == shapes_data.POSITIONS[pos]
    return {
        "colour_accuracy": colour_hits / colour_n,
        "position_accuracy": pos_hits / pos_n,
        "images": colour_n,
        "sampler": "DDIM 20 steps, guidance 4",
        "chance_colour": 1 / 8,
        "chance_position": 1 / 9,
    }


def _sha256(p: Path) -> str:
    return hashlib.sha256(p.read_bytes()).hexdigest()


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description="Retrain the embedded default of the diffusion_id plugin")
    here = Path(__file__).resolve().parents[2] / "resources" / default_model.RESOURCE_DIR
    ap.add_argument("--out", default=str(here))
    ap.add_argument("--vae-minutes", type=float, default=7.0)
    ap.add_argument("--unet-minutes", type=float, default=27.0)
    ap.add_argument("--lm-minutes", type=float, default=4.0)
    ap.add_argument("--images", type=int, default=16000)
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--threads", type=int, default=1)
    ap.add_argument("--no-eval", action="store_true")
    args = ap.parse_args(argv)

    import torch

    torch.set_num_threads(args.threads)
    torch.manual_seed(args.seed)
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    arch = default_model.DefaultArchitecture()
    started = time.time()

    work = out / ".train_tmp"
    tok = clip_bpe.build_tokenizer(work / "tokenizer", n_merges=arch.n_merges, model_max_length=arch.max_tokens)
    merges_file = clip_bpe.merges_path()
    _log(f"tokenizer: {len(tok)} tokens from the first {arch.n_merges} merges of {merges_file}")

    images, captions = shapes_data.make_dataset(args.images, args.seed)
    _log(f"data: {len(images)} images, e.g. {captions[:3]}")

    vae = default_model.build_vae(arch)
    vae_stats = train_vae(vae, images, args.vae_minutes, args.seed)
    _log(f"vae: {vae_stats}")
    lat_mean, lat_std = encode_latents(vae, images)
    scaling = float(1.0 / lat_mean.std())
    vae.register_to_config(scaling_factor=scaling)

    te = default_model.build_text_encoder(arch, tok)
    unet = default_model.build_unet(arch)
    sched = default_model.build_scheduler()
    ids = _tokenize(tok, captions, arch.max_tokens)
    empty = _tokenize(tok, [""], arch.max_tokens)[0]
    unet_stats, ema_unet, ema_te = train_unet(
        unet, te, sched, lat_mean, lat_std, ids, empty, scaling, args.unet_minutes, args.seed
    )
    _log(f"unet: {unet_stats}")

    docs, modules = docstring_corpus()
    lm_captions = shapes_data.caption_corpus(20000, args.seed + 7, garble_fraction=0.0)
    lm = default_model.build_lm(arch, tok)
    lm_stats = train_lm(lm, tok, lm_captions + docs, args.lm_minutes, args.seed)
    _log(f"lm: {lm_stats}")

    pipe = default_model.assemble_pipeline(vae.eval(), ema_te.eval(), tok, ema_unet.eval(), sched)
    pipe_dir, lm_dir = out / default_model.PIPELINE_NAME, out / default_model.LM_NAME
    pipe.to(torch.float16).save_pretrained(pipe_dir, safe_serialization=True)
    lm.half().save_pretrained(lm_dir, safe_serialization=True)
    tok.save_pretrained(lm_dir)
    # the evaluation runs on what ships: the saved folder, loaded as users' pipelines are
    from workbench_diffusion_id.core.pipeline import load_pipeline

    evaluation = {} if args.no_eval else evaluate(load_pipeline(pipe_dir), args.seed)
    _log(f"evaluation: {evaluation}")
    import diffusers
    import transformers

    prov = {
        "command": "python -m workbench_diffusion_id.train_default " + " ".join(argv or sys.argv[1:]),
        "paper": "Kvinge, Brown & Godfrey 2023, arXiv 2302.09301 (the experiment this default serves)",
        "seed": args.seed,
        "threads": args.threads,
        "architecture": arch.to_dict(),
        "tokenizer": {
            "kind": "CLIP byte-level BPE",
            "merges_file": merges_file.name,
            "merges_sha256": _sha256(merges_file),
            "package": "open_clip_torch",
            "n_merges": arch.n_merges,
            "vocab_size": len(tok),
        },
        "data": {
            "generator": "workbench_diffusion_id.core.shapes_data.make_dataset",
            "images": len(images),
            "image_size": arch.image_size,
            "garbled_caption_fraction": 0.15,
        },
        "vae": vae_stats,
        "latent_scaling_factor": scaling,
        "unet_and_text_encoder": unet_stats,
        "language_model": {
            **lm_stats,
            "surrogate": True,
            "corpus": {
                "captions": len(lm_captions),
                "docstring_paragraphs": len(docs),
                "docstring_source": f"Python {platform.python_version()} standard library "
                f"(top-level modules: {len(modules)})",
            },
        },
        "evaluation": evaluation,
        "weights_dtype": "float16 (loaded as float32 on the CPU)",
        "total_seconds": round(time.time() - started, 1),
        "versions": {
            "torch": torch.__version__,
            "diffusers": diffusers.__version__,
            "transformers": transformers.__version__,
            "python": platform.python_version(),
        },
        "date": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
    }
    (out / default_model.PROVENANCE).write_text(json.dumps(prov, indent=2) + "\n", encoding="utf-8")
    shutil.rmtree(work)
    _log(f"wrote {pipe_dir}, {lm_dir} and {out / default_model.PROVENANCE}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
