#!/usr/bin/python3
"""Counts the multiply-accumulates (MACs) of an ONNX graph, per op type; FLOP = 2 x MAC.

Shapes of intermediate tensors come from `onnx.shape_inference.infer_shapes` (with data
propagation, so Shape -> Gather -> Concat -> Reshape chains resolve) after the graph inputs'
symbolic dimensions are pinned to the sizes given with `--input`; where ONNX's inference cannot see
through a shape computation (Where, Range, Expand of a computed shape: torch's expand(-1) of the
timestep), a small numpy constant folder evaluates it, puts the result back as an initializer and
inference runs again. Counting is on the ONNX graph,
not on a framework module, so it covers any export (torch, optimum, hand-built).

Counted (MACs = multiplications of a dot product; bias additions are not counted):
- Conv           N * Cout * prod(out spatial) * (Cin / group) * prod(kernel)
- ConvTranspose  N * Cin * prod(in spatial) * (Cout / group) * prod(kernel)
- MatMul         prod(broadcast batch dims) * M * K * N (numpy matmul semantics, 1-D operands too)
                 reported as "MatMul" when one operand is a parameter (a Linear layer) and as
                 "MatMul (attention)" when both operands are activations (Q K^T and softmax(.) V)
- Gemm           M * K * N
- Einsum         the product of all distinct index sizes (one multiply per term), rarely exported
Ignored (listed with their counts in the report): normalisations (GroupNorm, LayerNorm,
InstanceNormalization, BatchNormalization), activations (Sigmoid, Tanh, Relu, Gelu, Erf, Softplus
...), Softmax, elementwise Add/Mul/Div/Sub/Pow/Sqrt, Resize, Reshape/Transpose/Concat/Slice and the
like: together they are a few percent of a UNet's arithmetic and are memory-bound, not MAC work.

Usage:
    /usr/bin/python3 models/recipes/count_flops.py model.onnx \\
        --input sample=1,4,64,64 --input timestep=1 --input encoder_hidden_states=1,77,768 \\
        [--json out.json] [--self-test]

`--input` names the data inputs; any other graph input (e.g. the weights of an export made with
export_params=False) is treated as a parameter. As a module: `count_macs(model, shapes)`.
"""
import argparse
import json
import sys
from collections import OrderedDict

import numpy as np
import onnx
from onnx import helper, numpy_helper, shape_inference, TensorProto

COUNTED = ("Conv", "ConvTranspose", "MatMul", "Gemm", "Einsum")
# Ops that only move data through unchanged values: a parameter stays a parameter through them.
PASS_THROUGH = {"Transpose", "Reshape", "Cast", "Identity", "Unsqueeze", "Squeeze", "Flatten", "Expand"}


class UnknownShapeError(Exception):
    """A counted op's operand shape could not be inferred (pin more input dims with --input)."""


def _attr(node, name, default=None):
    for a in node.attribute:
        if a.name == name:
            return helper.get_attribute_value(a)
    return default


def _dims(vi):
    """Concrete dims of a ValueInfo/tensor type, or None when any is unknown."""
    t = vi.type.tensor_type
    if not t.HasField("shape"):
        return None
    out = []
    for d in t.shape.dim:
        if d.HasField("dim_value"):
            out.append(int(d.dim_value))
        else:
            return None
    return out


def pin_inputs(model, shapes):
    """Returns a copy of `model` whose graph inputs named in `shapes` have those concrete dims."""
    m = onnx.ModelProto()
    m.CopyFrom(model)
    names = {i.name for i in m.graph.input}
    for name in shapes:
        if name not in names:
            raise ValueError(f"--input {name}: the graph has no such input (inputs: {sorted(names)})")
    for inp in m.graph.input:
        if inp.name in shapes:
            dims = shapes[inp.name]
            shape = inp.type.tensor_type.shape
            if len(shape.dim) and len(shape.dim) != len(dims):
                raise ValueError(f"--input {inp.name}: rank {len(dims)} given, the graph says rank {len(shape.dim)}")
            del shape.dim[:]
            for d in dims:
                shape.dim.add().dim_value = int(d)
    return m


