#!/usr/bin/python3
"""A Stable-Diffusion-scale UNet of the shipped scenes architecture, for GPU timing (random weights).

The shipped UNet (`scenes/nets.py`, class UNet) is widened, same recipe and layer graph, until one
evaluation at 64x64 latents (SD 1.5 at 512 px) costs about 0.80 TFLOP, the figure SD 1.5's UNet
costs by the same counting rules (count_flops.py; check_flops_sd15.py measures 0.80 on diffusers'
own UNet). Scaled: the widths c0 (64x64 level) and c1 = 1.5 c0 (32x32 level, the shipped ratio
96/64), the timestep-embedding width temb = 4 c0 (SD's 1280 = 4 x 320), the text context as SD 1.5's
CLIP (77 tokens x 768) and the attention heads to c / 64 (SD's head width 64). Depth cannot change
without changing the class: the layer graph is the shipped one.

The width is searched with the counter: for each candidate c0 (multiples of 64) the model is built,
its graph exported at a small latent (the export has dynamic height/width) and counted at 64x64.

Outputs (models/recipes/.work/sd-scale/, git-ignored):
    unet-fp32.onnx, unet-fp16.onnx   the graphs; large float initializers live in external files
    unet-fp32.weights, unet-fp16.weights   their data (materialize_weights.py can regenerate them
                                     from the manifests, on a machine the 1 GB file cannot travel to)
    unet-fp32.manifest.json, unet-fp16.manifest.json   per external tensor: offset, shape, dtype,
                                     mean and std of the random initialisation
    flops.json                       config, parameters, MAC/FLOP counts at batch 1 and 2 (per op)

    /usr/bin/python3 models/recipes/sd_scale_unet.py [--target-tflop 0.8] [--out DIR] [--search-only]
"""
import argparse
import json
import os
import sys
import time

import numpy as np
import onnx
import torch
from onnx import TensorProto, numpy_helper

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
sys.path.insert(0, os.path.join(HERE, "scenes"))
import nets  # noqa: E402  (the shipped architecture)
from count_flops import count_macs, format_report  # noqa: E402
from make_fixtures import OPSET, convert_to_fp16  # noqa: E402

SEQ_LEN = 77        # SD 1.5's CLIP text length
CTX = 768           # SD 1.5's cross_attention_dim
HEAD_WIDTH = 64     # SD 1.5's attention head width
C1_RATIO = 1.5      # the shipped c1 / c0 = 96 / 64
LATENT = 64         # 512 px / 8
# Initializers at least this large go to the external weights file (the rest, shape constants and
# small vectors, stay in the graph with their real values).
EXTERNAL_MIN_BYTES = 4096
INPUT_NAMES = ["sample", "timestep", "encoder_hidden_states"]


def widths(c0, c1=None):
    """c1 defaults to C1_RATIO x c0 rounded to a multiple of the head width."""
    c1 = c1 or int(round(C1_RATIO * c0 / HEAD_WIDTH)) * HEAD_WIDTH
    return dict(c0=c0, c1=c1, ctx=CTX, temb=4 * c0)


def parse_candidate(s):
    """'896' or '896:1408' (c0 or c0:c1)."""
    parts = [int(x) for x in s.split(":")]
    for p in parts:
        if p % HEAD_WIDTH:
            raise ValueError(f"width {p} is not a multiple of the head width {HEAD_WIDTH}")
    return tuple(parts) if len(parts) == 2 else (parts[0], None)


def build(c0, c1=None, seed=0):
    """The shipped UNet class at widths c0, c1, attention heads set to width / 64."""
    torch.manual_seed(seed)
    cfg = widths(c0, c1)
    unet = nets.UNet(**cfg).eval()
    for m in unet.modules():
        if isinstance(m, nets.CrossAttention):
            m.heads = m.to_q.out_features // HEAD_WIDTH
    return unet, cfg


def shapes(batch, latent=LATENT):
    return {"sample": [batch, 4, latent, latent], "timestep": [1], "encoder_hidden_states": [batch, SEQ_LEN, CTX]}


def export(unet, path, latent, params=True):
    """ONNX export, opset 17, dynamic batch/height/width (the layout of the scenes UNet export)."""
    args = (torch.randn(1, 4, latent, latent), torch.tensor([999.0]), torch.randn(1, SEQ_LEN, CTX))
    axes = {"sample": {0: "batch", 2: "height", 3: "width"}, "encoder_hidden_states": {0: "batch"},
            "out_sample": {0: "batch", 2: "height", 3: "width"}}
    with torch.no_grad():
        torch.onnx.export(unet, args, path, input_names=INPUT_NAMES, output_names=["out_sample"], dynamic_axes=axes,
                          opset_version=OPSET, do_constant_folding=params, export_params=params)


def count(path, batch, latent=LATENT):
    return count_macs(path, shapes(batch, latent))


def search(target_tflop, work, candidates):
    """Counts each candidate width; returns the rows and the one closest to the target."""
    rows = []
    for c0, c1 in candidates:
        unet, cfg = build(c0, c1)
        p = os.path.join(work, f"search-c{c0}.onnx")
        export(unet, p, latent=8, params=False)
        r = count(p, 1)
        os.remove(p)
        params = sum(t.numel() for t in unet.parameters())
        rows.append(dict(cfg, params=params, tflop=r["flops"] / 1e12))
        print(f"  c0={c0:5d} c1={cfg['c1']:5d} temb={cfg['temb']:5d}  {params / 1e6:7.1f} M params  {r['flops'] / 1e12:.4f} TFLOP")
        del unet
    best = min(rows, key=lambda r: abs(r["tflop"] - target_tflop))
    return rows, best


