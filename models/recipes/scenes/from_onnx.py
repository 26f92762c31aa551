"""Rebuilds PyTorch weights from exported ONNX graphs of the same networks.

The recipe's checkpoints (models/recipes/.work/) are not committed; the shipped ONNX files are. A
stage that starts from the teacher (Turbo, Lightning) can start from the shipped teacher instead of
re-running the 70 minutes that produced it. How: export a copy of the network whose every parameter
holds distinct random values with the same exporter, match each ONNX initializer of that copy to the
parameter it came from by value (constant folding may have transposed a Linear weight or reshaped a
GroupNorm scale), then read the shipped graph's initializer of the same name into that parameter.
The result is checked: the rebuilt network and the shipped ONNX graph give the same outputs.
"""
import copy
import os
import tempfile

import numpy as np
import onnx
import torch
from onnx import numpy_helper


def _inits(path):
    return {t.name: numpy_helper.to_array(t) for t in onnx.load(path).graph.initializer}


def load_onnx_weights(model, shipped_path, export_fn, args, input_names, output_names, dynamic_axes):
    """Fills `model`'s parameters and buffers from the ONNX file at `shipped_path`, which `export_fn`
    (the recipe's exporter) wrote from a network of the same class. Returns the names it could not map
    (only non-trainable buffers that constant folding removed may be missing)."""
    probe = copy.deepcopy(model)
    g = torch.Generator().manual_seed(1234)
    named = dict(probe.named_parameters())
    with torch.no_grad():
        for p in named.values():
            p.copy_(torch.randn(p.shape, generator=g))
    with tempfile.TemporaryDirectory() as tmp:
        path = os.path.join(tmp, "probe.onnx")
        export_fn(probe, args, path, input_names, output_names, dynamic_axes)
        probe_inits = _inits(path)
    shipped = _inits(shipped_path)
    if set(probe_inits) != set(shipped):
        only_p = sorted(set(probe_inits) - set(shipped))[:5]
        only_s = sorted(set(shipped) - set(probe_inits))[:5]
        raise ValueError(f"{shipped_path}: the graph's initializers differ from a fresh export's ({only_p} vs {only_s})")
    state = {}
    unmapped = []
    for pname, p in named.items():
        v = p.detach().numpy()
        found = None
        for iname, arr in probe_inits.items():
            if arr.size != v.size or arr.dtype != np.float32:
                continue
            if np.array_equal(arr.reshape(-1), v.reshape(-1)):
                found = (iname, False)
                break
            if v.ndim == 2 and arr.ndim == 2 and arr.shape == v.T.shape and np.array_equal(arr, v.T):
                found = (iname, True)
                break
        if found is None:
            unmapped.append(pname)
            continue
        arr = shipped[found[0]]
        t = torch.from_numpy((arr.T if found[1] else arr).reshape(v.shape).copy())
        state[pname] = t
    if unmapped:
        raise ValueError(f"{shipped_path}: no initializer holds {unmapped[:5]} ({len(unmapped)} in all)")
    missing, unexpected = model.load_state_dict(state, strict=False)
    return missing


def check_same(model, shipped_path, export_fn, args, input_names, output_names, dynamic_axes):
    """Exports the rebuilt model again and compares every initializer with the shipped graph's: equal
    graphs (the exporter is deterministic) with equal initializers compute the same function."""
    with tempfile.TemporaryDirectory() as tmp:
        path = os.path.join(tmp, "again.onnx")
        export_fn(copy.deepcopy(model), args, path, input_names, output_names, dynamic_axes)
        again = _inits(path)
    shipped = _inits(shipped_path)
    worst = 0.0
    for k, arr in shipped.items():
        if arr.shape != again[k].shape:
            raise ValueError(f"{shipped_path}: initializer {k} has shape {again[k].shape} after the rebuild, {arr.shape} shipped")
        if arr.size:
            worst = max(worst, float(np.abs(arr.astype(np.float64) - again[k].astype(np.float64)).max()))
    return worst


def store_fp16(path, min_size=256):
    """Rewrites the ONNX file at `path` so that its large float32 weights are stored as float16, each
    followed by a Cast back to float32 at the top of the graph: the file is about half the size, and
    ONNX Runtime folds the casts into float32 constants when it loads the model, so it computes in
    float32 as fast as before (only the weights are rounded to float16). Returns (bytes before, after)."""
    from onnx import TensorProto, helper
    before = os.path.getsize(path)
    m = onnx.load(path)
    g = m.graph
    casts, keep = [], []
    for t in g.initializer:
        if t.data_type == TensorProto.FLOAT and np.prod(t.dims) >= min_size:
            arr = numpy_helper.to_array(t).astype(np.float16)
            half = numpy_helper.from_array(arr, t.name + "__fp16")
            keep.append(half)
            casts.append(helper.make_node("Cast", [half.name], [t.name], to=TensorProto.FLOAT, name=t.name + "__cast"))
        else:
            keep.append(t)
    del g.initializer[:]
    g.initializer.extend(keep)
    nodes = list(g.node)
    del g.node[:]
    g.node.extend(casts + nodes)
    onnx.checker.check_model(m)
    onnx.save(m, path + ".tmp")
    os.replace(path + ".tmp", path)
    return before, os.path.getsize(path)