def _run_inference(model):
    try:
        return shape_inference.infer_shapes(model, strict_mode=False, data_prop=True)
    except TypeError:  # onnx < 1.10 has no data_prop
        return shape_inference.infer_shapes(model)


def _known_shapes(g):
    shapes = {}
    for vi in list(g.input) + list(g.value_info) + list(g.output):
        d = _dims(vi)
        if d is not None:
            shapes[vi.name] = d
    for init in g.initializer:
        shapes[init.name] = list(init.dims)
    for node in g.node:  # Constant nodes carry their value
        if node.op_type == "Constant":
            v = _constant_value(node)
            if v is not None:
                shapes[node.output[0]] = list(v.shape)
    return shapes


def _constant_value(node):
    for a in node.attribute:
        if a.name == "value":
            return numpy_helper.to_array(a.t)
        if a.name in ("value_int", "value_float"):
            return np.array(helper.get_attribute_value(a))
        if a.name in ("value_ints", "value_floats"):
            return np.array(list(helper.get_attribute_value(a)))
    return None


class _CannotFold(Exception):
    pass


FOLD_MAX_ELEMENTS = 4096


def _fold(node, values, shapes):
    """numpy value of a small shape-computation node whose inputs are known, else _CannotFold."""
    op = node.op_type

    def v(i):
        if i >= len(node.input) or not node.input[i]:
            return None
        if node.input[i] not in values:
            raise _CannotFold()
        return values[node.input[i]]

    if op == "Shape":
        s = shapes.get(node.input[0])
        if s is None:
            raise _CannotFold()
        start, end = _attr(node, "start", 0), _attr(node, "end", None)
        return np.array(s, dtype=np.int64)[start:end]
    if op == "Size":
        s = shapes.get(node.input[0])
        if s is None:
            raise _CannotFold()
        return np.array(int(np.prod(s, dtype=np.int64)), dtype=np.int64)
    if op == "Constant":
        return _constant_value(node)
    if op == "Identity":
        return v(0)
    if op == "Gather":
        return np.take(v(0), v(1), axis=_attr(node, "axis", 0))
    if op in ("Unsqueeze", "Squeeze"):
        x = v(0)
        axes = v(1) if len(node.input) > 1 and node.input[1] else _attr(node, "axes")
        if op == "Squeeze":
            return np.squeeze(x, axis=None if axes is None else tuple(int(a) for a in np.atleast_1d(axes)))
        rank = x.ndim + len(np.atleast_1d(axes))
        for a in sorted(int(a) % rank for a in np.atleast_1d(axes)):
            x = np.expand_dims(x, a)
        return x
    if op == "Concat":
        return np.concatenate([np.atleast_1d(v(i)) for i in range(len(node.input))], axis=_attr(node, "axis", 0))
    if op == "Slice":
        x = v(0)
        starts, ends = v(1), v(2)
        axes = v(3) if len(node.input) > 3 and node.input[3] else np.arange(len(starts))
        steps = v(4) if len(node.input) > 4 and node.input[4] else np.ones(len(starts), dtype=np.int64)
        sl = [slice(None)] * x.ndim
        for st, en, ax, sp in zip(starts, ends, axes, steps):
            sl[int(ax)] = slice(int(st), int(max(min(en, 2**62), -2**62)), int(sp))
        return x[tuple(sl)]
    if op == "Cast":
        return v(0).astype(helper.tensor_dtype_to_np_dtype(_attr(node, "to")) if hasattr(helper, "tensor_dtype_to_np_dtype") else onnx.mapping.TENSOR_TYPE_TO_NP_TYPE[_attr(node, "to")])
    if op == "Where":
        return np.where(v(0), v(1), v(2))
    if op in ("Equal", "Less", "Greater", "LessOrEqual", "GreaterOrEqual", "Add", "Sub", "Mul", "Max", "Min", "And", "Or"):
        f = {"Equal": np.equal, "Less": np.less, "Greater": np.greater, "LessOrEqual": np.less_equal, "GreaterOrEqual": np.greater_equal,
             "Add": np.add, "Sub": np.subtract, "Mul": np.multiply, "Max": np.maximum, "Min": np.minimum, "And": np.logical_and, "Or": np.logical_or}[op]
        out = v(0)
        for i in range(1, len(node.input)):
            out = f(out, v(i))
        return np.asarray(out).astype(v(0).dtype) if op in ("Add", "Sub", "Mul", "Max", "Min") else np.asarray(out)
    if op == "Div":
        a, b = v(0), v(1)
        return (np.trunc(a / b).astype(a.dtype)) if np.issubdtype(a.dtype, np.integer) else (a / b).astype(a.dtype)
    if op in ("Not", "Neg", "Abs", "Floor", "Ceil", "Sqrt"):
        f = {"Not": np.logical_not, "Neg": np.negative, "Abs": np.abs, "Floor": np.floor, "Ceil": np.ceil, "Sqrt": np.sqrt}[op]
        return np.asarray(f(v(0))).astype(v(0).dtype) if op != "Not" else np.logical_not(v(0))
    if op == "ConstantOfShape":
        shape = [int(d) for d in v(0)]
        if int(np.prod(shape, dtype=np.int64)) > FOLD_MAX_ELEMENTS:
            raise _CannotFold()
        t = _attr(node, "value")
        fill = numpy_helper.to_array(t).reshape(-1)[0] if t is not None else np.float32(0)
        return np.full(shape, fill, dtype=np.asarray(fill).dtype)
    if op == "Range":
        return np.arange(v(0), v(1), v(2)).astype(v(0).dtype)
    if op == "Reshape":
        x, shape = v(0), [int(d) for d in v(1)]
        shape = [x.shape[i] if d == 0 and not _attr(node, "allowzero", 0) else d for i, d in enumerate(shape)]
        return x.reshape(shape)
    if op == "Expand":
        x, shape = v(0), tuple(int(d) for d in v(1))
        return np.broadcast_to(x, np.broadcast_shapes(x.shape, shape)).copy()
    raise _CannotFold()


