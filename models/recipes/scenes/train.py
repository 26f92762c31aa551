#!/usr/bin/python3
"""The scenes model family recipe: a miniature Stable Diffusion trained on procedural scenes.

    /usr/bin/python3 models/recipes/scenes/train.py <stage> [--minutes M] [--seed S]
    /usr/bin/python3 models/recipes/scenes/train.py --smoke      # every stage, a few steps, temp dir

Stages, in order (each resumes from its checkpoint in models/recipes/.work/ and stops on its time
budget): data, ae, evaluator, teacher, lora, lcm (starts from the teacher with the LoRA merged),
pd, export. See README.md next to this file.
Uses CUDA when present; on CPU set the thread count with --threads (default 2).
"""
import argparse
import copy
import json
import math
import os
import shutil
import struct
import subprocess
import sys
import tempfile
import time

import numpy as np
import torch
import torch.nn.functional as F

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
sys.path.insert(0, os.path.dirname(HERE))
import nets  # noqa: E402
from from_onnx import store_fp16  # noqa: E402
from make_fixtures import BASE_SYMBOLS, learn_merges, export, write_json, SD_SCHEDULER, LCM_SCHEDULER  # noqa: E402

ROOT = os.path.abspath(os.path.join(HERE, "..", "..", ".."))
SIZE = 64
TRAIN_COUNT, TRAIN_SEED = 20000, 0
HELDOUT_COUNT, HELDOUT_SEED = 512, 1_000_000
GUIDANCE = 3.0          # the guidance scale baked into PD students and LCM-LoRA (w = GUIDANCE - 1)
LCM_G_RANGE = (1.5, 4.5)  # guidance scales the LCM student is distilled for (embedded as w = g - 1)
LCM_LR = 2e-5            # full-parameter LCM learning rate (from the teacher + LCM-LoRA initialisation)
# The LCM folder's default guidance (_fewstep_defaults): the best of 3, 3.5, 4, 4.5 for LCM 4 steps on
# 500 validation prompts (scenes of seed 4,000,000, image seeds 2,000,000 + i; evalModels
# --sweep-lcm-guidance), none of them the evaluation's (seed 3,000,000).
LCM_GUIDANCE = 4.0
LCM_K = 20               # skipping-step interval: 1000 / 50 original steps
TIMESTEP_SCALING = 10.0
SIGMA_DATA = 0.5
PD_STEPS = [8, 4, 2, 1]  # students, each from a teacher sampler with twice the steps (16 first)

ATTRS = [
    ("timeOfDay", ["sunrise", "noon", "sunset", "night"]),
    ("terrain", ["mountains", "hills", "ocean", "desert"]),
    ("palette", ["warm", "cool", "purple", "golden"]),
    ("style", ["oil painting", "flat"]),
    ("celestial", [False, True]),
    ("clouds", [False, True]),
    ("stars", [False, True]),
]
N_LOGITS = sum(len(v) for _, v in ATTRS)

WORDS = ("a an the of in at beautiful sunrise noon sunset night sky over mountains hills ocean desert "
         "with sun moon clouds cloud and stars star oil painting flat style warm cool purple golden colors colours").split()


# ---------------------------------------------------------------------------------------------
# Utilities
# ---------------------------------------------------------------------------------------------


class Ctx:
    def __init__(self, args):
        self.smoke = args.smoke
        self.work = args.work
        self.out = args.out
        self.seed = args.seed
        self.minutes = args.minutes
        self.lr = args.lr
        self.lcm_init = args.lcm_init
        self.lcm_g_range = tuple(args.lcm_g_range)
        self.target_ema = args.target_ema
        self.cond_lr = args.cond_lr
        self.ckpt = args.ckpt
        self.only = args.only
        self.lcm_guidance = args.lcm_guidance
        self.device = torch.device("cuda" if torch.cuda.is_available() else "cpu")
        os.makedirs(self.work, exist_ok=True)

    def path(self, name):
        return os.path.join(self.work, name)


def log(*a):
    print(time.strftime("%H:%M:%S"), *a, flush=True)


def save_atomic(obj, path):
    torch.save(obj, path + ".tmp")
    os.replace(path + ".tmp", path)


def lr_at(base, frac, warm_frac=0.03, floor=0.1):
    """Warm-up then cosine decay over the fraction of the time budget used."""
    if frac < warm_frac:
        return base * max(frac / warm_frac, 0.05)
    p = min(1.0, (frac - warm_frac) / (1 - warm_frac))
    return base * (floor + (1 - floor) * 0.5 * (1 + math.cos(math.pi * p)))


class Budget:
    """A resumable time budget: elapsed seconds carry over in the checkpoint."""

    def __init__(self, minutes, elapsed=0.0, smoke_steps=None):
        self.seconds = minutes * 60
        self.start = time.time() - elapsed
        self.smoke_steps = smoke_steps
        self.last_save = time.time()

    def elapsed(self):
        return time.time() - self.start

    def frac(self, step):
        if self.smoke_steps:
            return step / self.smoke_steps
        return min(1.0, self.elapsed() / self.seconds)

    def done(self, step):
        return step >= self.smoke_steps if self.smoke_steps else self.elapsed() >= self.seconds

    def should_save(self):
        if time.time() - self.last_save > 60:
            self.last_save = time.time()
            return True
        return False


def load_scenes(ctx, name, count, seed):
    path = ctx.path(f"{name}.bin")
    if not os.path.exists(path):
        cli = os.path.join(ROOT, "dist", "cli", "exportScenes.js")
        subprocess.run(["node", cli, "--count", str(count), "--seed", str(seed), "--size", str(SIZE), "--out", path], check=True)
    with open(path + ".json") as f:
        side = json.load(f)
    pix = np.fromfile(path, dtype=np.uint8).reshape(side["count"], 3, SIZE, SIZE)
    return torch.from_numpy(pix.copy()), side


def attr_targets(side):
    out = np.zeros((side["count"], len(ATTRS)), dtype=np.int64)
    for i, a in enumerate(side["attributes"]):
        for j, (k, vals) in enumerate(ATTRS):
            out[i, j] = vals.index(a[k])
    return torch.from_numpy(out)


def scheduler_tables():
    """scaled_linear betas (SD): linspace(sqrt(0.00085), sqrt(0.012), 1000)^2, float32 as diffusers."""
    betas = torch.linspace(0.00085 ** 0.5, 0.012 ** 0.5, 1000, dtype=torch.float32) ** 2
    return torch.cumprod(1.0 - betas, dim=0)


ALPHAS = scheduler_tables()


def alpha_at(t):
    """alphas_cumprod[t]; t < 0 means the final step: alphas_cumprod[0] (set_alpha_to_one False)."""
    return torch.where(t >= 0, ALPHAS[t.clamp(min=0)], ALPHAS[0])


def bcast(v):
    return v[:, None, None, None]


# ---------------------------------------------------------------------------------------------
# Tokenizer (word-level CLIP-style BPE vocabulary; the layout of make_fixtures.py)
# ---------------------------------------------------------------------------------------------


def build_vocab():
    merges = learn_merges(WORDS)
    vocab = {}
    for s in BASE_SYMBOLS:
        vocab[s] = len(vocab)
    for s in BASE_SYMBOLS:
        vocab[s + "</w>"] = len(vocab)
    for a, b in merges:
        if a + b not in vocab:
            vocab[a + b] = len(vocab)
    vocab["<|startoftext|>"] = len(vocab)
    vocab["<|endoftext|>"] = len(vocab)
    return vocab, merges


def write_tokenizer(folder, vocab, merges):
    os.makedirs(folder, exist_ok=True)
    with open(os.path.join(folder, "vocab.json"), "w") as f:
        json.dump(vocab, f, ensure_ascii=False)
    with open(os.path.join(folder, "merges.txt"), "w") as f:
        f.write("#version: 0.2\n")
        for a, b in merges:
            f.write(f"{a} {b}\n")
    special = {"bos_token": "<|startoftext|>", "eos_token": "<|endoftext|>", "unk_token": "<|endoftext|>",
               "pad_token": "<|endoftext|>"}
    write_json(os.path.join(folder, "special_tokens_map.json"), special)
    cfg = dict(special)
    cfg.update({"tokenizer_class": "CLIPTokenizer", "model_max_length": nets.SEQ_LEN, "do_lower_case": True,
                "errors": "replace", "add_prefix_space": False, "clean_up_tokenization_spaces": True})
    write_json(os.path.join(folder, "tokenizer_config.json"), cfg)


def tokenize(texts, vocab):
    """Every scene word is one token (the merges run to whole words); punctuation is its own token."""
    import re
    bos, eos = vocab["<|startoftext|>"], vocab["<|endoftext|>"]
    out = torch.full((len(texts), nets.SEQ_LEN), eos, dtype=torch.long)
    for i, t in enumerate(texts):
        ids = [bos]
        for w in re.findall(r"[a-z]+|[0-9]|[^\sa-z0-9]+", t.lower()):
            key = w + "</w>"
            if key not in vocab:
                raise ValueError(f"word {w!r} of {t!r} is not in the vocabulary")
            ids.append(vocab[key])
        ids = ids[: nets.SEQ_LEN - 1] + [eos]
        out[i, : len(ids)] = torch.tensor(ids)
    return out


def caption_ids(side, vocab):
    """Unique captions -> ids once; per-scene index into them."""
    uniq = sorted(set(side["captions"]))
    index = {c: i for i, c in enumerate(uniq)}
    return tokenize(uniq, vocab), torch.tensor([index[c] for c in side["captions"]]), uniq


# ---------------------------------------------------------------------------------------------
# Stage: autoencoder
# ---------------------------------------------------------------------------------------------


def to_pm1(u8):
    return u8.float() / 127.5 - 1.0


