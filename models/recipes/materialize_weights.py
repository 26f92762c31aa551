#!/usr/bin/env python3
"""Regenerates the external weights file of a graph written by sd_scale_unet.py from its manifest.

The SD-scale UNet's weights are random (it exists for timing), about 1 GB in fp32: too big to copy
to a GPU machine that only receives tens of MiB per call. Its graph (<1 MB) travels instead, with
a manifest listing each external tensor's offset, shape, dtype, and the mean and std of the random
initialisation it had; this script writes a weights file of the same layout with seeded normal
values of that mean and std (numpy only: no torch, no onnx needed).

    python3 models/recipes/materialize_weights.py models/recipes/.work/sd-scale/unet-fp16.manifest.json [--seed 0]
"""
import argparse
import json
import os
import sys

import numpy as np


def materialize(manifest_path, seed=0, out=None):
    with open(manifest_path) as f:
        man = json.load(f)
    folder = os.path.dirname(os.path.abspath(manifest_path))
    out = out or os.path.join(folder, man["weights"])
    rng = np.random.default_rng(seed)
    tmp = out + ".tmp"
    with open(tmp, "wb") as f:
        for t in man["tensors"]:
            if f.tell() != t["offset"]:
                raise ValueError(f"{t['name']}: offset {t['offset']} expected, at {f.tell()}")
            n = int(np.prod(t["shape"], dtype=np.int64))
            arr = (rng.standard_normal(n, dtype=np.float32) * np.float32(t["std"]) + np.float32(t["mean"])).astype(t["dtype"])
            raw = arr.tobytes()
            if len(raw) != t["length"]:
                raise ValueError(f"{t['name']}: {len(raw)} bytes made, {t['length']} expected")
            f.write(raw)
    os.replace(tmp, out)
    return out, man["bytes"]


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("manifest", nargs="+")
    ap.add_argument("--seed", type=int, default=0)
    a = ap.parse_args()
    for m in a.manifest:
        out, n = materialize(m, a.seed)
        print(f"wrote {out} ({n / 2**20:.1f} MiB)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