def infer_shapes(model, max_rounds=30):
    """name -> concrete dims for every tensor whose shape resolves. ONNX shape inference, plus a
    small constant folder for shape-computation chains it cannot see through (Where, Range,
    Expand of computed shapes, ...): folded values are put back as initializers and inference runs
    again, until nothing new folds. Only results of at most FOLD_MAX_ELEMENTS elements are folded."""
    m = onnx.ModelProto()
    m.CopyFrom(model)
    values = {}
    for init in m.graph.initializer:
        if init.data_location != TensorProto.EXTERNAL and int(np.prod(init.dims, dtype=np.int64)) <= FOLD_MAX_ELEMENTS:
            values[init.name] = numpy_helper.to_array(init)
    for _ in range(max_rounds):
        inferred = _run_inference(m)
        shapes = _known_shapes(inferred.graph)
        folded = {}
        for node in m.graph.node:
            if all(o in values for o in node.output):
                continue
            try:
                out = _fold(node, values, shapes)
            except (_CannotFold, ValueError, TypeError, IndexError, KeyError):
                continue
            if out is None or np.asarray(out).size > FOLD_MAX_ELEMENTS:
                continue
            out = np.asarray(out)
            values[node.output[0]] = out
            shapes[node.output[0]] = list(out.shape)
            if node.op_type != "Constant":
                folded[node.output[0]] = out
        if not folded:
            return shapes
        keep = [n for n in m.graph.node if not (len(n.output) == 1 and n.output[0] in folded)]
        del m.graph.node[:]
        m.graph.node.extend(keep)
        for name, arr in folded.items():
            m.graph.initializer.append(numpy_helper.from_array(arr, name))
    return shapes


def _param_names(model, data_inputs):
    """Tensors that are parameters: initializers, Constant outputs, non-data graph inputs, and
    anything derived from them only through PASS_THROUGH ops."""
    g = model.graph
    params = {i.name for i in g.initializer}
    if data_inputs:
        params |= {i.name for i in g.input if i.name not in data_inputs}
    for node in g.node:  # nodes are topologically sorted in a valid ONNX graph
        if node.op_type == "Constant":
            params.update(node.output)
        elif node.op_type in PASS_THROUGH and node.input and node.input[0] in params:
            params.update(node.output)
    return params