def stage_ae(ctx):
    torch.manual_seed(ctx.seed)
    imgs, _ = load_scenes(ctx, "train64", TRAIN_COUNT if not ctx.smoke else 64, TRAIN_SEED)
    ae = nets.Autoencoder().to(ctx.device)
    opt = torch.optim.Adam(ae.parameters(), lr=1e-3)
    ck = ctx.path("ae.ckpt")
    step, elapsed = 0, 0.0
    if os.path.exists(ck):
        s = torch.load(ck)
        if s.get("final"):
            log("ae: done already"); return
        ae.load_state_dict(s["model"]); opt.load_state_dict(s["opt"]); step, elapsed = s["step"], s["elapsed"]
    budget = Budget(ctx.minutes, elapsed, 3 if ctx.smoke else None)
    g = torch.Generator().manual_seed(ctx.seed + step)
    bs = 32
    while not budget.done(step):
        idx = torch.randint(0, imgs.shape[0], (bs,), generator=g)
        x = to_pm1(imgs[idx])
        flip = torch.rand(bs, generator=g) < 0.5
        x[flip] = x[flip].flip(-1)
        x = x.to(ctx.device)
        for pg in opt.param_groups:
            pg["lr"] = lr_at(1e-3, budget.frac(step))
        z = ae.encoder(x)
        rec = ae.decoder(z)
        loss = F.mse_loss(rec, x) + 1e-4 * z.pow(2).mean()
        opt.zero_grad(set_to_none=True); loss.backward(); opt.step()
        step += 1
        if step % 100 == 0:
            log(f"ae step {step} loss {loss.item():.5f} psnr~{10 * math.log10(4 / F.mse_loss(rec, x).item()):.2f}")
        if budget.should_save():
            save_atomic({"model": ae.state_dict(), "opt": opt.state_dict(), "step": step, "elapsed": budget.elapsed()}, ck)
    ae.eval()
    with torch.no_grad():
        zs = torch.cat([ae.encoder(to_pm1(imgs[i:i + 256]).to(ctx.device)).cpu() for i in range(0, min(4096, imgs.shape[0]), 256)])
    scaling = float(1.0 / zs.std())
    hold, _ = load_scenes(ctx, "heldout64", HELDOUT_COUNT if not ctx.smoke else 16, HELDOUT_SEED)
    with torch.no_grad():
        x = to_pm1(hold).to(ctx.device)
        rec = torch.cat([ae.decoder(ae.encoder(x[i:i + 128])) for i in range(0, x.shape[0], 128)]).clamp(-1, 1)
        mse = ((rec - x) / 2).pow(2).flatten(1).mean(1)
        psnr = float((10 * torch.log10(1 / mse)).mean())
    info = {"steps": step, "minutes": budget.elapsed() / 60, "scaling_factor": scaling, "heldout_psnr_db": psnr,
            "latent_mean": float(zs.mean()), "batch": bs, "train_images": int(imgs.shape[0])}
    log("ae:", info)
    save_atomic({"model": ae.state_dict(), "step": step, "elapsed": budget.elapsed(), "final": True, "info": info}, ck)


def load_ae(ctx):
    s = torch.load(ctx.path("ae.ckpt"))
    ae = nets.Autoencoder()
    ae.load_state_dict(s["model"])
    return ae.eval().to(ctx.device), s["info"]


# ---------------------------------------------------------------------------------------------
# Stage: evaluator
# ---------------------------------------------------------------------------------------------


