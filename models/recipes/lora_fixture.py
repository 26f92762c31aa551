"""Makes the tiny ONNX models and LoRA files that test/onnx/lora*.test.ts fuse and check.

Run: /usr/bin/python3 models/recipes/lora_fixture.py   (Debian python3-torch 1.13, python3-onnx)
Writes test/fixtures/lora/. Everything here is independent of the TypeScript code under test:
the LoRA is fused with torch (W + scale * alpha / r * B @ A) and the fused model's outputs on a
fixed input are the reference. safetensors files are written by hand (8-byte little-endian header
length, JSON header, raw little-endian tensors), following the published format description.
"""
import json
import os
import struct

import numpy as np
import onnx
import torch
from onnx import helper, numpy_helper

OUT = os.path.join(os.path.dirname(__file__), '..', '..', 'test', 'fixtures', 'lora')
os.makedirs(OUT, exist_ok=True)
torch.manual_seed(1234)
RANK = 2


class Attn(torch.nn.Module):
    def __init__(self):
        super().__init__()
        self.to_q = torch.nn.Linear(4, 6)   # 3-D input -> MatMul with a transposed [in, out] initializer
        self.to_out = torch.nn.Linear(6, 6)  # square: orientation cannot be told by shape alone

    def forward(self, t):
        return self.to_out(torch.relu(self.to_q(t)))


class Block(torch.nn.Module):
    def __init__(self):
        super().__init__()
        self.proj_in = torch.nn.Conv2d(3, 4, 1)           # 1x1 conv
        self.conv = torch.nn.Conv2d(4, 4, 3, padding=1)   # 3x3 conv
        self.attn = Attn()

    def forward(self, x):
        h = self.conv(torch.relu(self.proj_in(x)))        # [1, 4, 4, 4]
        t = h.flatten(2).transpose(1, 2)                  # [1, 16, 4]
        return self.attn(t)                               # [1, 16, 6]


class Tiny(torch.nn.Module):
    def __init__(self):
        super().__init__()
        self.blocks = torch.nn.ModuleList([Block()])
        self.head = torch.nn.Linear(6, 3)                 # 2-D input -> Gemm(transB=1), weight [out, in]

    def forward(self, x):
        t = self.blocks[0](x)                             # [1, 16, 6]
        return t, self.head(t.mean(dim=1))                # [1, 16, 6], [1, 3]


model = Tiny().eval()
x = torch.randn(1, 3, 4, 4)


def export(m, path):
    torch.onnx.export(m, (x,), path, input_names=['x'], output_names=['tokens', 'logits'], opset_version=17,
                      do_constant_folding=True)


def write_safetensors(path, tensors, metadata=None):
    """tensors: dict name -> (dtype 'F32'|'F16', numpy array)."""
    header = {}
    blobs = []
    offset = 0
    for name, (dtype, arr) in tensors.items():
        np_dtype = {'F32': '<f4', 'F16': '<f2'}[dtype]
        raw = np.ascontiguousarray(arr.astype(np_dtype)).tobytes()
        header[name] = {'dtype': dtype, 'shape': list(arr.shape), 'data_offsets': [offset, offset + len(raw)]}
        blobs.append(raw)
        offset += len(raw)
    if metadata:
        header['__metadata__'] = metadata
    h = json.dumps(header).encode('utf-8')
    h += b' ' * ((8 - len(h) % 8) % 8)
    with open(path, 'wb') as f:
        f.write(struct.pack('<Q', len(h)))
        f.write(h)
        for raw in blobs:
            f.write(raw)


# LoRA factors per target module: A [r, in(*k*k)], B [out, r]
targets = {
    'blocks.0.proj_in': (4, 3, 1),
    'blocks.0.conv': (4, 4, 3),
    'blocks.0.attn.to_q': (6, 4, None),
    'blocks.0.attn.to_out': (6, 6, None),
    'head': (3, 6, None),
}
lora = {}
for name, (out_f, in_f, k) in targets.items():
    if k is None:
        A = torch.randn(RANK, in_f) * 0.5
        B = torch.randn(out_f, RANK) * 0.5
    else:
        A = torch.randn(RANK, in_f, k, k) * 0.5
        B = torch.randn(out_f, RANK, 1, 1) * 0.5
    lora[name] = (A, B)

alphas = {'blocks.0.proj_in': 1.0, 'blocks.0.conv': 2.0, 'blocks.0.attn.to_q': 4.0, 'blocks.0.attn.to_out': 1.0, 'head': 2.0}
KOHYA_SCALE = 0.8


def fused_copy(scale, alpha_of, round_lora_to_f16):
    m = Tiny()
    m.load_state_dict(model.state_dict())
    with torch.no_grad():
        for name, (A, B) in lora.items():
            if round_lora_to_f16:
                A, B = A.half().float(), B.half().float()
            mod = m.get_submodule(name)
            W = mod.weight
            delta = (B.reshape(B.shape[0], RANK) @ A.reshape(RANK, -1)).reshape(W.shape)
            W += scale * (alpha_of(name) / RANK) * delta
    return m.eval()