def _matmul_macs(a, b):
    a = list(a)
    b = list(b)
    if len(a) == 1:
        a = [1] + a
    if len(b) == 1:
        b = b + [1]
    m, k = a[-2], a[-1]
    k2, n = b[-2], b[-1]
    if k != k2:
        raise ValueError(f"MatMul inner dims differ: {a} @ {b}")
    batch = np.broadcast_shapes(tuple(a[:-2]), tuple(b[:-2]))
    return int(np.prod(batch, dtype=np.int64)) * m * k * n


def node_macs(node, shapes):
    """MACs of one node (0 for ops that are not counted); raises UnknownShapeError."""
    op = node.op_type

    def shape(i, io="in"):
        name = node.input[i] if io == "in" else node.output[i]
        s = shapes.get(name)
        if s is None:
            raise UnknownShapeError(f"{op} node {node.name or '?'}: shape of {io}put {name} unknown")
        return s

    if op == "Conv":
        w = shape(1)
        y = shape(0, "out")
        # W is [Cout, Cin / group, k...]: each output is a dot product over W[1] * prod(k) taps.
        return int(np.prod(y, dtype=np.int64)) * w[1] * int(np.prod(w[2:], dtype=np.int64))
    if op == "ConvTranspose":
        x = shape(0)
        w = shape(1)  # [Cin, Cout / group, k...]
        return int(np.prod(x, dtype=np.int64)) * w[1] * int(np.prod(w[2:], dtype=np.int64))
    if op == "MatMul":
        return _matmul_macs(shape(0), shape(1))
    if op == "Gemm":
        a = shape(0)
        b = shape(1)
        m, k = (a[1], a[0]) if _attr(node, "transA", 0) else (a[0], a[1])
        n = b[0] if _attr(node, "transB", 0) else b[1]
        return m * k * n
    if op == "Einsum":
        eq = _attr(node, "equation").decode() if isinstance(_attr(node, "equation"), bytes) else _attr(node, "equation")
        lhs = eq.replace(" ", "").split("->")[0].split(",")
        sizes = {}
        for i, term in enumerate(lhs):
            s = shape(i)
            if "..." in term:
                raise UnknownShapeError(f"Einsum {eq}: ellipsis not supported")
            for ch, d in zip(term, s):
                sizes[ch] = d
        return int(np.prod(list(sizes.values()), dtype=np.int64))
    return 0


def count_macs(model, input_shapes, strict=True):
    """Counts MACs of `model` (ModelProto or path) with the data inputs pinned to `input_shapes`
    (name -> dims). Returns a dict: total MACs and FLOPs, per-op-type MACs and node counts, the
    ignored op types with their node counts, and the nodes whose shapes stayed unknown (strict:
    raise instead)."""
    if isinstance(model, str):
        model = onnx.load(model, load_external_data=False)
    pinned = pin_inputs(model, input_shapes)
    shapes = infer_shapes(pinned)
    params = _param_names(pinned, set(input_shapes))
    per_op = OrderedDict()
    ignored = {}
    unknown = []
    for node in pinned.graph.node:
        op = node.op_type
        if op not in COUNTED:
            ignored[op] = ignored.get(op, 0) + 1
            continue
        key = op
        if op == "MatMul" and node.input[0] not in params and node.input[1] not in params:
            key = "MatMul (attention)"
        try:
            macs = node_macs(node, shapes)
        except UnknownShapeError as e:
            if strict:
                raise
            unknown.append(str(e))
            continue
        entry = per_op.setdefault(key, {"nodes": 0, "macs": 0})
        entry["nodes"] += 1
        entry["macs"] += macs
    total = sum(e["macs"] for e in per_op.values())
    return {
        "inputs": {k: list(v) for k, v in input_shapes.items()},
        "macs": total,
        "flops": 2 * total,
        "per_op": {k: {"nodes": v["nodes"], "macs": v["macs"], "flops": 2 * v["macs"]} for k, v in per_op.items()},
        "ignored_ops": dict(sorted(ignored.items())),
        "unknown_shape_nodes": unknown,
        "rule": "FLOP = 2 x MAC; Conv/ConvTranspose/MatMul/Gemm/Einsum multiplies counted, bias adds, norms, activations, softmax and elementwise ops ignored",
    }


