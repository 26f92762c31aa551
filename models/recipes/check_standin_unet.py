#!/usr/bin/python3
"""Checks that sd_standins.py's UNet has diffusers' UNet2DConditionModel architecture, not just its names.

At SD 1.5's configuration (block_out_channels 320/640/1280/1280, 2 layers per block, cross-attention 768,
8 heads, time embedding 1280) the stand-in class must have exactly the parameter count, and at 64x64
latents exactly the Conv / Linear / attention multiply-accumulate counts, that check_flops_sd15.py measured
on diffusers' own UNet2DConditionModel (recorded in count_flops_sd15.json, diffusers commit 58eb52c).
Random weights, about 3.5 GB of RAM and a minute or two of CPU:

    /usr/bin/python3 models/recipes/check_standin_unet.py
"""
import json
import os
import sys

import torch

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
from check_flops_sd15 import hook_count  # noqa: E402  (the counting rules of the diffusers measurement)
from sd_standins import UNet2DCondition  # noqa: E402


class Wrap(torch.nn.Module):
    def __init__(self, u):
        super().__init__()
        self.u = u

    def forward(self, s, t, e):
        return self.u(s, t, e)


def main():
    with open(os.path.join(HERE, "count_flops_sd15.json")) as f:
        ref = json.load(f)
    torch.manual_seed(0)
    torch.set_num_threads(2)
    unet = UNet2DCondition(sd2=False, blocks=(320, 640, 1280, 1280), layers=2, cross_dim=768).eval()
    params = sum(p.numel() for p in unet.parameters())
    macs = hook_count(Wrap(unet), (torch.randn(1, 4, 64, 64), torch.tensor([999.0]), torch.randn(1, 77, 768)))
    result = {
        "what": "sd_standins.py UNet2DCondition at SD 1.5's config vs diffusers' UNet2DConditionModel (count_flops_sd15.json)",
        "parameters": {"standin": params, "diffusers": ref["parameters"]},
        "macs_64x64": {k: {"standin": macs[k], "diffusers": ref["hooks_macs"][k]} for k in ("Conv", "Linear", "attention")},
    }
    result["identical"] = params == ref["parameters"] and all(macs[k] == ref["hooks_macs"][k] for k in ("Conv", "Linear", "attention"))
    print(json.dumps(result, indent=1))
    sys.exit(0 if result["identical"] else 1)


if __name__ == "__main__":
    main()