def stage_evaluator(ctx):
    torch.manual_seed(ctx.seed + 1)
    imgs, side = load_scenes(ctx, "train64", TRAIN_COUNT if not ctx.smoke else 64, TRAIN_SEED)
    ys = attr_targets(side)
    ae, _ = load_ae(ctx)
    # A pool of autoencoder reconstructions (computed once): half of each batch comes from it, so
    # that decoder blur is not read as an attribute.
    pool_n = 4096 if not ctx.smoke else 32
    rp = ctx.path("evaluator_recon.pt")
    if os.path.exists(rp):
        recon = torch.load(rp)
    else:
        with torch.no_grad():
            recon = torch.cat([((ae.decoder(ae.encoder(to_pm1(imgs[i:i + 128]).to(ctx.device))).clamp(-1, 1) + 1) * 127.5).round().byte().cpu()
                               for i in range(0, pool_n, 128)])
        save_atomic(recon, rp)
    ev = nets.Evaluator(N_LOGITS).to(ctx.device)
    opt = torch.optim.Adam(ev.parameters(), lr=2e-3)
    ck = ctx.path("evaluator.ckpt")
    step, elapsed = 0, 0.0
    if os.path.exists(ck):
        s = torch.load(ck)
        if s.get("final"):
            log("evaluator: done already"); return
        ev.load_state_dict(s["model"]); opt.load_state_dict(s["opt"]); step, elapsed = s["step"], s["elapsed"]
    budget = Budget(ctx.minutes, elapsed, 3 if ctx.smoke else None)
    g = torch.Generator().manual_seed(ctx.seed + 10 + step)
    bs = 64
    offsets = np.cumsum([0] + [len(v) for _, v in ATTRS])
    while not budget.done(step):
        idx = torch.randint(0, imgs.shape[0], (bs,), generator=g)
        idx[: bs // 2] = torch.randint(0, recon.shape[0], (bs // 2,), generator=g)
        x = torch.cat([to_pm1(recon[idx[: bs // 2]]), to_pm1(imgs[idx[bs // 2:]])])
        flip = torch.rand(bs, generator=g) < 0.5
        x[flip] = x[flip].flip(-1)
        x = x.to(ctx.device)
        y = ys[idx].to(ctx.device)
        for pg in opt.param_groups:
            pg["lr"] = lr_at(2e-3, budget.frac(step))
        logits, _ = ev((x + 1) / 2)
        loss = sum(F.cross_entropy(logits[:, offsets[j]:offsets[j + 1]], y[:, j]) for j in range(len(ATTRS)))
        opt.zero_grad(set_to_none=True); loss.backward(); opt.step()
        step += 1
        if step % 100 == 0:
            log(f"evaluator step {step} loss {loss.item():.4f}")
        if budget.should_save():
            save_atomic({"model": ev.state_dict(), "opt": opt.state_dict(), "step": step, "elapsed": budget.elapsed()}, ck)
    ev.eval()
    hold, hside = load_scenes(ctx, "heldout64", HELDOUT_COUNT if not ctx.smoke else 16, HELDOUT_SEED)
    hy = attr_targets(hside)
    with torch.no_grad():
        logits = torch.cat([ev(hold[i:i + 128].float().div(255).to(ctx.device))[0].cpu() for i in range(0, hold.shape[0], 128)])
    acc = {}
    for j, (k, _) in enumerate(ATTRS):
        acc[k] = float((logits[:, offsets[j]:offsets[j + 1]].argmax(1) == hy[:, j]).float().mean())
    info = {"steps": step, "minutes": budget.elapsed() / 60, "heldout_accuracy": acc, "batch": bs}
    log("evaluator:", info)
    save_atomic({"model": ev.state_dict(), "step": step, "elapsed": budget.elapsed(), "final": True, "info": info}, ck)


# ---------------------------------------------------------------------------------------------
# Latents and the teacher
# ---------------------------------------------------------------------------------------------


def latents_and_text(ctx):
    """Scaled latents of the training images (and their mirror images), caption ids, vocabulary."""
    vocab, merges = build_vocab()
    imgs, side = load_scenes(ctx, "train64", TRAIN_COUNT if not ctx.smoke else 64, TRAIN_SEED)
    ids_u, cap_idx, _ = caption_ids(side, vocab)
    lp = ctx.path("latents.pt")
    if os.path.exists(lp):
        lat = torch.load(lp)
    else:
        ae, info = load_ae(ctx)
        out = []
        with torch.no_grad():
            for flip in (False, True):
                for i in range(0, imgs.shape[0], 256):
                    x = to_pm1(imgs[i:i + 256])
                    if flip:
                        x = x.flip(-1)
                    out.append(ae.encoder(x.to(ctx.device)).cpu() * info["scaling_factor"])
        lat = torch.cat(out)
        save_atomic(lat, lp)
        log(f"latents {tuple(lat.shape)} std {lat.std():.3f}")
    cap2 = torch.cat([cap_idx, cap_idx])
    empty = tokenize([""], vocab)[0]
    return lat, ids_u, cap2, empty, vocab, merges


class EMA:
    def __init__(self, model, decay):
        self.model = copy.deepcopy(model).eval()
        for p in self.model.parameters():
            p.requires_grad_(False)
        self.decay = decay

    @torch.no_grad()
    def update(self, model, decay=None):
        d = self.decay if decay is None else decay
        for pe, p in zip(self.model.parameters(), model.parameters()):
            pe.mul_(d).add_(p.detach(), alpha=1 - d)


def stage_teacher(ctx):
    torch.manual_seed(ctx.seed + 2)
    lat, ids_u, cap, empty, vocab, _ = latents_and_text(ctx)
    te = nets.TextEncoder(len(vocab), vocab["<|endoftext|>"]).to(ctx.device)
    unet = nets.UNet().to(ctx.device)
    params = list(te.parameters()) + list(unet.parameters())
    opt = torch.optim.AdamW(params, lr=5e-4, weight_decay=0.0)
    ema_te, ema_unet = EMA(te, 0.999), EMA(unet, 0.999)
    ck = ctx.path("teacher.ckpt")
    step, elapsed = 0, 0.0
    if os.path.exists(ck):
        s = torch.load(ck)
        if s.get("final"):
            log("teacher: done already"); return
        te.load_state_dict(s["te"]); unet.load_state_dict(s["unet"]); opt.load_state_dict(s["opt"])
        ema_te.model.load_state_dict(s["ema_te"]); ema_unet.model.load_state_dict(s["ema_unet"])
        step, elapsed = s["step"], s["elapsed"]
    budget = Budget(ctx.minutes, elapsed, 3 if ctx.smoke else None)
    g = torch.Generator().manual_seed(ctx.seed + 20 + step)
    bs = 64
    while not budget.done(step):
        idx = torch.randint(0, lat.shape[0], (bs,), generator=g)
        x0 = lat[idx].to(ctx.device)
        ids = ids_u[cap[idx]].clone()
        drop = torch.rand(bs, generator=g) < 0.1  # condition dropout for classifier-free guidance
        ids[drop] = empty
        t = torch.randint(0, 1000, (bs,), generator=g)
        eps = torch.randn(x0.shape, generator=g).to(ctx.device)
        a = bcast(ALPHAS[t]).to(ctx.device)
        xt = a.sqrt() * x0 + (1 - a).sqrt() * eps
        for pg in opt.param_groups:
            pg["lr"] = lr_at(5e-4, budget.frac(step))
        hidden, _ = te(ids.to(ctx.device))
        loss = F.mse_loss(unet(xt, t.float().to(ctx.device), hidden), eps)
        opt.zero_grad(set_to_none=True); loss.backward()
        torch.nn.utils.clip_grad_norm_(params, 1.0)
        opt.step()
        step += 1
        dec = min(0.999, (1 + step) / (10 + step))
        ema_te.update(te, dec); ema_unet.update(unet, dec)
        if step % 100 == 0:
            log(f"teacher step {step} loss {loss.item():.4f} ({budget.elapsed() / 60:.1f} min)")
        if budget.should_save():
            save_atomic({"te": te.state_dict(), "unet": unet.state_dict(), "opt": opt.state_dict(),
                         "ema_te": ema_te.model.state_dict(), "ema_unet": ema_unet.model.state_dict(),
                         "step": step, "elapsed": budget.elapsed()}, ck)
    info = {"steps": step, "minutes": budget.elapsed() / 60, "batch": bs, "lr": 5e-4, "ema": 0.999,
            "cond_dropout": 0.1, "train_latents": int(lat.shape[0])}
    log("teacher:", info)
    save_atomic({"te": ema_te.model.state_dict(), "unet": ema_unet.model.state_dict(), "final": True,
                 "step": step, "elapsed": budget.elapsed(), "info": info}, ck)


def load_teacher(ctx, vocab):
    s = torch.load(ctx.path("teacher.ckpt"))
    assert s.get("final"), "teacher stage not finished"
    te = nets.TextEncoder(len(vocab), vocab["<|endoftext|>"])
    te.load_state_dict(s["te"])
    unet = nets.UNet()
    unet.load_state_dict(s["unet"])
    for m in (te, unet):
        for p in m.parameters():
            p.requires_grad_(False)
    return te.eval().to(ctx.device), unet.eval().to(ctx.device), s["info"]


# ---------------------------------------------------------------------------------------------
# Latent consistency distillation (Luo et al. 2023, Algorithm 1) and LCM-LoRA
# ---------------------------------------------------------------------------------------------


def guidance_embedding(w, dim=nets.TIME_COND_DIM):
    """diffusers' get_guidance_scale_embedding: w * 1000, sin then cos, exp(-k log 1e4 / (half - 1))."""
    w = w * 1000.0
    half = dim // 2
    freqs = torch.exp(torch.arange(half, dtype=torch.float32) * -(math.log(10000.0) / (half - 1)))
    args = w.float()[:, None] * freqs[None, :]
    return torch.cat([torch.sin(args), torch.cos(args)], dim=1)


def lcm_scalings(t):
    """LCM boundary-condition scalings at timestep t (diffusers, timestep_scaling 10, sigma_data 0.5)."""
    s = t.float() * TIMESTEP_SCALING
    c_skip = SIGMA_DATA ** 2 / (s ** 2 + SIGMA_DATA ** 2)
    c_out = s / (s ** 2 + SIGMA_DATA ** 2) ** 0.5
    return bcast(c_skip), bcast(c_out)


def x0_from_eps(x, eps, a):
    return (x - (1 - a).sqrt() * eps) / a.sqrt()


def consistency_step(ctx, student, target, teacher, hidden, uncond, x0, g, w_cond, w):
    """One LCD loss: student f(x_t, t) vs EMA target f(x_{t-k}, t-k), x_{t-k} by one guided DDIM step."""
    bs = x0.shape[0]
    idx = torch.randint(0, 1000 // LCM_K, (bs,), generator=g)
    t = (idx + 1) * LCM_K - 1                   # 19, 39, ..., 999
    t_prev = (t - LCM_K).clamp(min=0)
    eps = torch.randn(x0.shape, generator=g).to(ctx.device)
    a_t = bcast(ALPHAS[t]).to(ctx.device)
    a_p = bcast(ALPHAS[t_prev]).to(ctx.device)
    xt = a_t.sqrt() * x0 + (1 - a_t).sqrt() * eps
    c_skip, c_out = [v.to(ctx.device) for v in lcm_scalings(t)]
    c_skip_p, c_out_p = [v.to(ctx.device) for v in lcm_scalings(t_prev)]
    tt = t.to(ctx.device)
    eps_s = student(xt, tt.float(), hidden, w_cond) if w_cond is not None else student(xt, tt.float(), hidden)
    pred = c_skip * xt + c_out * x0_from_eps(xt, eps_s, a_t)
    with torch.no_grad():
        both = teacher(torch.cat([xt, xt]), torch.cat([tt, tt]).float(), torch.cat([hidden, uncond]))
        e_c, e_u = both.chunk(2)
        x0_c, x0_u = x0_from_eps(xt, e_c, a_t), x0_from_eps(xt, e_u, a_t)
        wb = bcast(w).to(ctx.device)
        x0_g = x0_c + wb * (x0_c - x0_u)
        e_g = e_c + wb * (e_c - e_u)
        x_prev = a_p.sqrt() * x0_g + (1 - a_p).sqrt() * e_g   # DDIM (eta 0) from t to t - k
        tp = t_prev.to(ctx.device).float()
        e_t = target(x_prev, tp, hidden, w_cond) if w_cond is not None else target(x_prev, tp, hidden)
        tgt = c_skip_p * x_prev + c_out_p * x0_from_eps(x_prev, e_t, a_p)
    return F.mse_loss(pred, tgt)


def distill_loop(ctx, name, student, params, lr, make_w, ckpt_extra, target_ema=0.95, ckpt_name=None):
    torch.manual_seed(ctx.seed + 3)
    lat, ids_u, cap, empty, vocab, _ = latents_and_text(ctx)
    te, teacher, _ = load_teacher(ctx, vocab)
    target = EMA(student, target_ema)
    opt = torch.optim.AdamW(params, lr=lr, weight_decay=0.0)
    ck = ctx.path(f"{ckpt_name or name}.ckpt")
    step, elapsed = 0, 0.0
    if os.path.exists(ck):
        s = torch.load(ck)
        if s.get("final"):
            log(f"{name}: done already"); return None
        student.load_state_dict(s["student"]); target.model.load_state_dict(s["target"]); opt.load_state_dict(s["opt"])
        step, elapsed = s["step"], s["elapsed"]
    budget = Budget(ctx.minutes, elapsed, 3 if ctx.smoke else None)
    g = torch.Generator().manual_seed(ctx.seed + 30 + step)
    bs = 64
    with torch.no_grad():
        uncond1, _ = te(empty[None].to(ctx.device))
    while not budget.done(step):
        idx = torch.randint(0, lat.shape[0], (bs,), generator=g)
        x0 = lat[idx].to(ctx.device)
        with torch.no_grad():
            hidden, _ = te(ids_u[cap[idx]].to(ctx.device))
        w, w_cond = make_w(bs, g)
        for pg in opt.param_groups:
            pg["lr"] = lr_at(pg.get("base_lr", lr), budget.frac(step), floor=0.2)
        loss = consistency_step(ctx, student, target.model, teacher, hidden, uncond1.expand(bs, -1, -1), x0, g,
                                None if w_cond is None else w_cond.to(ctx.device), w)
        opt.zero_grad(set_to_none=True); loss.backward()
        torch.nn.utils.clip_grad_norm_([p for pg in opt.param_groups for p in pg["params"]], 1.0)
        opt.step()
        target.update(student)
        step += 1
        if step % 50 == 0:
            log(f"{name} step {step} loss {loss.item():.5f} ({budget.elapsed() / 60:.1f} min)")
        if budget.should_save():
            save_atomic({"student": student.state_dict(), "target": target.model.state_dict(), "opt": opt.state_dict(),
                         "step": step, "elapsed": budget.elapsed()}, ck)
    info = {"steps": step, "minutes": budget.elapsed() / 60, "batch": bs, "lr": lr, "target_ema": target_ema,
            "solver": f"DDIM, skipping step k={LCM_K}", **ckpt_extra}
    log(f"{name}:", info)
    # The EMA target is the model diffusers' LCM recipe ships.
    save_atomic({"student": target.model.state_dict(), "final": True, "step": step, "elapsed": budget.elapsed(),
                 "info": info}, ck)
    return info


def merged_lora_unet(ctx, teacher):
    """The teacher UNet with the trained LCM-LoRA (lora.ckpt) merged into its weights:
    W + (alpha / r) * up @ down for each adapted Linear and 1x1 Conv."""
    s = torch.load(ctx.path("lora.ckpt"))
    assert s.get("final"), "lora stage not finished (the lcm stage with --lcm-init lora reads it)"
    wrapped, names = lora_unet(ctx, teacher)
    wrapped.load_state_dict(s["student"])
    merged = nets.UNet()
    merged.load_state_dict(teacher.state_dict())
    with torch.no_grad():
        for name in names:
            m = wrapped.get_submodule(name)
            delta = (m.alpha / m.rank) * (m.lora_up @ m.lora_down)
            w = merged.get_submodule(name).weight
            w.add_(delta.reshape(w.shape).to(w.device))
    return merged, s["info"]


def stage_lcm(ctx):
    vocab, _ = build_vocab()
    _, teacher, _ = load_teacher(ctx, vocab)
    student = nets.UNet()
    extra = {}
    if ctx.lcm_init == "lora":
        merged, lora_info = merged_lora_unet(ctx, teacher)
        student.load_state_dict(merged.state_dict())
        extra["init"] = f"teacher + LCM-LoRA merged (rank {lora_info['rank']}, {lora_info['steps']} steps, g = {lora_info['guidance_baked']:g} baked)"
        extra["init_stages"] = ["lora"]  # its training cost includes the LoRA stage's
    else:
        student.load_state_dict(teacher.state_dict())
        extra["init"] = "teacher"
        extra["init_stages"] = []
    student.add_cond_proj(nets.TIME_COND_DIM)
    student.to(ctx.device).train()
    for p in student.parameters():
        p.requires_grad_(True)
    lo, hi = ctx.lcm_g_range

    def make_w(bs, g):
        gs = lo + (hi - lo) * torch.rand(bs, generator=g)
        w = gs - 1.0
        return w, guidance_embedding(w)

    lr = ctx.lr or LCM_LR
    params = list(student.parameters())
    if ctx.cond_lr:
        # The zero-initialised guidance projection is new: it gets its own (larger) learning rate.
        cond = list(student.cond_proj.parameters())
        ids = {id(p) for p in cond}
        params = [{"params": [p for p in student.parameters() if id(p) not in ids], "base_lr": lr},
                  {"params": cond, "base_lr": ctx.cond_lr}]
        extra["cond_proj_lr"] = ctx.cond_lr
    distill_loop(ctx, "lcm", student, params, lr, make_w,
                 {"guidance_range": [lo, hi], "w_embedding": "guidance_scale_embedding(g - 1), 256", **extra},
                 target_ema=ctx.target_ema, ckpt_name=ctx.ckpt)


LORA_RANK, LORA_ALPHA = 8, 8


def lora_unet(ctx, teacher):
    student = nets.UNet()
    student.load_state_dict(teacher.state_dict())
    for p in student.parameters():
        p.requires_grad_(False)
    names = nets.apply_lora(student, LORA_RANK, LORA_ALPHA)
    return student.to(ctx.device), names


def stage_lora(ctx):
    vocab, _ = build_vocab()
    _, teacher, _ = load_teacher(ctx, vocab)
    student, names = lora_unet(ctx, teacher)
    params = [p for n, p in student.named_parameters() if "lora_" in n]
    student.train()

    def make_w(bs, g):
        return torch.full((bs,), GUIDANCE - 1.0), None

    distill_loop(ctx, "lora", student, params, 1e-3, make_w,
                 {"rank": LORA_RANK, "alpha": LORA_ALPHA, "guidance_baked": GUIDANCE, "modules": len(names)})


# ---------------------------------------------------------------------------------------------
# Progressive distillation (Salimans & Ho 2022, Algorithm 2; guided teacher as Meng et al. 2023)
# ---------------------------------------------------------------------------------------------


def trailing(n):
    """diffusers' trailing spacing: round(arange(1000, 0, -1000/n)) - 1."""
    return (np.round(np.arange(1000, 0, -1000 / n)).astype(np.int64) - 1)


def ddim_step(x, eps, a_t, a_n):
    x0 = x0_from_eps(x, eps, a_t)
    return a_n.sqrt() * x0 + (1 - a_n).sqrt() * eps


def cfg_eps(unet, x, t, hidden, uncond1, g=GUIDANCE):
    """Classifier-free guidance: the unconditional eps plus g times (conditional - unconditional)."""
    bs = x.shape[0]
    e_c, e_u = unet(torch.cat([x, x]), torch.cat([t, t]), torch.cat([hidden, uncond1.expand(bs, -1, -1)])).chunk(2)
    return e_u + g * (e_c - e_u)


def two_step_target(teacher_eps, x0, eps, t, n, device):
    """Progressive distillation's target (Salimans & Ho 2022) for an n-step student on the trailing grid:
    from x_t, two teacher DDIM steps of 1000/(2n) reach x_next; the target is the eps with which one DDIM
    step of 1000/n from x_t lands on x_next, weighted by truncated SNR, max(1, 1/snr).
    Returns (x_t, eps target, weight, x_next, t_next, a_t, a_next)."""
    t_mid, t_next = t - 1000 // (2 * n), t - 1000 // n
    a_t, a_m, a_n = [bcast(alpha_at(v)).to(device) for v in (t, t_mid, t_next)]
    xt = a_t.sqrt() * x0 + (1 - a_t).sqrt() * eps
    with torch.no_grad():
        x_m = ddim_step(xt, teacher_eps(xt, t), a_t, a_m)
        x_n = ddim_step(x_m, teacher_eps(x_m, t_mid.clamp(min=0)), a_m, a_n)
        s_ratio = (1 - a_n).sqrt() / (1 - a_t).sqrt()
        x0_tgt = (x_n - s_ratio * xt) / (a_n.sqrt() - s_ratio * a_t.sqrt())
        eps_tgt = (xt - a_t.sqrt() * x0_tgt) / (1 - a_t).sqrt()
        weight = torch.clamp((1 - a_t) / a_t, min=1.0)
    return xt, eps_tgt, weight, x_n, t_next, a_t, a_n


def load_final_student(ck, student, tag):
    """The finished (EMA) student of a progressive stage if its checkpoint says final, frozen; else None."""
    if not os.path.exists(ck):
        return None
    s = torch.load(ck)
    if not s.get("final"):
        return None
    student.load_state_dict(s["student"])
    for p in student.parameters():
        p.requires_grad_(False)
    log(f"{tag}: done already")
    return student.eval()


def stage_pd(ctx):
    lat, ids_u, cap, empty, vocab, _ = latents_and_text(ctx)
    te, base, _ = load_teacher(ctx, vocab)
    with torch.no_grad():
        uncond1, _ = te(empty[None].to(ctx.device))
    per_stage = ctx.minutes / len(PD_STEPS)
    teacher_model = base
    for n in PD_STEPS:
        ck = ctx.path(f"pd{n}.ckpt")
        student = nets.UNet()
        student.load_state_dict(teacher_model.state_dict())
        student.to(ctx.device)
        first = teacher_model is base
        done = load_final_student(ck, student, f"pd{n}")
        if done is not None:
            teacher_model = done
            continue
        step, elapsed = 0, 0.0
        opt = torch.optim.AdamW(student.parameters(), lr=1e-4, weight_decay=0.0)
        ema = EMA(student, 0.99)
        if os.path.exists(ck):
            s = torch.load(ck)
            student.load_state_dict(s["student"]); opt.load_state_dict(s["opt"]); ema.model.load_state_dict(s["ema"])
            step, elapsed = s["step"], s["elapsed"]
        torch.manual_seed(ctx.seed + 40 + n)
        g = torch.Generator().manual_seed(ctx.seed + 400 + n + step)
        budget = Budget(per_stage, elapsed, 3 if ctx.smoke else None)
        grid = torch.from_numpy(trailing(n))
        bs = 64
        student.train()
        while not budget.done(step):
            idx = torch.randint(0, lat.shape[0], (bs,), generator=g)
            x0 = lat[idx].to(ctx.device)
            with torch.no_grad():
                hidden, _ = te(ids_u[cap[idx]].to(ctx.device))
            t = grid[torch.randint(0, n, (bs,), generator=g)]
            eps = torch.randn(x0.shape, generator=g).to(ctx.device)

            def teacher_eps(x, tt):  # classifier-free guidance baked into the first student
                tt = tt.to(ctx.device).float()
                return cfg_eps(teacher_model, x, tt, hidden, uncond1) if first else teacher_model(x, tt, hidden)

            xt, eps_tgt, weight, _, _, _, _ = two_step_target(teacher_eps, x0, eps, t, n, ctx.device)
            for pg in opt.param_groups:
                pg["lr"] = lr_at(1e-4, budget.frac(step), floor=0.2)
            e_s = student(xt, t.to(ctx.device).float(), hidden)
            loss = (weight * (e_s - eps_tgt) ** 2).mean()
            opt.zero_grad(set_to_none=True); loss.backward()
            torch.nn.utils.clip_grad_norm_(student.parameters(), 1.0)
            opt.step()
            ema.update(student)
            step += 1
            if step % 50 == 0:
                log(f"pd{n} step {step} loss {loss.item():.5f} ({budget.elapsed() / 60:.1f} min)")
            if budget.should_save():
                save_atomic({"student": student.state_dict(), "opt": opt.state_dict(), "ema": ema.model.state_dict(),
                             "step": step, "elapsed": budget.elapsed()}, ck)
        info = {"steps": step, "minutes": budget.elapsed() / 60, "batch": bs, "lr": 1e-4, "ema": 0.99,
                "teacher": f"{'guided teacher (g=%g)' % GUIDANCE if first else 'pd-%d student' % (2 * n)}, DDIM {2 * n} steps trailing",
                "weighting": "truncated SNR"}
        log(f"pd{n}:", info)
        save_atomic({"student": ema.model.state_dict(), "final": True, "step": step, "elapsed": budget.elapsed(), "info": info}, ck)
        teacher_model = ema.model.eval()


# ---------------------------------------------------------------------------------------------
# Export (ONNX opset 17, the optimum folder layout of models/fixtures)
# ---------------------------------------------------------------------------------------------


class TimestepAsInt(torch.nn.Module):
    def __init__(self, unet):
        super().__init__()
        self.unet = unet

    def forward(self, sample, timestep, encoder_hidden_states, timestep_cond):
        return self.unet(sample, timestep.float(), encoder_hidden_states, timestep_cond)


def export_unet(unet, folder, cond):
    lat = SIZE // 8
    sample = torch.randn(1, 4, lat, lat)
    ehs = torch.randn(1, nets.SEQ_LEN, nets.TEXT_WIDTH)
    axes = {"sample": {0: "batch", 2: "height", 3: "width"}, "timestep": {0: "steps"},
            "encoder_hidden_states": {0: "batch"}, "out_sample": {0: "batch", 2: "height", 3: "width"}}
    if cond:
        model = TimestepAsInt(unet)
        args = (sample, torch.tensor([999], dtype=torch.int64), ehs, torch.randn(1, nets.TIME_COND_DIM))
        names = ["sample", "timestep", "encoder_hidden_states", "timestep_cond"]
        axes["timestep_cond"] = {0: "batch"}
    else:
        model = unet
        args = (sample, torch.tensor([999.0]), ehs)
        names = ["sample", "timestep", "encoder_hidden_states"]
    export(model.cpu().eval(), args, os.path.join(folder, "unet", "model.onnx"), names, ["out_sample"], axes)
    write_json(os.path.join(folder, "unet", "config.json"), {
        "_class_name": "UNet2DConditionModel", "_diffusers_version": "0.30.0", "sample_size": lat,
        "in_channels": 4, "out_channels": 4, "cross_attention_dim": nets.TEXT_WIDTH,
        "block_out_channels": [64, 96], "time_cond_proj_dim": nets.TIME_COND_DIM if cond else None,
        "parameters": sum(p.numel() for p in unet.parameters()),
    })


SHARED_PARTS = ("tokenizer", "text_encoder", "vae_decoder")


def export_shared(folder, base, pipeline_class, scheduler, defaults):
    """A derived model folder (LCM, PD students): its own unet/, scheduler/ and model_index.json;
    tokenizer/, text_encoder/ and vae_decoder/ are relative symlinks into the teacher's folder (the
    same files: the students share the teacher's text encoder and autoencoder), which keeps models/
    under its 40 MB budget."""
    if os.path.isdir(folder):
        shutil.rmtree(folder)
    os.makedirs(folder)
    for part in SHARED_PARTS:
        os.symlink(os.path.join("..", os.path.basename(base), part), os.path.join(folder, part))
    write_index(folder, pipeline_class, scheduler, defaults)


def write_index(folder, pipeline_class, scheduler, defaults):
    """scheduler_config.json and model_index.json; `defaults` ({"steps", "guidance"}) goes in as
    `_fewstep_defaults` (diffusers ignores `_` keys; our pipeline reads it: these models were trained
    and evaluated at guidance 3, not SD's 7.5)."""
    write_json(os.path.join(folder, "scheduler", "scheduler_config.json"), scheduler)
    write_json(os.path.join(folder, "model_index.json"), {
        "_class_name": pipeline_class, "_diffusers_version": "0.30.0", "_fewstep_defaults": defaults,
        "scheduler": ["diffusers", scheduler["_class_name"]],
        "text_encoder": ["transformers", "CLIPTextModel"], "tokenizer": ["transformers", "CLIPTokenizer"],
        "unet": ["diffusers", "UNet2DConditionModel"], "vae_decoder": ["diffusers", "AutoencoderKL"],
        "requires_safety_checker": False, "safety_checker": [None, None], "feature_extractor": [None, None],
    })


def export_common(folder, te, ae, ae_info, vocab, merges, pipeline_class, scheduler, defaults, with_encoder=False):
    if os.path.isdir(folder):
        shutil.rmtree(folder)
    write_tokenizer(os.path.join(folder, "tokenizer"), vocab, merges)
    ids = tokenize(["a beautiful sunset over mountains, oil painting style, warm colors"], vocab).int()
    export(te.cpu().eval(), (ids,), os.path.join(folder, "text_encoder", "model.onnx"), ["input_ids"],
           ["last_hidden_state", "pooler_output"],
           {"input_ids": {0: "batch"}, "last_hidden_state": {0: "batch"}, "pooler_output": {0: "batch"}})
    write_json(os.path.join(folder, "text_encoder", "config.json"), {
        "_class_name": "CLIPTextModel", "architectures": ["CLIPTextModel"], "hidden_size": nets.TEXT_WIDTH,
        "max_position_embeddings": nets.SEQ_LEN, "vocab_size": len(vocab), "num_hidden_layers": 2,
        "bos_token_id": vocab["<|startoftext|>"], "eos_token_id": vocab["<|endoftext|>"],
    })
    lat = SIZE // 8
    vae_cfg = {"_class_name": "AutoencoderKL", "_diffusers_version": "0.30.0", "latent_channels": 4,
               "in_channels": 3, "out_channels": 3, "scaling_factor": ae_info["scaling_factor"], "sample_size": SIZE,
               "block_out_channels": [16, 32, 64, 64]}
    export(ae.decoder.cpu().eval(), (torch.randn(1, 4, lat, lat),), os.path.join(folder, "vae_decoder", "model.onnx"),
           ["latent_sample"], ["sample"],
           {"latent_sample": {0: "batch", 2: "height", 3: "width"}, "sample": {0: "batch", 2: "height", 3: "width"}})
    write_json(os.path.join(folder, "vae_decoder", "config.json"), vae_cfg)
    if with_encoder:
        export(ae.encoder.cpu().eval(), (torch.randn(1, 3, SIZE, SIZE),), os.path.join(folder, "vae_encoder", "model.onnx"),
               ["sample"], ["latent_sample"],
               {"sample": {0: "batch", 2: "height", 3: "width"}, "latent_sample": {0: "batch", 2: "height", 3: "width"}})
        write_json(os.path.join(folder, "vae_encoder", "config.json"), vae_cfg)
    write_index(folder, pipeline_class, scheduler, defaults)


def write_safetensors(path, tensors, metadata):
    """safetensors: u64 little-endian header size, JSON header (dtype, shape, data_offsets), raw data."""
    header, blobs, off = {"__metadata__": metadata}, [], 0
    for k in sorted(tensors):
        a = tensors[k].detach().cpu().float().contiguous().numpy().astype("<f4")
        b = a.tobytes()
        header[k] = {"dtype": "F32", "shape": list(a.shape), "data_offsets": [off, off + len(b)]}
        blobs.append(b)
        off += len(b)
    h = json.dumps(header, separators=(",", ":")).encode()
    h += b" " * ((8 - len(h) % 8) % 8)
    with open(path + ".tmp", "wb") as f:
        f.write(struct.pack("<Q", len(h)))
        f.write(h)
        for b in blobs:
            f.write(b)
    os.replace(path + ".tmp", path)


EXPORT_PARTS = ("teacher", "lcm", "lora", "pd", "evaluator", "clip", "turbo", "lightning")
# SD-Turbo's sampling: Euler ancestral, trailing spacing (at 2-4 steps each step re-noises the prediction to the next trailing timestep, as ADD samples).
TURBO_SCHEDULER = {"_class_name": "EulerAncestralDiscreteScheduler", "_diffusers_version": "0.30.0", "num_train_timesteps": 1000,
                   "beta_start": 0.00085, "beta_end": 0.012, "beta_schedule": "scaled_linear", "prediction_type": "epsilon",
                   "timestep_spacing": "trailing", "steps_offset": 0}


def recorded_where():
    """When and on which machine this record was written (the course labels the numbers 'recorded' with both)."""
    cpu = "unknown CPU"
    if os.path.exists("/proc/cpuinfo"):
        with open("/proc/cpuinfo") as f:
            names = [line.split(":", 1)[1].strip() for line in f if line.startswith("model name")]
        cpu = names[0] if names else cpu
    return {"date": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()), "machine": f"{cpu}, {os.cpu_count()} cores"}


def stage_export(ctx):
    """Every model folder under ctx.out, or with --only only those parts (the others and their
    entries of scenes-training.json are left as they are; the LCM folder still links to the
    teacher folder at out/scenes-teacher)."""
    only = set(ctx.only or EXPORT_PARTS)
    vocab, merges = build_vocab()
    ae, ae_info = load_ae(ctx)
    te, teacher, t_info = load_teacher(ctx, vocab)
    out = ctx.out
    os.makedirs(out, exist_ok=True)
    record = os.path.join(out, "scenes-training.json")
    infos = {}
    if ctx.only and os.path.exists(record):
        with open(record) as f:
            infos = json.load(f)
    for key, info in (("ae", ae_info), ("teacher", t_info)):
        if key not in infos or not info.get("rebuilt_from"):  # a record of training, not of a rebuild
            infos[key] = info
    sd_sched = dict(SD_SCHEDULER)
    base = os.path.join(out, "scenes-teacher")
    if "teacher" in only:
        export_common(base, te, ae, ae_info, vocab, merges, "StableDiffusionPipeline", sd_sched,
                      {"steps": 25, "guidance": GUIDANCE}, True)
        export_unet(teacher, base, False)
    lcm_ck = ctx.path(f"{ctx.ckpt or 'lcm'}.ckpt")
    if "lcm" in only and os.path.exists(lcm_ck) and torch.load(lcm_ck).get("final"):
        s = torch.load(lcm_ck)
        unet = nets.UNet(cond_dim=nets.TIME_COND_DIM)
        unet.load_state_dict(s["student"])
        export_shared(os.path.join(out, "scenes-lcm"), base, "LatentConsistencyModelPipeline", dict(LCM_SCHEDULER),
                      {"steps": 4, "guidance": ctx.lcm_guidance})
        export_unet(unet, os.path.join(out, "scenes-lcm"), True)
        infos["lcm"] = dict(s["info"], default_guidance=ctx.lcm_guidance)
        if ctx.lcm_guidance == LCM_GUIDANCE:
            infos["lcm"]["default_guidance_note"] = (
                "the lowest LCM 4-step Frechet distance among 3, 3.5, 4 and 4.5 on 500 validation prompts (scenes of "
                "seed 4,000,000, image seeds 2,000,000 + i; `npm run eval:models -- --sweep-lcm-guidance 3,3.5,4,4.5`), "
                "none of them the evaluation's; the teacher rows stay at 3")
    if "lora" in only and os.path.exists(ctx.path("lora.ckpt")) and torch.load(ctx.path("lora.ckpt")).get("final"):
        s = torch.load(ctx.path("lora.ckpt"))
        student, names = lora_unet(ctx, teacher)
        student.load_state_dict(s["student"])
        tensors = {}
        for name in names:
            m = student.get_submodule(name)
            key = "lora_unet_" + name.replace(".", "_")
            down, up = m.lora_down, m.lora_up
            if isinstance(m.base, torch.nn.Conv2d):
                down, up = down[:, :, None, None], up[:, :, None, None]
            tensors[key + ".lora_down.weight"] = down
            tensors[key + ".lora_up.weight"] = up
            tensors[key + ".alpha"] = torch.tensor(float(LORA_ALPHA))
        folder = os.path.join(out, "scenes-lcm-lora")
        os.makedirs(folder, exist_ok=True)
        write_safetensors(os.path.join(folder, "lora.safetensors"), tensors,
                          {"base_model": "scenes-teacher", "format": "kohya", "rank": str(LORA_RANK),
                           "scheduler": "LCMScheduler", "guidance_baked": str(GUIDANCE)})
        write_json(os.path.join(folder, "scheduler_config.json"), dict(LCM_SCHEDULER))
        infos["lora"] = s["info"]
    for n in PD_STEPS:
        if "pd" in only and os.path.exists(ctx.path(f"pd{n}.ckpt")) and torch.load(ctx.path(f"pd{n}.ckpt")).get("final"):
            s = torch.load(ctx.path(f"pd{n}.ckpt"))
            unet = nets.UNet()
            unet.load_state_dict(s["student"])
            sched = dict(SD_SCHEDULER)
            sched["timestep_spacing"] = "trailing"
            sched["steps_offset"] = 0
            folder = os.path.join(out, f"scenes-pd-{n}")
            export_shared(folder, base, "StableDiffusionPipeline", sched, {"steps": n, "guidance": 0})
            export_unet(unet, folder, False)
            infos[f"pd{n}"] = s["info"]
    if "evaluator" in only and os.path.exists(ctx.path("evaluator.ckpt")):
        s = torch.load(ctx.path("evaluator.ckpt"))
        ev = nets.Evaluator(N_LOGITS)
        ev.load_state_dict(s["model"])
        folder = os.path.join(out, "scenes-evaluator")
        os.makedirs(folder, exist_ok=True)
        export(ev.eval(), (torch.rand(1, 3, SIZE, SIZE),), os.path.join(folder, "model.onnx"), ["pixel_values"],
               ["logits", "features"], {"pixel_values": {0: "batch", 2: "height", 3: "width"}, "logits": {0: "batch"},
                                        "features": {0: "batch"}})
        heads, off = [], 0
        for k, vals in ATTRS:
            heads.append({"name": k, "values": vals, "offset": off})
            off += len(vals)
        write_json(os.path.join(folder, "config.json"), {"_class_name": "SceneEvaluator", "input": "pixel_values, RGB in [0, 1], NCHW",
                                                         "native_size": SIZE, "feature_dim": 128, "heads": heads, "logits": off})
        infos["evaluator"] = s.get("info")
    if "turbo" in only and os.path.exists(ctx.path("turbo.ckpt")) and torch.load(ctx.path("turbo.ckpt")).get("final"):
        s = torch.load(ctx.path("turbo.ckpt"))
        unet = nets.UNet()
        unet.load_state_dict(s["student"])
        folder = os.path.join(out, "scenes-turbo")
        export_shared(folder, base, "StableDiffusionPipeline", dict(TURBO_SCHEDULER), {"steps": 1, "guidance": 0})
        export_unet(unet, folder, False)
        store_fp16(os.path.join(folder, "unet", "model.onnx"))
        infos["turbo"] = dict(s["info"], stored="float16 weights, cast to float32 when loaded (models/ size budget)")
    for n in LIGHTNING_STEPS:
        name = ctx.path(f"lightning{n}.ckpt")
        if "lightning" in only and os.path.exists(name) and torch.load(name).get("final"):
            s = torch.load(name)
            unet = nets.UNet()
            unet.load_state_dict(s["student"])
            sched = dict(SD_SCHEDULER)
            sched["timestep_spacing"] = "trailing"
            sched["steps_offset"] = 0
            folder = os.path.join(out, f"scenes-lightning-{n}")
            if n in LIGHTNING_SHIPPED:
                export_shared(folder, base, "StableDiffusionPipeline", sched, {"steps": n, "guidance": 0})
            if n not in LIGHTNING_SHIPPED:  # trained as the chain's first round; its UNet is not shipped
                infos[f"lightning{n}"] = dict(s["info"], shipped=False)
                continue
            export_unet(unet, folder, False)
            store_fp16(os.path.join(folder, "unet", "model.onnx"))
            infos[f"lightning{n}"] = dict(s["info"], stored="float16 weights, cast to float32 when loaded (models/ size budget)")
    if "clip" in only and os.path.exists(ctx.path("clip.ckpt")) and torch.load(ctx.path("clip.ckpt")).get("final"):
        s = torch.load(ctx.path("clip.ckpt"))
        model = nets.SceneClip(len(vocab), vocab["<|endoftext|>"], CLIP_DIM)
        model.load_state_dict(s["model"])
        folder = os.path.join(out, "scenes-clip")
        if os.path.isdir(folder):
            shutil.rmtree(folder)
        os.makedirs(folder)
        os.symlink(os.path.join("..", "scenes-teacher", "tokenizer"), os.path.join(folder, "tokenizer"))
        export(model.image.eval(), (torch.rand(1, 3, SIZE, SIZE),), os.path.join(folder, "image_encoder", "model.onnx"),
               ["pixel_values"], ["image_embeds"], {"pixel_values": {0: "batch", 2: "height", 3: "width"}, "image_embeds": {0: "batch"}})
        ids = tokenize(["a beautiful sunset over mountains, oil painting style, warm colors"], vocab).int()
        export(model.text.eval(), (ids,), os.path.join(folder, "text_encoder", "model.onnx"), ["input_ids"], ["text_embeds"],
               {"input_ids": {0: "batch"}, "text_embeds": {0: "batch"}})
        for part in ("image_encoder", "text_encoder"):
            store_fp16(os.path.join(folder, part, "model.onnx"))
        write_json(os.path.join(folder, "config.json"), {
            "_class_name": "SceneCLIP", "embed_dim": CLIP_DIM, "native_size": SIZE,
            "image_input": "pixel_values, RGB in [0, 1], NCHW", "text_input": f"input_ids, int32, [batch, {nets.SEQ_LEN}], the tokenizer/ folder",
            "outputs": "image_embeds and text_embeds, L2-normalised", "logit_scale": s["info"]["logit_scale"],
            "score": "CLIPScore = 100 * max(cos(image_embeds, text_embeds), 0) (Hessel et al. 2021, w = 1)",
            "used_for_training": "no student: it scores only"})
        infos["clip"] = s["info"]
    infos["torch"] = torch.__version__
    infos["device"] = str(ctx.device)
    if ctx.only and "recorded" in infos:
        # A partial export: the parts it wrote carry their own date and machine; the record's stays.
        for key in ("clip", "turbo", *[f"lightning{n}" for n in LIGHTNING_STEPS], "lcm", "lora", *[f"pd{n}" for n in PD_STEPS]):
            part = {"clip": "clip", "turbo": "turbo", "lcm": "lcm", "lora": "lora"}.get(key, key.rstrip("0123456789"))
            if part in only and key in infos:
                infos[key]["recorded"] = recorded_where()
    else:
        infos["recorded"] = recorded_where()
    infos["threads"] = torch.get_num_threads()
    infos["seed"] = ctx.seed
    write_json(record, infos)
    log("exported to", out)


# ---------------------------------------------------------------------------------------------
# Adversarial distillation: Turbo (ADD, Sauer et al. 2023) and Lightning (Lin et al. 2024)
# ---------------------------------------------------------------------------------------------

TURBO_TRAIN_T = None      # the student's timesteps: the 4-step trailing grid (999, 749, 499, 249), as ADD's 4
TURBO_DISTILL_WEIGHT = 2.5  # ADD's lambda (L = L_adv + lambda L_distill), before the adaptive balance below
ADV_BALANCE = 0.5         # adversarial gradient at the student's output layer, relative to the distillation one
LIGHTNING_STEPS = [8, 4, 2, 1]
# Shipped Lightning students: models/ has a 45 MB budget, so the 8-step student (the chain's first
# round; PD-8 covers 8 steps) is trained but not exported.
LIGHTNING_SHIPPED = [4, 2, 1]


def adaptive_adv_weight(loss_rec, loss_adv, layer, balance=ADV_BALANCE):
    """Weight of the adversarial term so that its gradient at the student's last layer is `balance`
    times the distillation loss's (the adaptive weight of Esser et al. 2021); the two losses live on
    different scales (latent MSE vs hinge logits) and this keeps the ratio fixed while both change."""
    g_rec = torch.autograd.grad(loss_rec, layer, retain_graph=True)[0].norm()
    g_adv = torch.autograd.grad(loss_adv, layer, retain_graph=True)[0].norm()
    return (balance * g_rec / (g_adv + 1e-8)).clamp(0.0, 1e3).detach()


def hinge_d(real_logits, fake_logits):
    return F.relu(1 - real_logits).mean() + F.relu(1 + fake_logits).mean()


def adv_ckpt_state(student, opt, ema, disc, opt_d, step, budget):
    return {"student": student.state_dict(), "opt": opt.state_dict(), "ema": ema.model.state_dict(),
            "disc": disc.state_dict(), "opt_d": opt_d.state_dict(), "step": step, "elapsed": budget.elapsed()}


def adv_resume(ck, student, opt, ema, disc, opt_d):
    s = torch.load(ck)
    student.load_state_dict(s["student"]); opt.load_state_dict(s["opt"]); ema.model.load_state_dict(s["ema"])
    disc.load_state_dict(s["disc"]); opt_d.load_state_dict(s["opt_d"])
    return s["step"], s["elapsed"]


def stage_turbo(ctx):
    """Adversarial diffusion distillation (Sauer et al. 2023): a student initialised from the teacher
    denoises forward-diffused training latents at the 4 timesteps 999, 749, 499, 249 in one step;
    its loss is a hinge adversarial loss from a discriminator on frozen features plus a distillation
    loss to the guided teacher's denoised prediction of the student's output re-noised at a uniform
    timestep, weighted by alpha_bar(t) (ADD's exponential weighting). The frozen features are the
    teacher UNet encoder's on re-noised latents, as in latent ADD (LADD, Sauer et al. 2024): ADD's
    pixel-space features (the autoencoder encoder on decoded images was tried) cost 5 s a step on one
    CPU thread against about 1 s. Not the scene evaluator and not scenes-clip, the two networks that
    score the models."""
    lat, ids_u, cap, empty, vocab, _ = latents_and_text(ctx)
    te, base, _ = load_teacher(ctx, vocab)
    with torch.no_grad():
        uncond1, _ = te(empty[None].to(ctx.device))
    ck = ctx.path("turbo.ckpt")
    if os.path.exists(ck) and torch.load(ck).get("final"):
        log("turbo: done already"); return
    torch.manual_seed(ctx.seed + 50)
    student = nets.UNet()
    student.load_state_dict(base.state_dict())
    student.to(ctx.device).train()
    disc = nets.Discriminator([64, 96, 96], nets.TEXT_WIDTH).to(ctx.device)
    lr, lr_d = 5e-5, 1e-4
    opt = torch.optim.AdamW(student.parameters(), lr=lr, weight_decay=0.0)
    opt_d = torch.optim.AdamW(disc.parameters(), lr=lr_d, betas=(0.0, 0.99), weight_decay=0.0)
    ema = EMA(student, 0.99)
    step, elapsed = 0, 0.0
    if os.path.exists(ck):
        step, elapsed = adv_resume(ck, student, opt, ema, disc, opt_d)
    budget = Budget(ctx.minutes, elapsed, 3 if ctx.smoke else None)
    g = torch.Generator().manual_seed(ctx.seed + 500 + step)
    grid = torch.from_numpy(trailing(4))
    bs = 32
    while not budget.done(step):
        idx = torch.randint(0, lat.shape[0], (bs,), generator=g)
        x0 = lat[idx].to(ctx.device)
        with torch.no_grad():
            hidden, pooled = te(ids_u[cap[idx]].to(ctx.device))
        t = grid[torch.randint(0, 4, (bs,), generator=g)]
        a = bcast(alpha_at(t)).to(ctx.device)
        eps = torch.randn(x0.shape, generator=g).to(ctx.device)
        xt = a.sqrt() * x0 + (1 - a).sqrt() * eps
        for pg in opt.param_groups:
            pg["lr"] = lr_at(lr, budget.frac(step), floor=0.2)
        x0_s = x0_from_eps(xt, student(xt, t.float().to(ctx.device), hidden), a)
        # Distillation: the guided teacher's denoised estimate of the student's sample re-noised at t_d.
        t_d = torch.randint(0, 1000, (bs,), generator=g)
        a_d = bcast(ALPHAS[t_d]).to(ctx.device)
        with torch.no_grad():
            x_d = a_d.sqrt() * x0_s + (1 - a_d).sqrt() * torch.randn(x0.shape, generator=g).to(ctx.device)
            x0_t = x0_from_eps(x_d, cfg_eps(base, x_d, t_d.float().to(ctx.device), hidden, uncond1), a_d)
        loss_distill = TURBO_DISTILL_WEIGHT * (a_d * (x0_s - x0_t) ** 2).mean()
        # Adversarial (the discriminator of LADD, Sauer et al. 2024): frozen teacher-UNet encoder features of
        # the student's sample and of a training latent, both re-noised with the same noise at t_a.
        t_a = torch.randint(0, 1000, (bs,), generator=g)
        a_a = bcast(ALPHAS[t_a]).to(ctx.device)
        n_a = torch.randn(x0.shape, generator=g).to(ctx.device)
        t_a_in = t_a.float().to(ctx.device)
        fake = nets.unet_encoder_features(base, a_a.sqrt() * x0_s + (1 - a_a).sqrt() * n_a, t_a_in, hidden)
        with torch.no_grad():
            real = nets.unet_encoder_features(base, a_a.sqrt() * x0 + (1 - a_a).sqrt() * n_a, t_a_in, hidden)
        loss_adv = -disc(fake, pooled).mean()
        w_adv = adaptive_adv_weight(loss_distill, loss_adv, student.conv_out.weight)
        loss = loss_distill + w_adv * loss_adv
        opt.zero_grad(set_to_none=True); loss.backward()
        torch.nn.utils.clip_grad_norm_(student.parameters(), 1.0)
        opt.step()
        ema.update(student, min(0.99, (1 + step) / (10 + step)))
        # Discriminator step (hinge) on the detached features.
        loss_d = hinge_d(disc(real, pooled), disc([f.detach() for f in fake], pooled))
        opt_d.zero_grad(set_to_none=True); loss_d.backward(); opt_d.step()
        step += 1
        if step % 25 == 0:
            log(f"turbo step {step} distill {loss_distill.item():.4f} adv {loss_adv.item():.3f} w {w_adv.item():.3g} "
                f"D {loss_d.item():.3f} ({budget.elapsed() / 60:.1f} min)")
        if budget.should_save():
            save_atomic(adv_ckpt_state(student, opt, ema, disc, opt_d, step, budget), ck)
    info = {"steps": step, "minutes": budget.elapsed() / 60, "batch": bs, "lr": lr, "lr_discriminator": lr_d,
            "ema": 0.99, "student_timesteps": [int(v) for v in grid], "teacher": f"guided teacher (g={GUIDANCE:g})",
            "distillation": f"{TURBO_DISTILL_WEIGHT} x alpha_bar(t) x MSE of denoised latents, t uniform in [0, 999]",
            "adversarial": f"hinge, adaptive weight (adversarial gradient {ADV_BALANCE} x distillation's at the output layer)",
            "discriminator_features": "frozen teacher UNet encoder (conv_in, down blocks, middle block) on latents re-noised at "
                                      "a uniform timestep (LADD's discriminator; ADD's DINOv2 on decoded pixels cost 5 s a step "
                                      "here); trainable conditioned heads (projection with the pooled text embedding)",
            "not_used": "the scene evaluator and scenes-clip (they score the models)", "r1_penalty": "none"}
    log("turbo:", info)
    save_atomic({"student": ema.model.state_dict(), "final": True, "step": step, "elapsed": budget.elapsed(), "info": info}, ck)


def stage_lightning(ctx):
    """Progressive adversarial distillation (Lin et al. 2024, SDXL-Lightning), scaled down: students at
    8, 4, 2 and 1 steps, each initialised from the one before (the first from the teacher) and trained
    to take one DDIM step where its teacher takes two (the teacher of the 8-step student is the guided
    teacher at 16 steps, as in progressive distillation), with the MSE loss of progressive distillation
    plus a hinge adversarial loss: a discriminator on the frozen teacher UNet's encoder features
    (SDXL-Lightning's backbone: the diffusion UNet's encoder), conditioned on the text and the
    timestep, tells the student's next latent from the teacher's. Not the scene evaluator, not scenes-clip."""
    lat, ids_u, cap, empty, vocab, _ = latents_and_text(ctx)
    te, base, _ = load_teacher(ctx, vocab)
    with torch.no_grad():
        uncond1, _ = te(empty[None].to(ctx.device))
    per_stage = ctx.minutes / len(LIGHTNING_STEPS)
    teacher_model = base
    for n in LIGHTNING_STEPS:
        ck = ctx.path(f"lightning{n}.ckpt")
        student = nets.UNet()
        student.load_state_dict(teacher_model.state_dict())
        student.to(ctx.device)
        first = teacher_model is base
        done = load_final_student(ck, student, f"lightning{n}")
        if done is not None:
            teacher_model = done
            continue
        lr, lr_d = 1e-4, 1e-4
        opt = torch.optim.AdamW(student.parameters(), lr=lr, weight_decay=0.0)
        disc = nets.Discriminator([64, 96, 96], nets.TEXT_WIDTH).to(ctx.device)
        opt_d = torch.optim.AdamW(disc.parameters(), lr=lr_d, betas=(0.0, 0.99), weight_decay=0.0)
        ema = EMA(student, 0.99)
        step, elapsed = 0, 0.0
        if os.path.exists(ck):
            step, elapsed = adv_resume(ck, student, opt, ema, disc, opt_d)
        torch.manual_seed(ctx.seed + 60 + n)
        g = torch.Generator().manual_seed(ctx.seed + 600 + n + step)
        budget = Budget(per_stage, elapsed, 3 if ctx.smoke else None)
        grid = torch.from_numpy(trailing(n))
        bs = 32
        student.train()
        while not budget.done(step):
            idx = torch.randint(0, lat.shape[0], (bs,), generator=g)
            x0 = lat[idx].to(ctx.device)
            with torch.no_grad():
                hidden, pooled = te(ids_u[cap[idx]].to(ctx.device))
            t = grid[torch.randint(0, n, (bs,), generator=g)]
            eps = torch.randn(x0.shape, generator=g).to(ctx.device)

            def teacher_eps(x, tt):
                tt = tt.to(ctx.device).float()
                return cfg_eps(teacher_model, x, tt, hidden, uncond1) if first else teacher_model(x, tt, hidden)

            xt, eps_tgt, weight, x_n, t_next, a_t, a_n = two_step_target(teacher_eps, x0, eps, t, n, ctx.device)
            for pg in opt.param_groups:
                pg["lr"] = lr_at(lr, budget.frac(step), floor=0.2)
            e_s = student(xt, t.to(ctx.device).float(), hidden)
            loss_mse = (weight * (e_s - eps_tgt) ** 2).mean()
            x_n_s = ddim_step(xt, e_s, a_t, a_n)
            t_in = t_next.clamp(min=0).float().to(ctx.device)
            fake = nets.unet_encoder_features(base, x_n_s, t_in, hidden)
            with torch.no_grad():
                real = nets.unet_encoder_features(base, x_n, t_in, hidden)
            loss_adv = -disc(fake, pooled).mean()
            w_adv = adaptive_adv_weight(loss_mse, loss_adv, student.conv_out.weight)
            loss = loss_mse + w_adv * loss_adv
            opt.zero_grad(set_to_none=True); loss.backward()
            torch.nn.utils.clip_grad_norm_(student.parameters(), 1.0)
            opt.step()
            ema.update(student, min(0.99, (1 + step) / (10 + step)))  # warm-up: a short stage must not keep its init
            loss_d = hinge_d(disc(real, pooled), disc([f.detach() for f in fake], pooled))
            opt_d.zero_grad(set_to_none=True); loss_d.backward(); opt_d.step()
            step += 1
            if step % 25 == 0:
                log(f"lightning{n} step {step} mse {loss_mse.item():.5f} adv {loss_adv.item():.3f} w {w_adv.item():.3g} "
                    f"D {loss_d.item():.3f} ({budget.elapsed() / 60:.1f} min)")
            if budget.should_save():
                save_atomic(adv_ckpt_state(student, opt, ema, disc, opt_d, step, budget), ck)
        info = {"steps": step, "minutes": budget.elapsed() / 60, "batch": bs, "lr": lr, "lr_discriminator": lr_d, "ema": 0.99,
                "teacher": f"{'guided teacher (g=%g)' % GUIDANCE if first else 'lightning-%d student' % (2 * n)}, DDIM {2 * n} steps trailing",
                "loss": "progressive-distillation MSE (truncated-SNR weighting) + hinge adversarial, adaptive weight "
                        f"(adversarial gradient {ADV_BALANCE} x the MSE's at the output layer)",
                "discriminator_features": "frozen teacher UNet encoder (conv_in, down blocks, middle block) at the next "
                                          "timestep; trainable conditioned heads",
                "not_used": "the scene evaluator and scenes-clip (they score the models)"}
        log(f"lightning{n}:", info)
        save_atomic({"student": ema.model.state_dict(), "final": True, "step": step, "elapsed": budget.elapsed(), "info": info}, ck)
        teacher_model = ema.model.eval()


# ---------------------------------------------------------------------------------------------
# Stage: clip (a contrastive text-image model of the scenes, used only to score: CLIPScore)
# ---------------------------------------------------------------------------------------------

CLIP_DIM = 64
ZERO_SHOT_ATTRS = ("timeOfDay", "terrain", "palette", "style")


def scene_caption(a):
    """The caption of a scene from its attributes (src/scenes/scene.ts sceneCaption's rule)."""
    extras = []
    if a["celestial"]:
        extras.append("the moon" if a["timeOfDay"] == "night" else "the sun")
    if a["clouds"]:
        extras.append("clouds")
    if a["stars"] and a["timeOfDay"] == "night":
        extras.append("stars")
    time_ = f"{a['timeOfDay']} sky" if a["timeOfDay"] in ("noon", "night") else a["timeOfDay"]
    with_ = ""
    if extras:
        with_ = " with " + (extras[0] if len(extras) == 1 else ", ".join(extras[:-1]) + " and " + extras[-1])
    return f"a beautiful {time_} over {a['terrain']}{with_}, {a['style']} style, {a['palette']} colors"


def clip_checks(model, imgs, side, vocab, device):
    """On held-out scenes: mean CLIPScore (100 max(cos, 0)) with their own captions and with captions
    shuffled across scenes, and zero-shot attribute accuracy (the caption with one attribute set to each
    of its values; the most similar one wins)."""
    model.eval()
    with torch.no_grad():
        x = imgs.float().div(255).to(device)
        ie = torch.cat([model.image(x[i:i + 256]) for i in range(0, x.shape[0], 256)])
        own = model.text(tokenize(side["captions"], vocab).to(device))
        perm = torch.roll(torch.arange(len(side["captions"])), 1)
        cos_own = (ie * own).sum(-1)
        cos_shuf = (ie * own[perm]).sum(-1)
        out = {"clipscore_own": float(100 * cos_own.clamp(min=0).mean()),
               "clipscore_shuffled": float(100 * cos_shuf.clamp(min=0).mean()), "zero_shot": {}}
        for attr in ZERO_SHOT_ATTRS:
            values = dict(ATTRS)[attr]
            correct = 0
            for i, a in enumerate(side["attributes"]):
                caps = [scene_caption(dict(a, **{attr: v})) for v in values]
                te = model.text(tokenize(caps, vocab).to(device))
                correct += int(values[int((te @ ie[i]).argmax())] == a[attr])
            out["zero_shot"][attr] = correct / len(side["attributes"])
    model.train()
    return out


def stage_clip(ctx):
    torch.manual_seed(ctx.seed + 7)
    vocab, _ = build_vocab()
    imgs, side = load_scenes(ctx, "train64", TRAIN_COUNT if not ctx.smoke else 64, TRAIN_SEED)
    ids_u, cap_idx, _ = caption_ids(side, vocab)
    model = nets.SceneClip(len(vocab), vocab["<|endoftext|>"], CLIP_DIM).to(ctx.device)
    lr = 1e-3
    opt = torch.optim.AdamW(model.parameters(), lr=lr, weight_decay=0.01)
    ck = ctx.path("clip.ckpt")
    step, elapsed = 0, 0.0
    if os.path.exists(ck):
        s = torch.load(ck)
        if s.get("final"):
            log("clip: done already"); return
        model.load_state_dict(s["model"]); opt.load_state_dict(s["opt"]); step, elapsed = s["step"], s["elapsed"]
    budget = Budget(ctx.minutes, elapsed, 3 if ctx.smoke else None)
    g = torch.Generator().manual_seed(ctx.seed + 70 + step)
    bs = 128 if not ctx.smoke else 16
    while not budget.done(step):
        idx = torch.randint(0, imgs.shape[0], (bs,), generator=g)
        x = imgs[idx].float().div(255)
        flip = torch.rand(bs, generator=g) < 0.5
        x[flip] = x[flip].flip(-1)
        c = cap_idx[idx]
        for pg in opt.param_groups:
            pg["lr"] = lr_at(lr, budget.frac(step))
        ie = model.image(x.to(ctx.device))
        te = model.text(ids_u[c].to(ctx.device))
        logits = model.logit_scale.exp().clamp(max=100) * ie @ te.t()
        # Symmetric InfoNCE (Radford et al. 2021). The scenes have 640 distinct captions, so a batch holds
        # repeats: every pair with the same caption is a positive (the target spreads over them).
        same = (c[:, None] == c[None, :]).float().to(ctx.device)
        tgt = same / same.sum(1, keepdim=True)
        loss = 0.5 * (-(tgt * logits.log_softmax(1)).sum(1).mean() - (tgt * logits.t().log_softmax(1)).sum(1).mean())
        opt.zero_grad(set_to_none=True); loss.backward(); opt.step()
        step += 1
        if step % 50 == 0:
            log(f"clip step {step} loss {loss.item():.4f} scale {model.logit_scale.exp().item():.1f} ({budget.elapsed() / 60:.1f} min)")
        if budget.should_save():
            save_atomic({"model": model.state_dict(), "opt": opt.state_dict(), "step": step, "elapsed": budget.elapsed()}, ck)
    hold, hside = load_scenes(ctx, "heldout64", HELDOUT_COUNT if not ctx.smoke else 16, HELDOUT_SEED)
    checks = clip_checks(model, hold, hside, vocab, ctx.device)
    info = {"steps": step, "minutes": budget.elapsed() / 60, "batch": bs, "lr": lr, "embed_dim": CLIP_DIM,
            "loss": "symmetric InfoNCE, same-caption pairs all positive", "train_images": int(imgs.shape[0]),
            "logit_scale": float(model.logit_scale.exp().clamp(max=100)), "heldout_checks": checks}
    log("clip:", info)
    save_atomic({"model": model.state_dict(), "step": step, "elapsed": budget.elapsed(), "final": True, "info": info}, ck)


# ---------------------------------------------------------------------------------------------
# Stage: from-onnx (the shipped autoencoder and teacher as checkpoints, without retraining them)
# ---------------------------------------------------------------------------------------------


def stage_from_onnx(ctx):
    """Writes ae.ckpt and teacher.ckpt from the shipped ONNX graphs of `ctx.out`/scenes-teacher (the
    checkpoints are not committed; the graphs are), each rebuilt network checked by exporting it again
    and comparing every initializer with the shipped one. Later stages (turbo, lightning) then start
    from exactly the shipped teacher. Does nothing for a checkpoint that exists."""
    from from_onnx import load_onnx_weights, check_same
    base = os.path.join(ctx.out, "scenes-teacher")
    record = os.path.join(ctx.out, "scenes-training.json")
    infos = {}
    if os.path.exists(record):
        with open(record) as f:
            infos = json.load(f)
    vocab, _ = build_vocab()
    lat = SIZE // 8
    if not os.path.exists(ctx.path("ae.ckpt")):
        ae = nets.Autoencoder()
        parts = [(ae.decoder, "vae_decoder", (torch.randn(1, 4, lat, lat),), ["latent_sample"], ["sample"],
                  {"latent_sample": {0: "batch", 2: "height", 3: "width"}, "sample": {0: "batch", 2: "height", 3: "width"}}),
                 (ae.encoder, "vae_encoder", (torch.randn(1, 3, SIZE, SIZE),), ["sample"], ["latent_sample"],
                  {"sample": {0: "batch", 2: "height", 3: "width"}, "latent_sample": {0: "batch", 2: "height", 3: "width"}})]
        for net, part, args, ins, outs, axes in parts:
            path = os.path.join(base, part, "model.onnx")
            load_onnx_weights(net, path, export, args, ins, outs, axes)
            log(f"from-onnx: {part} rebuilt, largest initializer difference {check_same(net, path, export, args, ins, outs, axes):.3g}")
        with open(os.path.join(base, "vae_decoder", "config.json")) as f:
            scaling = json.load(f)["scaling_factor"]
        info = dict(infos.get("ae", {}), scaling_factor=scaling, rebuilt_from=os.path.relpath(base, ROOT))
        save_atomic({"model": ae.state_dict(), "final": True, "step": info.get("steps", 0), "elapsed": 0.0, "info": info},
                    ctx.path("ae.ckpt"))
    if not os.path.exists(ctx.path("teacher.ckpt")):
        te = nets.TextEncoder(len(vocab), vocab["<|endoftext|>"])
        ids = tokenize(["a beautiful sunset over mountains, oil painting style, warm colors"], vocab).int()
        te_axes = {"input_ids": {0: "batch"}, "last_hidden_state": {0: "batch"}, "pooler_output": {0: "batch"}}
        path = os.path.join(base, "text_encoder", "model.onnx")
        load_onnx_weights(te, path, export, (ids,), ["input_ids"], ["last_hidden_state", "pooler_output"], te_axes)
        log(f"from-onnx: text_encoder rebuilt, largest difference "
            f"{check_same(te, path, export, (ids,), ['input_ids'], ['last_hidden_state', 'pooler_output'], te_axes):.3g}")
        unet = nets.UNet()
        args = (torch.randn(1, 4, lat, lat), torch.tensor([999.0]), torch.randn(1, nets.SEQ_LEN, nets.TEXT_WIDTH))
        names = ["sample", "timestep", "encoder_hidden_states"]
        axes = {"sample": {0: "batch", 2: "height", 3: "width"}, "timestep": {0: "steps"},
                "encoder_hidden_states": {0: "batch"}, "out_sample": {0: "batch", 2: "height", 3: "width"}}
        path = os.path.join(base, "unet", "model.onnx")
        load_onnx_weights(unet, path, export, args, names, ["out_sample"], axes)
        log(f"from-onnx: unet rebuilt, largest difference {check_same(unet, path, export, args, names, ['out_sample'], axes):.3g}")
        info = dict(infos.get("teacher", {}), rebuilt_from=os.path.relpath(base, ROOT))
        save_atomic({"te": te.state_dict(), "unet": unet.state_dict(), "final": True, "step": info.get("steps", 0),
                     "elapsed": 0.0, "info": info}, ctx.path("teacher.ckpt"))


STAGES = {"ae": stage_ae, "evaluator": stage_evaluator, "teacher": stage_teacher, "lora": stage_lora, "lcm": stage_lcm,
          "pd": stage_pd, "clip": stage_clip, "turbo": stage_turbo, "lightning": stage_lightning, "export": stage_export,
          "from-onnx": stage_from_onnx}


def main():
    p = argparse.ArgumentParser()
    p.add_argument("stage", nargs="?", choices=list(STAGES) + ["data"])
    p.add_argument("--minutes", type=float, default=5.0)
    p.add_argument("--seed", type=int, default=20261126)
    p.add_argument("--threads", type=int, default=2)
    p.add_argument("--lr", type=float, default=None, help="override the learning rate of the lcm stage")
    p.add_argument("--lcm-init", choices=["teacher", "lora"], default="lora",
                   help="lcm stage: start the student from the teacher, or from the teacher with the trained LCM-LoRA merged")
    p.add_argument("--lcm-g-range", type=float, nargs=2, default=list(LCM_G_RANGE), metavar=("LO", "HI"),
                   help="lcm stage: guidance scales drawn uniformly for distillation")
    p.add_argument("--cond-lr", type=float, default=None,
                   help="lcm stage: learning rate of the zero-initialised guidance projection (default: --lr)")
    p.add_argument("--target-ema", type=float, default=0.95, help="lcm stage: EMA decay of the consistency target")
    p.add_argument("--ckpt", default=None, help="lcm stage and export: checkpoint name in the work dir (default lcm)")
    p.add_argument("--lcm-guidance", type=float, default=LCM_GUIDANCE,
                   help="export: the LCM folder's default guidance (model_index.json _fewstep_defaults)")
    p.add_argument("--only", nargs="+", choices=EXPORT_PARTS, default=None, help="export: only these model folders")
    p.add_argument("--smoke", action="store_true")
    p.add_argument("--work", default=os.path.join(ROOT, "models", "recipes", ".work"))
    p.add_argument("--out", default=os.path.join(ROOT, "models"))
    args = p.parse_args()
    torch.set_num_threads(args.threads)
    if args.smoke:
        tmp = tempfile.mkdtemp(prefix="scenes-smoke-")
        args.work, args.out = os.path.join(tmp, "work"), os.path.join(tmp, "models")
        ctx = Ctx(args)
        for name, fn in STAGES.items():
            if name == "from-onnx":  # the smoke run trains its own teacher; from-onnx reads the shipped one
                continue
            log("smoke:", name)
            fn(ctx)
        print(json.dumps({"smoke_out": args.out}))
        return
    ctx = Ctx(args)
    if args.stage == "data":
        load_scenes(ctx, "train64", TRAIN_COUNT, TRAIN_SEED)
        load_scenes(ctx, "heldout64", HELDOUT_COUNT, HELDOUT_SEED)
        return
    STAGES[args.stage](ctx)


if __name__ == "__main__":
    main()