def format_report(r):
    lines = [f"inputs: {', '.join(f'{k}={v}' for k, v in r['inputs'].items())}"]
    for op, e in r["per_op"].items():
        lines.append(f"  {op:<20} {e['nodes']:>5} nodes  {e['macs'] / 1e9:12.3f} GMAC  {e['flops'] / 1e12:8.4f} TFLOP  {100 * e['macs'] / max(r['macs'], 1):5.1f}%")
    lines.append(f"  {'total':<20} {'':>11}  {r['macs'] / 1e9:12.3f} GMAC  {r['flops'] / 1e12:8.4f} TFLOP")
    lines.append("  ignored: " + ", ".join(f"{k} x{v}" for k, v in r["ignored_ops"].items()))
    if r["unknown_shape_nodes"]:
        lines.append(f"  WARNING: {len(r['unknown_shape_nodes'])} counted nodes had unknown shapes (not counted): {r['unknown_shape_nodes'][:3]}")
    return "\n".join(lines)


# ---------------------------------------------------------------------------------------------
# Self-test: tiny hand-built graphs whose MACs are worked out by hand in the comments.
# ---------------------------------------------------------------------------------------------


def _graph(nodes, inputs, outputs, inits=()):
    g = helper.make_graph(nodes, "t", inputs, outputs, initializer=list(inits))
    return helper.make_model(g, opset_imports=[helper.make_opsetid("", 17)])


def _vi(name, dims):
    return helper.make_tensor_value_info(name, TensorProto.FLOAT, dims)


def _init(name, dims):
    return helper.make_tensor(name, TensorProto.FLOAT, dims, np.zeros(int(np.prod(dims)), dtype=np.float32))