export(model, os.path.join(OUT, 'tiny.onnx'))

# kohya style: lora_unet_<module with _>.lora_down.weight / lora_up.weight / alpha, F32
kohya = {}
for name, (A, B) in lora.items():
    key = 'lora_unet_' + name.replace('.', '_')
    kohya[key + '.lora_down.weight'] = ('F32', A.numpy())
    kohya[key + '.lora_up.weight'] = ('F32', B.numpy())
    kohya[key + '.alpha'] = ('F32', np.array(alphas[name], dtype=np.float32))
write_safetensors(os.path.join(OUT, 'lora_kohya.safetensors'), kohya, {'ss_network_dim': str(RANK)})

# peft / diffusers style: unet.<module>.lora_A.weight / lora_B.weight, F16, no alpha (alpha = r)
peft = {}
for name, (A, B) in lora.items():
    peft['unet.' + name + '.lora_A.weight'] = ('F16', A.numpy())
    peft['unet.' + name + '.lora_B.weight'] = ('F16', B.numpy())
write_safetensors(os.path.join(OUT, 'lora_peft.safetensors'), peft)

with torch.no_grad():
    base_out = model(x)
    kohya_out = fused_copy(KOHYA_SCALE, lambda n: alphas[n], False)(x)
    peft_out = fused_copy(1.0, lambda n: float(RANK), True)(x)

# The same base model with its data in an external file (data_location EXTERNAL).
ext_dir = os.path.join(OUT, 'external')
if os.path.exists(os.path.join(ext_dir, 'model.onnx_data')):
    os.remove(os.path.join(ext_dir, 'model.onnx_data'))  # onnx appends to an existing data file
os.makedirs(ext_dir, exist_ok=True)
m = onnx.load(os.path.join(OUT, 'tiny.onnx'))
onnx.save_model(m, os.path.join(OUT, 'external', 'model.onnx'), save_as_external_data=True,
                all_tensors_to_one_file=True, location='model.onnx_data', size_threshold=0)

# fp16 initializers: every float initializer stored as FLOAT16 and Cast back to float before use.
m = onnx.load(os.path.join(OUT, 'tiny.onnx'))
g = m.graph
new_inits, casts = [], []
for init in g.initializer:
    arr = numpy_helper.to_array(init)
    if arr.dtype != np.float32:
        new_inits.append(init)
        continue
    h = numpy_helper.from_array(arr.astype(np.float16), init.name)
    new_inits.append(h)
    casts.append(helper.make_node('Cast', [init.name], [init.name + '__f32'], to=onnx.TensorProto.FLOAT))
    for node in g.node:
        for i, inp in enumerate(node.input):
            if inp == init.name:
                node.input[i] = init.name + '__f32'
del g.initializer[:]
g.initializer.extend(new_inits)
nodes = casts + list(g.node)
del g.node[:]
g.node.extend(nodes)
onnx.checker.check_model(m)
onnx.save_model(m, os.path.join(OUT, 'tiny_fp16.onnx'))

# Reference for fp16: base weights rounded to fp16, delta (from the F16 LoRA) added in f32, rounded to fp16.
m16 = Tiny()
m16.load_state_dict({k: v.half().float() for k, v in model.state_dict().items()})
with torch.no_grad():
    for name, (A, B) in lora.items():
        A, B = A.half().float(), B.half().float()
        mod = m16.get_submodule(name)
        delta = (B.reshape(B.shape[0], RANK) @ A.reshape(RANK, -1)).reshape(mod.weight.shape)
        mod.weight.copy_((mod.weight + delta).half().float())
    peft16_out = m16.eval()(x)


def flat(t):
    return [float(v) for v in t.detach().reshape(-1)]


ref = {
    'source': 'models/recipes/lora_fixture.py (torch %s): outputs of the torch model with W + scale*alpha/r*B@A' % torch.__version__,
    'rank': RANK,
    'input': {'dims': list(x.shape), 'data': flat(x)},
    'base': {'tokens': flat(base_out[0]), 'logits': flat(base_out[1])},
    'kohya': {'scale': KOHYA_SCALE, 'alphas': alphas, 'tokens': flat(kohya_out[0]), 'logits': flat(kohya_out[1])},
    'peft': {'scale': 1.0, 'tokens': flat(peft_out[0]), 'logits': flat(peft_out[1])},
    'peft_fp16_model': {'scale': 1.0, 'tokens': flat(peft16_out[0]), 'logits': flat(peft16_out[1])},
    'targets': {name: {'A': flat(A), 'A_shape': list(A.shape), 'B': flat(B), 'B_shape': list(B.shape)} for name, (A, B) in lora.items()},
}
with open(os.path.join(OUT, 'reference.json'), 'w') as f:
    json.dump(ref, f, indent=1)

for init in onnx.load(os.path.join(OUT, 'tiny.onnx')).graph.initializer:
    print(init.name, list(init.dims))
for node in onnx.load(os.path.join(OUT, 'tiny.onnx')).graph.node:
    print(node.op_type, node.name, list(node.input))
