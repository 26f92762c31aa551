"""Golden values for DPMSolverMultistepScheduler, LCMScheduler, CMStochasticIterativeScheduler and the LCM
guidance-scale embedding, computed by the REAL diffusers code (not by fewstep).

Source of truth: huggingface/diffusers at commit 58eb52c0803ea9af3abec60841c2a093bdf1f951, run in float32 with
torch 1.13 (CPU) and numpy 1.24. Only diffusers' public classes are called; this script holds no copy of their code.
The fake model and the fixed noise below are ours.

Run (the oracle set up in /tmp/oracle stubs diffusers' unused third-party imports):
  PYTHONPATH=/tmp/oracle/stubs:/tmp/oracle/diffusers-src/src /usr/bin/python3 test/golden/make_golden_b.py
Writes test/golden/dpmSolverPP.json, lcm.json, cm.json, guidanceEmbedding.json.

Deterministic inputs (float32, n = 16 elements):
  initial noise  x[i] = sin(i)                  (the loop starts from init_noise_sigma * x, as diffusers pipelines do)
  fake model     F(x_in, t)[i] = a * x_in[i] + b * cos(0.7 i + 0.001 t)    (x_in = scale_model_input(x, t))
  noise          draw k of the stochastic samplers = noise[k], numpy RandomState(1234).standard_normal((12, 16)), float32
The stochastic schedulers draw through diffusers' `randn_tensor`; we replace it in their modules by a function that
hands out noise[0], noise[1], ... in order, so a NoiseSource returning the same arrays reproduces the run.
"""
import json
import math
import os

import numpy as np
import torch

import diffusers.schedulers.scheduling_consistency_models as cm_module
import diffusers.schedulers.scheduling_lcm as lcm_module
from diffusers import CMStochasticIterativeScheduler, DPMSolverMultistepScheduler, LCMScheduler
import ast
import diffusers.pipelines.latent_consistency_models as lcm_pipelines

DIFFUSERS_COMMIT = "58eb52c0803ea9af3abec60841c2a093bdf1f951"
OUT_DIR = os.path.dirname(os.path.abspath(__file__))
N_ELEMS = 16
STEP_COUNTS = [1, 2, 3, 4, 8, 50]

X_INIT = torch.sin(torch.arange(N_ELEMS, dtype=torch.float32))
NOISE = np.random.RandomState(1234).standard_normal((12, N_ELEMS)).astype(np.float32)


class FixedNoise:
    """Replaces diffusers' randn_tensor: returns NOISE[0], NOISE[1], ... and counts the draws."""

    def __init__(self):
        self.draws = 0

    def __call__(self, shape, generator=None, device=None, dtype=None, layout=None):
        assert tuple(shape) == (N_ELEMS,), shape
        out = torch.from_numpy(NOISE[self.draws].copy())
        self.draws += 1
        return out.to(dtype or torch.float32)


def fake_model(x_in, t, a, b):
    i = torch.arange(N_ELEMS, dtype=torch.float32)
    return a * x_in + b * torch.cos(0.7 * i + 0.001 * float(t))


def f32list(t):
    return [float(v) for v in torch.as_tensor(t).to(torch.float32).flatten().tolist()]


def numlist(t):
    return [float(v) if isinstance(v, float) else int(v) for v in torch.as_tensor(t).flatten().tolist()]


def write(name, data):
    with open(os.path.join(OUT_DIR, name), "w") as f:
        json.dump(data, f, indent=1)
        f.write("\n")


HEADER = {
    "source": "test/golden/make_golden_b.py: the real diffusers classes (commit %s), float32, torch 1.13" % DIFFUSERS_COMMIT,
    "n": N_ELEMS,
    "initial_noise": "x[i] = sin(i), float32",
    "model": "F(x_in, t)[i] = a * x_in[i] + b * cos(0.7 * i + 0.001 * t)",
    "noise": [f32list(torch.from_numpy(r)) for r in NOISE],
}

# ----------------------------------------------------------------------------------------------- DPM-Solver++

SD_BETAS = {"beta_start": 0.00085, "beta_end": 0.012, "beta_schedule": "scaled_linear"}


def dpm_grid(config, steps):
    s = DPMSolverMultistepScheduler(**config)
    s.set_timesteps(steps)
    return {"config": config, "steps": steps, "timesteps": numlist(s.timesteps), "sigmas": f32list(s.sigmas)}