def self_test():
    checks = []
    # 1. Conv 3x3, pad 1: x [2,3,8,8], W [4,3,3,3] -> y [2,4,8,8].
    #    Each of the 2*4*8*8 = 512 outputs is a dot product over 3*3*3 = 27 taps: 512 * 27 = 13,824.
    m = _graph([helper.make_node("Conv", ["x", "W"], ["y"], pads=[1, 1, 1, 1])], [_vi("x", ["b", 3, "h", "w"])], [_vi("y", None)], [_init("W", [4, 3, 3, 3])])
    checks.append(("conv 3x3 pad 1", count_macs(m, {"x": [2, 3, 8, 8]})["per_op"]["Conv"]["macs"], 13824))
    # 2. Strided grouped conv: x [1,8,9,9], W [6,4,3,3], group 2, stride 2, no pad -> y [1,6,4,4].
    #    96 outputs, each over (8/2)*3*3 = 36 taps: 3,456.
    m = _graph([helper.make_node("Conv", ["x", "W"], ["y"], strides=[2, 2], group=2)], [_vi("x", [1, 8, 9, 9])], [_vi("y", None)], [_init("W", [6, 4, 3, 3])])
    checks.append(("conv grouped stride 2", count_macs(m, {"x": [1, 8, 9, 9]})["macs"], 3456))
    # 3. ConvTranspose 2x2 stride 2: x [1,5,4,4], W [5,3,2,2] -> y [1,3,8,8].
    #    Each of the 80 input pixels scatters into 3*2*2 = 12 outputs: 960.
    m = _graph([helper.make_node("ConvTranspose", ["x", "W"], ["y"], strides=[2, 2])], [_vi("x", [1, 5, 4, 4])], [_vi("y", None)], [_init("W", [5, 3, 2, 2])])
    checks.append(("convtranspose", count_macs(m, {"x": [1, 5, 4, 4]})["macs"], 960))
    # 4. Linear as MatMul on 3-D activations: x [2,5,7] @ W [7,3]: 2*5 rows, each 7*3 = 21: 210.
    # 5. Attention scores: q [2,4,10,8] @ kT [2,4,8,6] (both activations): 2*4*10*8*6 = 3,840.
    m = _graph([
        helper.make_node("MatMul", ["x", "W"], ["y"]),
        helper.make_node("MatMul", ["q", "kT"], ["s"]),
    ], [_vi("x", [2, 5, 7]), _vi("q", [2, 4, 10, 8]), _vi("kT", [2, 4, 8, 6])], [_vi("y", None), _vi("s", None)], [_init("W", [7, 3])])
    r = count_macs(m, {"x": [2, 5, 7], "q": [2, 4, 10, 8], "kT": [2, 4, 8, 6]})
    checks.append(("matmul linear", r["per_op"]["MatMul"]["macs"], 210))
    checks.append(("matmul attention", r["per_op"]["MatMul (attention)"]["macs"], 3840))
    # 6. Gemm with transB: a [3,10], B [4,10] (transB) -> [3,4]: 3*10*4 = 120. Softmax ignored.
    m = _graph([helper.make_node("Gemm", ["a", "B"], ["y"], transB=1), helper.make_node("Softmax", ["y"], ["z"])], [_vi("a", [3, 10])], [_vi("z", None)], [_init("B", [4, 10])])
    r = count_macs(m, {"a": [3, 10]})
    checks.append(("gemm transB", r["macs"], 120))
    checks.append(("softmax ignored", r["ignored_ops"].get("Softmax"), 1))
    # 7. A weight reached through Transpose stays a parameter (export_params=False style input).
    m = _graph([helper.make_node("Transpose", ["Wt"], ["W"], perm=[1, 0]), helper.make_node("MatMul", ["x", "W"], ["y"])],
               [_vi("x", [4, 6]), _vi("Wt", [5, 6])], [_vi("y", None)])
    r = count_macs(m, {"x": [4, 6]})
    checks.append(("param through transpose", r["per_op"].get("MatMul", {}).get("macs"), 120))
    # 8. A shape computed through Where (torch's expand(-1) pattern), which ONNX's own data
    #    propagation does not see through: t [1] expanded to [6] by Where(Equal(c, -1), 1, c) with
    #    c = [6], then [6, 1] @ W [1, 5]: 6 * 1 * 5 = 30 (needs the constant folder).
    c = helper.make_tensor("c", TensorProto.INT64, [1], [6])
    m = _graph([
        helper.make_node("Constant", [], ["c_"], value=c),
        helper.make_node("Constant", [], ["m1"], value=helper.make_tensor("m1", TensorProto.INT64, [1], [-1])),
        helper.make_node("Constant", [], ["one"], value=helper.make_tensor("one", TensorProto.INT64, [1], [1])),
        helper.make_node("Equal", ["c_", "m1"], ["eq"]),
        helper.make_node("Where", ["eq", "one", "c_"], ["shape"]),
        helper.make_node("Expand", ["t", "shape"], ["te"]),
        helper.make_node("Constant", [], ["ax"], value=helper.make_tensor("ax", TensorProto.INT64, [1], [1])),
        helper.make_node("Unsqueeze", ["te", "ax"], ["tu"]),
        helper.make_node("MatMul", ["tu", "W"], ["y"]),
    ], [_vi("t", ["n"])], [_vi("y", None)], [_init("W", [1, 5])])
    checks.append(("shape through Where/Expand", count_macs(m, {"t": [1]})["macs"], 30))
    ok = True
    for name, got, want in checks:
        flag = "ok " if got == want else "FAIL"
        ok &= got == want
        print(f"{flag} {name}: {got} (hand-worked {want})")
    return ok


def parse_shape_arg(s):
    name, _, dims = s.partition("=")
    if not name or not dims:
        raise argparse.ArgumentTypeError(f"expected name=d0,d1,..., got {s!r}")
    return name, [int(d) for d in dims.split(",") if d]


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("model", nargs="?")
    ap.add_argument("--input", action="append", type=parse_shape_arg, default=[], help="name=d0,d1,... (repeat)")
    ap.add_argument("--json", help="write the report as JSON here")
    ap.add_argument("--lenient", action="store_true", help="skip counted nodes with unknown shapes instead of failing")
    ap.add_argument("--self-test", action="store_true")
    a = ap.parse_args(argv)
    if a.self_test:
        return 0 if self_test() else 1
    if not a.model:
        ap.error("a model path is required (or --self-test)")
    r = count_macs(a.model, dict(a.input), strict=not a.lenient)
    r["model"] = a.model
    print(format_report(r))
    if a.json:
        with open(a.json, "w") as f:
            json.dump(r, f, indent=2)
            f.write("\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