def externalize(path, weights_name):
    """Moves initializers >= EXTERNAL_MIN_BYTES to `weights_name` beside the model; writes the
    manifest (offset, shape, dtype, mean, std of each) used to regenerate them elsewhere."""
    folder = os.path.dirname(path)
    m = onnx.load(path)
    entries = []
    offset = 0
    with open(os.path.join(folder, weights_name), "wb") as f:
        for t in m.graph.initializer:
            if t.data_type not in (TensorProto.FLOAT, TensorProto.FLOAT16):
                continue
            arr = numpy_helper.to_array(t)
            if arr.nbytes < EXTERNAL_MIN_BYTES:
                continue
            raw = arr.tobytes()
            f.write(raw)
            entries.append({"name": t.name, "dtype": str(arr.dtype), "shape": list(arr.shape), "offset": offset,
                            "length": len(raw), "mean": float(arr.astype(np.float64).mean()), "std": float(arr.astype(np.float64).std())})
            t.ClearField("raw_data")
            t.ClearField("float_data")
            t.ClearField("int32_data")
            t.data_location = TensorProto.EXTERNAL
            del t.external_data[:]
            for k, v in (("location", weights_name), ("offset", str(offset)), ("length", str(len(raw)))):
                e = t.external_data.add()
                e.key, e.value = k, v
            offset += len(raw)
    onnx.save(m, path)
    manifest = {"model": os.path.basename(path), "weights": weights_name, "bytes": offset, "tensors": entries}
    with open(path.replace(".onnx", ".manifest.json"), "w") as f:
        json.dump(manifest, f)
    return offset


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--target-tflop", type=float, default=0.80)
    ap.add_argument("--out", default=os.path.join(HERE, ".work", "sd-scale"))
    ap.add_argument("--candidates", default="768,832,896,896:1408,896:1472,960,1024",
                    help="comma list of c0 or c0:c1 (multiples of 64; c1 defaults to 1.5 c0)")
    ap.add_argument("--width", help="skip the search and use this c0 or c0:c1")
    ap.add_argument("--search-only", action="store_true")
    a = ap.parse_args()
    os.makedirs(a.out, exist_ok=True)
    torch.set_num_threads(2)
    rows = []
    if a.width:
        c0, c1 = parse_candidate(a.width)
    else:
        print(f"searching the widths for {a.target_tflop} TFLOP per evaluation at {LATENT}x{LATENT} latents, batch 1:")
        rows, best = search(a.target_tflop, a.out, [parse_candidate(c) for c in a.candidates.split(",")])
        c0, c1 = best["c0"], best["c1"]
        print(f"chosen c0={c0} c1={c1}")
    if a.search_only:
        return

    unet, cfg = build(c0, c1)
    params = sum(t.numel() for t in unet.parameters())
    f32 = os.path.join(a.out, "unet-fp32.onnx")
    f16 = os.path.join(a.out, "unet-fp16.onnx")
    t0 = time.time()
    export(unet, f32, latent=LATENT)
    onnx.checker.check_model(f32)
    del unet
    print(f"exported {f32} in {time.time() - t0:.0f} s")
    counts = {}
    for b in (1, 2):
        r = count(f32, b)
        counts[str(b)] = r
        print(f"batch {b}:\n" + format_report(r))
    # fp16: the graph converted as make_fixtures.py converts its fp16 fixture.
    import shutil
    shutil.copyfile(f32, f16)
    convert_to_fp16(f16)
    sizes = {}
    for p, w in ((f32, "unet-fp32.weights"), (f16, "unet-fp16.weights")):
        sizes[os.path.basename(p)] = {"weights_bytes": externalize(p, w), "graph_bytes": os.path.getsize(p)}
    r16 = count(f16, 1)
    print(f"fp16 graph: {r16['flops'] / 1e12:.4f} TFLOP at batch 1 (same count as fp32: {r16['macs'] == counts['1']['macs']})")
    out = {
        "what": "SD-scale UNet of the scenes architecture (models/recipes/scenes/nets.py UNet), random weights, for GPU timing",
        "made_by": "models/recipes/sd_scale_unet.py",
        "torch": torch.__version__, "onnx": onnx.__version__, "opset": OPSET,
        "config": dict(cfg, heads_rule=f"width / {HEAD_WIDTH}", seq_len=SEQ_LEN, latent=[LATENT, LATENT]),
        "parameters": params,
        "target_tflop": a.target_tflop,
        "search": rows,
        "inputs": {"sample": "float [batch, 4, 64, 64]", "timestep": "float [1]", "encoder_hidden_states": f"float [batch, {SEQ_LEN}, {CTX}]"},
        "flops_per_evaluation": {b: counts[b]["flops"] for b in counts},
        "macs_per_evaluation": {b: counts[b]["macs"] for b in counts},
        "per_op_batch1": counts["1"]["per_op"],
        "ignored_ops": counts["1"]["ignored_ops"],
        "files": sizes,
        "rule": counts["1"]["rule"],
    }
    with open(os.path.join(a.out, "flops.json"), "w") as f:
        json.dump(out, f, indent=2)
        f.write("\n")
    print(f"config {cfg}, {params / 1e6:.1f} M parameters, {out['flops_per_evaluation']['1'] / 1e12:.4f} TFLOP per evaluation (batch 1)")
    print(f"wrote {a.out}/flops.json; files {sizes}")


if __name__ == "__main__":
    main()