def dpm_loop(config, steps, a=0.1, b=0.5):
    s = DPMSolverMultistepScheduler(**config)
    s.set_timesteps(steps)
    x = X_INIT * s.init_noise_sigma
    samples, denoised = [], []
    for t in s.timesteps:
        out = fake_model(s.scale_model_input(x, t), t, a, b)
        x = s.step(out, t, x).prev_sample
        samples.append(f32list(x))
        denoised.append(f32list(s.model_outputs[-1]))  # the converted x0 prediction of this step
    return {"config": config, "steps": steps, "a": a, "b": b, "timesteps": numlist(s.timesteps), "samples": samples, "denoised": denoised}


def make_dpm():
    grids = []
    for spacing in ["linspace", "leading", "trailing"]:
        for n in STEP_COUNTS + [61]:
            grids.append(dpm_grid({"timestep_spacing": spacing}, n))
    for n in STEP_COUNTS:
        grids.append(dpm_grid({**SD_BETAS, "timestep_spacing": "leading", "steps_offset": 1}, n))
        grids.append(dpm_grid({**SD_BETAS, "use_karras_sigmas": True}, n))
    for n in [4, 10, 25]:
        grids.append(dpm_grid({"beta_schedule": "squaredcos_cap_v2", "lambda_min_clipped": -5.1}, n))
        grids.append(dpm_grid({"final_sigmas_type": "sigma_min"}, n))
    loops = [
        dpm_loop({}, 10),
        dpm_loop({**SD_BETAS, "timestep_spacing": "leading", "steps_offset": 1}, 10),
        dpm_loop({**SD_BETAS, "timestep_spacing": "trailing"}, 10),
        dpm_loop({**SD_BETAS, "solver_type": "heun"}, 10),
        dpm_loop({**SD_BETAS, "solver_order": 1}, 10),
        dpm_loop({**SD_BETAS, "solver_order": 3}, 10),
        dpm_loop({**SD_BETAS, "solver_order": 3}, 20),
        dpm_loop({**SD_BETAS, "use_karras_sigmas": True}, 10),
        dpm_loop({**SD_BETAS, "prediction_type": "v_prediction"}, 10),
        dpm_loop({**SD_BETAS, "prediction_type": "sample"}, 10, a=0.5, b=0.3),
        dpm_loop({**SD_BETAS, "final_sigmas_type": "sigma_min"}, 20),
        dpm_loop({**SD_BETAS, "final_sigmas_type": "sigma_min"}, 10),
        dpm_loop({**SD_BETAS, "final_sigmas_type": "sigma_min", "lower_order_final": False}, 20),
        dpm_loop({**SD_BETAS, "final_sigmas_type": "sigma_min", "euler_at_final": True}, 20),
        dpm_loop({**SD_BETAS, "rescale_betas_zero_snr": True, "timestep_spacing": "trailing", "prediction_type": "v_prediction"}, 10),
        dpm_loop({**SD_BETAS}, 1),
        dpm_loop({**SD_BETAS}, 2),
    ]
    write("dpmSolverPP.json", {**HEADER, "grids": grids, "loops": loops})


# ----------------------------------------------------------------------------------------------------- LCM


def lcm_loop(config, steps, a=0.1, b=0.5):
    noise = FixedNoise()
    lcm_module.randn_tensor = noise
    s = LCMScheduler(**config)
    s.set_timesteps(steps)
    x = X_INIT * s.init_noise_sigma
    samples, denoised = [], []
    for t in s.timesteps:
        out = fake_model(s.scale_model_input(x, t), t, a, b)
        x, d = s.step(out, t, x, return_dict=False)
        samples.append(f32list(x))
        denoised.append(f32list(d))
    return {"config": config, "steps": steps, "a": a, "b": b, "noise_draws": noise.draws, "timesteps": numlist(s.timesteps), "samples": samples, "denoised": denoised}


