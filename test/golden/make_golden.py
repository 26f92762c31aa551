"""Golden values for the DDPM, DDIM, Euler and Euler-ancestral schedulers, computed by diffusers itself.

Independent of our TypeScript: every number here comes from diffusers' scheduler classes
(huggingface/diffusers, commit 58eb52c0803ea9af3abec60841c2a093bdf1f951), run with torch + numpy.

How it was run (no PyPI here, so diffusers' source was put on PYTHONPATH with small import stubs):
    PYTHONPATH=/tmp/oracle/stubs:/tmp/oracle/diffusers-src/src /usr/bin/python3 test/golden/make_golden.py
    (torch 1.13.0 CPU, numpy 1.24.2, Python 3.11; see the oracle README the stubs came with)
Anywhere else: `pip install diffusers torch` and run `python3 test/golden/make_golden.py`.

It writes test/golden/diffusers_schedules.json, diffusers_timesteps.json, diffusers_steps.json and
diffusers_loops.json. Inputs are deterministic so no RNG has to match:
    x[i] = sin(i), eps[i] = cos(0.7 i)              (float32, i = 0..15, shape (1, 4, 2, 2))
    noise, k-th draw: n_k[i] = sin(1.3 i + 0.5 + k)  (replaces diffusers' randn_tensor)
    fake model in loops: out = 0.1 * scaled_input + cos(0.01 * t)
"""
import json
import math
import os

import numpy as np
import torch
from diffusers.schedulers import scheduling_ddim, scheduling_ddpm, scheduling_euler_ancestral_discrete, scheduling_euler_discrete
from diffusers.schedulers.scheduling_ddim import DDIMScheduler
from diffusers.schedulers.scheduling_ddpm import DDPMScheduler
from diffusers.schedulers.scheduling_euler_ancestral_discrete import EulerAncestralDiscreteScheduler
from diffusers.schedulers.scheduling_euler_discrete import EulerDiscreteScheduler

HERE = os.path.dirname(os.path.abspath(__file__))
N = 16
SHAPE = (1, 4, 2, 2)
CLASSES = {
    "DDPMScheduler": DDPMScheduler,
    "DDIMScheduler": DDIMScheduler,
    "EulerDiscreteScheduler": EulerDiscreteScheduler,
    "EulerAncestralDiscreteScheduler": EulerAncestralDiscreteScheduler,
}
SD_BETAS = {"beta_start": 0.00085, "beta_end": 0.012, "beta_schedule": "scaled_linear"}


def vec(fn):
    return torch.tensor([fn(i) for i in range(N)], dtype=torch.float64).to(torch.float32).reshape(SHAPE)


X = vec(lambda i: math.sin(i))
EPS = vec(lambda i: math.cos(0.7 * i))


def noise_k(k):
    return vec(lambda i: math.sin(1.3 * i + 0.5 + k))


class FixedNoise:
    """Stands in for diffusers' randn_tensor: the k-th call returns noise_k(k)."""

    def __init__(self):
        self.calls = 0

    def __call__(self, shape, *args, **kwargs):
        out = noise_k(self.calls)
        self.calls += 1
        assert tuple(shape) == SHAPE, shape
        return out


def install_noise():
    fixed = FixedNoise()
    for mod in (scheduling_ddim, scheduling_ddpm, scheduling_euler_discrete, scheduling_euler_ancestral_discrete):
        mod.randn_tensor = fixed
    return fixed


def flat(t):
    return [float(v) for v in t.reshape(-1).tolist()]


def f(v):
    return float(v.item()) if hasattr(v, "item") else float(v)


