#!/usr/bin/python3
"""Validates count_flops.py against the published "one SD 1.5 UNet evaluation: 0.80 TFLOP at 512 px"
(../shared/reference/published-results.md, compute floor section), on diffusers' own UNet.

Local check, not part of the build: it needs diffusers' source on PYTHONPATH (nothing of diffusers
is committed); diffusers_torch113_shim.py makes it import under Debian's torch 1.13 (modern
diffusers wants torch 2). It instantiates UNet2DConditionModel with SD 1.5's unet/config.json values (random
weights, 860 M parameters, about 4 GB of RAM), then counts one evaluation at 64x64 latents two
independent ways:
  1. torch forward hooks on Conv2d / Linear plus wrappers on torch.bmm / baddbmm
     (attention), with the same per-op rules as count_flops.py;
  2. torch.onnx.export (export_params=False: the graph alone, weights become inputs) and
     count_flops.count_macs on the ONNX graph.

    PYTHONPATH=/tmp/oracle/stubs:/tmp/oracle/diffusers-src/src /usr/bin/python3 models/recipes/check_flops_sd15.py [--size 64]

(/tmp/oracle/stubs stubs the third-party packages diffusers imports; diffusers_torch113_shim.py,
beside this file, bridges torch 1.13.)
"""
import argparse
import json
import os
import sys
import time

import torch
from torch import nn

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
from count_flops import count_macs, format_report  # noqa: E402

# The values of runwayml/stable-diffusion-v1-5 unet/config.json (diffusers' defaults for the rest).
SD15_UNET = dict(
    sample_size=64, in_channels=4, out_channels=4, center_input_sample=False, flip_sin_to_cos=True, freq_shift=0,
    down_block_types=("CrossAttnDownBlock2D", "CrossAttnDownBlock2D", "CrossAttnDownBlock2D", "DownBlock2D"),
    up_block_types=("UpBlock2D", "CrossAttnUpBlock2D", "CrossAttnUpBlock2D", "CrossAttnUpBlock2D"),
    block_out_channels=(320, 640, 1280, 1280), layers_per_block=2, downsample_padding=1, mid_block_scale_factor=1,
    act_fn="silu", norm_num_groups=32, norm_eps=1e-5, cross_attention_dim=768, attention_head_dim=8,
)


def hook_count(model, args):
    """MACs by forward hooks (Conv2d, Linear) and wrapped batched matmuls (attention)."""
    totals = {"Conv": 0, "Linear": 0, "attention": 0}

    def conv_hook(m, inp, out):
        totals["Conv"] += out.numel() * (m.in_channels // m.groups) * m.kernel_size[0] * m.kernel_size[1]

    def linear_hook(m, inp, out):
        totals["Linear"] += out.numel() * m.in_features

    handles = []
    for m in model.modules():
        if isinstance(m, nn.Conv2d):
            handles.append(m.register_forward_hook(conv_hook))
        elif isinstance(m, nn.Linear):
            handles.append(m.register_forward_hook(linear_hook))
    orig = {n: getattr(torch, n) for n in ("bmm", "baddbmm", "matmul")}

    def bmm(a, b, **kw):
        totals["attention"] += a.shape[0] * a.shape[1] * a.shape[2] * b.shape[2]
        return orig["bmm"](a, b, **kw)

    def baddbmm(inp, a, b, **kw):
        totals["attention"] += a.shape[0] * a.shape[1] * a.shape[2] * b.shape[2]
        return orig["baddbmm"](inp, a, b, **kw)

    torch.bmm, torch.baddbmm = bmm, baddbmm
    try:
        with torch.no_grad():
            model(*args)
    finally:
        torch.bmm, torch.baddbmm = orig["bmm"], orig["baddbmm"]
        for h in handles:
            h.remove()
    return totals


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--size", type=int, default=64, help="latent size (64 = 512 px)")
    ap.add_argument("--out", default=os.path.join(HERE, ".work", "flops-check"))
    a = ap.parse_args()
    import diffusers_torch113_shim  # noqa: F401  (makes diffusers import under torch 1.13)
    from diffusers.models.unets.unet_2d_condition import UNet2DConditionModel

    torch.manual_seed(0)
    torch.set_num_threads(2)
    unet = UNet2DConditionModel(**SD15_UNET).eval()
    params = sum(p.numel() for p in unet.parameters())
    print(f"SD 1.5 UNet (diffusers UNet2DConditionModel, random weights): {params / 1e6:.1f} M parameters")
    sample = torch.randn(1, 4, a.size, a.size)
    timestep = torch.tensor([999.0])
    ehs = torch.randn(1, 77, 768)

    class Wrap(nn.Module):
        def __init__(self, u):
            super().__init__()
            self.u = u

        def forward(self, s, t, e):
            return self.u(s, t, e, return_dict=False)[0]

    w = Wrap(unet).eval()
    t0 = time.time()
    hooks = hook_count(w, (sample, timestep, ehs))
    hook_macs = sum(hooks.values())
    print(f"hooks ({time.time() - t0:.0f} s): " + ", ".join(f"{k} {v / 1e9:.2f} GMAC" for k, v in hooks.items()) + f"; total {hook_macs / 1e9:.2f} GMAC = {2 * hook_macs / 1e12:.4f} TFLOP")

    os.makedirs(a.out, exist_ok=True)
    path = os.path.join(a.out, f"sd15-unet-graph-{a.size}.onnx")
    t0 = time.time()
    # diffusers' attention (torch < 2) computes scores as baddbmm(empty, q, k^T, beta=0): traced, the
    # empty [heads, hw, hw] tensor becomes a constant (64 MB per attention at 64x64, 2.9 GB in all).
    # Exported as alpha * bmm(q, k^T) instead: the same multiplies, no constant.
    orig_baddbmm = torch.baddbmm

    def baddbmm(inp, a, b, beta=1, alpha=1):
        prod = torch.bmm(a, b) * alpha
        return prod if beta == 0 else beta * inp + prod

    torch.baddbmm = baddbmm
    with torch.no_grad():
        torch.onnx.export(w, (sample, timestep, ehs), path, input_names=["sample", "timestep", "encoder_hidden_states"],
                          output_names=["out_sample"], opset_version=17, export_params=False, do_constant_folding=False)
    torch.baddbmm = orig_baddbmm
    print(f"exported the graph (no weights) to {path} in {time.time() - t0:.0f} s")
    r = count_macs(path, {"sample": [1, 4, a.size, a.size], "timestep": [1], "encoder_hidden_states": [1, 77, 768]})
    print("count_flops.py on the ONNX graph:")
    print(format_report(r))
    result = {
        "model": "diffusers UNet2DConditionModel, SD 1.5 config, random weights",
        "parameters": params,
        "latent": [a.size, a.size],
        "hooks_macs": hooks,
        "hooks_tflop": 2 * hook_macs / 1e12,
        "onnx_count": r,
        "published_tflop_512px": 0.80,
        "published_source": "../shared/reference/published-results.md, compute floor: one SD 1.5 UNet evaluation 0.18 / 0.80 / 2.15 / 4.67 TFLOP at 256 / 512 / 768 / 1024 px",
    }
    with open(os.path.join(a.out, f"sd15-flops-{a.size}.json"), "w") as f:
        json.dump(result, f, indent=2)
    print(f"ONNX count {r['flops'] / 1e12:.4f} TFLOP, hooks {2 * hook_macs / 1e12:.4f} TFLOP, published 0.80 TFLOP at 512 px")


if __name__ == "__main__":
    main()