def make_lcm():
    grids = []
    for config in [{}, {"original_inference_steps": 25}, {"num_train_timesteps": 500, "original_inference_steps": 30}]:
        for n in STEP_COUNTS + [6, 7, 25, 30]:
            s = LCMScheduler(**config)
            if n > s.config.original_inference_steps:
                continue
            s.set_timesteps(n)
            grids.append({"config": config, "steps": n, "timesteps": numlist(s.timesteps)})
    s = LCMScheduler()
    scalings = []
    for t in [0, 1, 19, 259, 999]:
        c_skip, c_out = s.get_scalings_for_boundary_condition_discrete(torch.tensor(t))
        scalings.append({"timestep": t, "c_skip": float(c_skip), "c_out": float(c_out)})
    loops = [
        lcm_loop({}, 10),
        lcm_loop({}, 4),
        lcm_loop({}, 1),
        lcm_loop({"prediction_type": "v_prediction", "clip_sample": True, "clip_sample_range": 1.5}, 4, a=0.3, b=2.0),
        lcm_loop({"rescale_betas_zero_snr": True, "prediction_type": "v_prediction"}, 4),
        lcm_loop({"beta_schedule": "linear", "beta_start": 0.0001, "beta_end": 0.02, "timestep_scaling": 1.0}, 8),
    ]
    write("lcm.json", {**HEADER, "grids": grids, "scalings": scalings, "loops": loops})


# ------------------------------------------------------------------------------------------ consistency models


def cm_loop(config, steps, a=0.1, b=3.0):
    noise = FixedNoise()
    cm_module.randn_tensor = noise
    s = CMStochasticIterativeScheduler(**config)
    s.set_timesteps(steps)
    x = X_INIT * s.init_noise_sigma
    samples, denoised = [], []
    for i, t in enumerate(s.timesteps):
        out = fake_model(s.scale_model_input(x, t), t, a, b)
        c_skip, c_out = s.get_scalings_for_boundary_condition(s.sigmas[i])
        d = c_out * out + c_skip * x
        if s.config.clip_denoised:
            d = d.clamp(-1, 1)
        x = s.step(out, t, x).prev_sample
        samples.append(f32list(x))
        denoised.append(f32list(d))
    return {"config": config, "steps": steps, "a": a, "b": b, "noise_draws": noise.draws, "timesteps": numlist(s.timesteps), "samples": samples, "denoised": denoised}


def make_cm():
    grids = []
    for config, counts in [({}, [1, 2, 3, 4, 8, 40]), ({"num_train_timesteps": 151}, STEP_COUNTS), ({"sigma_min": 0.01, "sigma_max": 40.0, "rho": 5.0}, [3, 10])]:
        for n in counts:
            s = CMStochasticIterativeScheduler(**config)
            s.set_timesteps(n)
            grids.append({"config": config, "steps": n, "timesteps": numlist(s.timesteps), "sigmas": f32list(s.sigmas), "init_noise_sigma": float(s.init_noise_sigma)})
    loops = [
        cm_loop({}, 10),
        cm_loop({}, 2),
        cm_loop({}, 1),
        cm_loop({"clip_denoised": False, "s_noise": 1.007, "num_train_timesteps": 151}, 10, a=0.2, b=1.0),
    ]
    write("cm.json", {**HEADER, "grids": grids, "loops": loops})


# -------------------------------------------------------------------------------------- guidance embedding


def load_get_guidance_scale_embedding():
    """diffusers' LatentConsistencyModelPipeline.get_guidance_scale_embedding, taken from its source file with `ast`
    and run as is: importing the pipeline module itself needs `transformers`, which is not installed here."""
    path = os.path.join(os.path.dirname(lcm_pipelines.__file__), "pipeline_latent_consistency_text2img.py")
    tree = ast.parse(open(path).read())
    for node in ast.walk(tree):
        if isinstance(node, ast.FunctionDef) and node.name == "get_guidance_scale_embedding":
            namespace = {"torch": torch}
            exec(compile(ast.Module(body=[node], type_ignores=[]), path, "exec"), namespace)
            return namespace["get_guidance_scale_embedding"]
    raise RuntimeError("get_guidance_scale_embedding not found in " + path)


def make_embedding():
    get_guidance_scale_embedding = load_get_guidance_scale_embedding()
    cases = []
    for ws, dim in [([0.0], 512), ([1.0], 512), ([6.5], 512), ([14.0], 256), ([0.5, 3.0, 7.0], 256), ([2.0], 7), ([7.5], 8)]:
        w = torch.tensor(ws, dtype=torch.float32)
        emb = get_guidance_scale_embedding(None, w, embedding_dim=dim, dtype=torch.float32)
        cases.append({"w": ws, "embedding_dim": dim, "embedding": f32list(emb)})
    write("guidanceEmbedding.json", {"source": HEADER["source"], "cases": cases})


if __name__ == "__main__":
    torch.set_num_threads(1)
    make_dpm()
    make_lcm()
    make_cm()
    make_embedding()
    print("wrote dpmSolverPP.json lcm.json cm.json guidanceEmbedding.json to", OUT_DIR)