# ---------------------------------------------------------------------------------------------------
def schedules():
    configs = [
        {"beta_schedule": "linear"},
        {"beta_start": 0.00085, "beta_end": 0.012, "beta_schedule": "scaled_linear"},
        {"beta_schedule": "squaredcos_cap_v2"},
        {"beta_schedule": "linear", "rescale_betas_zero_snr": True},
        {"beta_start": 0.00085, "beta_end": 0.012, "beta_schedule": "scaled_linear", "rescale_betas_zero_snr": True},
        {"num_train_timesteps": 10, "trained_betas": [0.01 * (k + 1) for k in range(10)]},
    ]
    out = []
    for cfg in configs:
        s = DDIMScheduler(**cfg)
        n = s.config.num_train_timesteps
        ts = sorted({0, 1, 2, n // 4, n // 2, n - 2, n - 1})
        ac = s.alphas_cumprod
        sig = ((1 - ac) / ac) ** 0.5
        out.append({
            "config": cfg,
            "t": ts,
            "betas": [f(s.betas[t]) for t in ts],
            "alphas_cumprod": [f(ac[t]) for t in ts],
            # zero terminal SNR makes the last sigma infinite: JSON has no Infinity, so it is written as null
            "sigma": [f(sig[t]) if math.isfinite(f(sig[t])) else None for t in ts],
        })
    return out


# ---------------------------------------------------------------------------------------------------
STEP_COUNTS = [1, 2, 3, 4, 7, 8, 16, 50]


def timesteps():
    cases = []
    variants = []
    for cls in CLASSES:
        for spacing in ("leading", "trailing", "linspace"):
            variants.append((cls, {"timestep_spacing": spacing}))
        variants.append((cls, {"timestep_spacing": "leading", "steps_offset": 1, **SD_BETAS}))
    variants.append(("EulerDiscreteScheduler", {"timestep_spacing": "linspace", "final_sigmas_type": "sigma_min"}))
    variants.append(("EulerDiscreteScheduler", {"timestep_spacing": "trailing", "final_sigmas_type": "sigma_min", **SD_BETAS}))
    variants.append(("EulerDiscreteScheduler", {"timestep_spacing": "linspace", "use_karras_sigmas": True, **SD_BETAS}))
    variants.append(("EulerDiscreteScheduler", {"timestep_spacing": "leading", "steps_offset": 1, "use_karras_sigmas": True}))
    # numpy.arange's length rule gives diffusers' "trailing" grid an extra timestep -1 at 61 steps (N = 1000)
    extra = [("DDIMScheduler", {"timestep_spacing": "trailing"}, 61), ("EulerDiscreteScheduler", {"timestep_spacing": "trailing"}, 61)]
    for cls, cfg, n in [(c, g, k) for c, g in variants for k in STEP_COUNTS] + extra:
        s = CLASSES[cls](**cfg)
        s.set_timesteps(n)
        case = {"class": cls, "config": cfg, "steps": n, "timesteps": [float(v) for v in s.timesteps.tolist()]}
        if cls.startswith("Euler"):
            case["sigmas"] = flat(s.sigmas)
            case["init_noise_sigma"] = f(s.init_noise_sigma)
        cases.append(case)
    return cases


# ---------------------------------------------------------------------------------------------------
def one_step(cls, cfg, steps, index, eta=None):
    fixed = install_noise()
    s = CLASSES[cls](**cfg)
    s.set_timesteps(steps)
    t = s.timesteps[index]
    kwargs = {}
    if cls.startswith("Euler"):
        s._step_index = index
        scaled = s.scale_model_input(X.clone(), t)
        s._step_index = index
    else:
        scaled = X
    if eta is not None:
        kwargs["eta"] = eta
    out = s.step(EPS.clone(), t, X.clone(), **kwargs)
    return {
        "class": cls,
        "config": cfg,
        "eta": eta,
        "steps": steps,
        "step_index": index,
        "timestep": f(t),
        "noise_draws": fixed.calls,
        "scaled_input": flat(scaled),
        "prev_sample": flat(out.prev_sample),
        "denoised": flat(out.pred_original_sample),
    }


def steps():
    cases = []
    for pred in ("epsilon", "v_prediction", "sample"):
        for index in (0, 4, 9):
            for clip in (True, False):
                cases.append(one_step("DDPMScheduler", {"prediction_type": pred, "clip_sample": clip}, 10, index))
            for eta in (0.0, 1.0):
                cases.append(one_step("DDIMScheduler", {"prediction_type": pred, "clip_sample": False}, 10, index, eta))
            cases.append(one_step("DDIMScheduler", {"prediction_type": pred, "clip_sample": True}, 10, index, 0.0))
            cases.append(one_step("EulerDiscreteScheduler", {"prediction_type": pred}, 10, index))
            if pred != "sample":  # diffusers' Euler ancestral does not implement sample prediction
                cases.append(one_step("EulerAncestralDiscreteScheduler", {"prediction_type": pred}, 10, index))
    # Stable Diffusion-like configs (leading + offset, scaled_linear; trailing; set_alpha_to_one=False)
    sd = {"timestep_spacing": "leading", "steps_offset": 1, "clip_sample": False, "set_alpha_to_one": False, **SD_BETAS}
    for index in (0, 3):
        cases.append(one_step("DDIMScheduler", sd, 4, index, 0.5))
        cases.append(one_step("DDIMScheduler", {**SD_BETAS, "timestep_spacing": "trailing", "clip_sample": False}, 4, index, 0.0))
        # trailing with 3 steps: diffusers steps back by N // n = 333, which is not the next grid point (666 -> 333, grid has 332)
        cases.append(one_step("DDIMScheduler", {"timestep_spacing": "trailing", "clip_sample": False}, 3, index % 3 + 1, 1.0))
        cases.append(one_step("DDPMScheduler", {**SD_BETAS, "timestep_spacing": "leading", "steps_offset": 1, "clip_sample": False}, 4, index))
        cases.append(one_step("EulerDiscreteScheduler", {**SD_BETAS, "timestep_spacing": "leading", "steps_offset": 1}, 4, index))
        cases.append(one_step("EulerDiscreteScheduler", {**SD_BETAS, "timestep_spacing": "trailing", "final_sigmas_type": "sigma_min"}, 4, index))
        cases.append(one_step("EulerAncestralDiscreteScheduler", {**SD_BETAS, "timestep_spacing": "trailing"}, 4, index))
    return cases


# ---------------------------------------------------------------------------------------------------
def fake_model(scaled, t):
    """out = 0.1 * scaled + cos(0.01 t), in float64, rounded to float32."""
    return (0.1 * scaled.double() + math.cos(0.01 * float(t))).to(torch.float32)


def loop(cls, cfg, steps_n, eta=None):
    fixed = install_noise()
    s = CLASSES[cls](**cfg)
    s.set_timesteps(steps_n)
    sample = X.clone() * s.init_noise_sigma
    trace = []
    for t in s.timesteps:
        scaled = s.scale_model_input(sample, t)
        out = fake_model(scaled, t)
        kwargs = {"eta": eta} if eta is not None else {}
        res = s.step(out, t, sample, **kwargs)
        sample = res.prev_sample
        trace.append(flat(sample)[:4])
    return {
        "class": cls,
        "config": cfg,
        "eta": eta,
        "steps": steps_n,
        "noise_draws": fixed.calls,
        "timesteps": [float(v) for v in s.timesteps.tolist()],
        "trace_first4": trace,
        "final_sample": flat(sample),
        "final_denoised": flat(res.pred_original_sample),
    }


def loops():
    return [
        loop("DDPMScheduler", {"clip_sample": False}, 10),
        loop("DDPMScheduler", {**SD_BETAS, "timestep_spacing": "leading", "steps_offset": 1, "prediction_type": "v_prediction", "clip_sample": False}, 10),
        loop("DDIMScheduler", {"clip_sample": False}, 10, 0.0),
        loop("DDIMScheduler", {**SD_BETAS, "timestep_spacing": "leading", "steps_offset": 1, "set_alpha_to_one": False, "clip_sample": False}, 10, 1.0),
        loop("DDIMScheduler", {"timestep_spacing": "trailing", "prediction_type": "v_prediction"}, 10, 0.0),
        loop("DDIMScheduler", {"timestep_spacing": "trailing", "prediction_type": "sample", "clip_sample": False}, 7, 0.0),
        loop("EulerDiscreteScheduler", {}, 10),
        loop("EulerDiscreteScheduler", {**SD_BETAS, "timestep_spacing": "leading", "steps_offset": 1, "prediction_type": "v_prediction"}, 10),
        loop("EulerDiscreteScheduler", {**SD_BETAS, "use_karras_sigmas": True}, 10),
        loop("EulerAncestralDiscreteScheduler", {}, 10),
        loop("EulerAncestralDiscreteScheduler", {**SD_BETAS, "timestep_spacing": "trailing", "prediction_type": "v_prediction"}, 10),
    ]


def write(name, payload):
    path = os.path.join(HERE, name)
    with open(path, "w") as fh:
        json.dump({
            "source": "diffusers 58eb52c0803ea9af3abec60841c2a093bdf1f951 via test/golden/make_golden.py",
            "torch": torch.__version__,
            "numpy": np.__version__,
            "cases": payload,
        }, fh, indent=None, separators=(",", ":"), allow_nan=False)
        fh.write("\n")
    print(name, len(payload), "cases")


if __name__ == "__main__":
    write("diffusers_schedules.json", schedules())
    write("diffusers_timesteps.json", timesteps())
    write("diffusers_steps.json", steps())
    write("diffusers_loops.json", loops())
