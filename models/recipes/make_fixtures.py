#!/usr/bin/python3
"""Builds the tiny random-weight test models in models/fixtures/.

Each fixture is a diffusers/optimum ONNX folder (model_index.json, scheduler/, tokenizer/,
text_encoder/, unet/, vae_decoder/) whose networks have the right input/output contract but
random weights: they exist to exercise the loading, tokenizing, sampling and decoding code, not to
draw anything. Run with Debian's python3-torch (1.13) and python3-onnx:

    /usr/bin/python3 models/recipes/make_fixtures.py [out_dir]

Everything is seeded, so a re-run writes the same weights (the exported bytes can still differ
between torch versions).
"""
import json
import math
import os
import shutil
import sys

import numpy as np
import onnx
import torch
from onnx import TensorProto, numpy_helper
from torch import nn

OPSET = 17
SEQ_LEN = 77
TEXT_HIDDEN = 16
UNET_CHANNELS = 16
VAE_CHANNELS = 8
LATENT_CHANNELS = 4
NATIVE_PX = 32
VAE_SCALE = 8
SCALING_FACTOR = 0.18215
LCM_COND_DIM = 256

# ---------------------------------------------------------------------------------------------
# Tokenizer: a small CLIP-style byte-level BPE vocabulary learned from a short word list.
# ---------------------------------------------------------------------------------------------

WORDS = (
    "a an the of on in at with and photo photograph painting portrait drawing picture of "
    "astronaut riding horse moon cat cats dog dogs red blue green yellow white black castle "
    "mountain mountains lake sunset sunrise city night forest river sky cloud clouds tree trees "
    "house flower flowers oil watercolor detailed beautiful high quality style cute small big "
    "girl boy man woman car street snow winter summer sea ocean beach bird fish"
).split()

# In code point order, as CLIP's byte-level alphabet is: "!" gets id 0, as in the real vocabulary.
BASE_SYMBOLS = sorted([chr(c) for c in range(ord("a"), ord("z") + 1)] + [str(d) for d in range(10)] + list(",.!?'-"))


def learn_merges(words):
    """Greedy BPE training (Sennrich et al. 2016) over a word list, CLIP style: the last symbol of
    each word carries '</w>'. Merges the most frequent adjacent pair (ties broken by the pair's
    text) until every word is one symbol."""
    corpus = {}
    for w in words:
        corpus[w] = corpus.get(w, 0) + 1
    splits = {w: list(w[:-1]) + [w[-1] + "</w>"] for w in corpus}
    merges = []
    while True:
        counts = {}
        for w, symbols in splits.items():
            for a, b in zip(symbols, symbols[1:]):
                counts[(a, b)] = counts.get((a, b), 0) + corpus[w]
        if not counts:
            break
        best = min(counts, key=lambda p: (-counts[p], p))
        merges.append(best)
        for w, symbols in splits.items():
            out, i = [], 0
            while i < len(symbols):
                if i + 1 < len(symbols) and (symbols[i], symbols[i + 1]) == best:
                    out.append(symbols[i] + symbols[i + 1])
                    i += 2
                else:
                    out.append(symbols[i])
                    i += 1
            splits[w] = out
    return merges


def build_tokenizer(pad_token):
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


def write_tokenizer(folder, vocab, merges, pad_token):
    os.makedirs(folder, exist_ok=True)
    with open(os.path.join(folder, "vocab.json"), "w") as f:
        json.dump(vocab, f, ensure_ascii=False)
    with open(os.path.join(folder, "merges.txt"), "w") as f:
        f.write("#version: 0.2\n")
        for a, b in merges:
            f.write(f"{a} {b}\n")
    special = {
        "bos_token": "<|startoftext|>",
        "eos_token": "<|endoftext|>",
        "unk_token": "<|endoftext|>",
        "pad_token": pad_token,
    }
    with open(os.path.join(folder, "special_tokens_map.json"), "w") as f:
        json.dump(special, f, indent=2)
    config = dict(special)
    config.update({
        "tokenizer_class": "CLIPTokenizer",
        "model_max_length": SEQ_LEN,
        "do_lower_case": True,
        "errors": "replace",
        "add_prefix_space": False,
        "clean_up_tokenization_spaces": True,
    })
    with open(os.path.join(folder, "tokenizer_config.json"), "w") as f:
        json.dump(config, f, indent=2)


# ---------------------------------------------------------------------------------------------
# Networks
# ---------------------------------------------------------------------------------------------


class TinyTextEncoder(nn.Module):
    """CLIP-text-shaped: token + position embeddings, one causal pre-LN transformer block."""

    def __init__(self, vocab_size, eos_id):
        super().__init__()
        h = TEXT_HIDDEN
        self.eos_id = eos_id
        self.token_embedding = nn.Embedding(vocab_size, h)
        self.position_embedding = nn.Parameter(torch.randn(SEQ_LEN, h) * 0.1)
        self.ln1 = nn.LayerNorm(h)
        self.qkv = nn.Linear(h, 3 * h)
        self.proj = nn.Linear(h, h)
        self.ln2 = nn.LayerNorm(h)
        self.fc1 = nn.Linear(h, 4 * h)
        self.fc2 = nn.Linear(4 * h, h)
        self.ln_f = nn.LayerNorm(h)
        self.register_buffer("causal", torch.triu(torch.full((SEQ_LEN, SEQ_LEN), -1e4), diagonal=1))

    def forward(self, input_ids):
        ids = input_ids.long()
        x = self.token_embedding(ids) + self.position_embedding
        q, k, v = self.qkv(self.ln1(x)).chunk(3, dim=-1)
        att = torch.softmax(q @ k.transpose(1, 2) / math.sqrt(TEXT_HIDDEN) + self.causal, dim=-1)
        x = x + self.proj(att @ v)
        x = x + self.fc2(torch.nn.functional.gelu(self.fc1(self.ln2(x))))
        last = self.ln_f(x)
        # CLIP pools at the first end-of-text token.
        eos_pos = (ids == self.eos_id).int().argmax(dim=-1)
        pooled = torch.gather(last, 1, eos_pos[:, None, None].expand(-1, 1, TEXT_HIDDEN))[:, 0]
        return last, pooled


def timestep_embedding(t, dim):
    """Sinusoidal embedding of the (float) timestep, as in DDPM / diffusers' get_timestep_embedding."""
    half = dim // 2
    freqs = torch.exp(-math.log(10000.0) * torch.arange(half, dtype=torch.float32) / half)
    args = t.float()[:, None] * freqs[None, :]
    return torch.cat([torch.cos(args), torch.sin(args)], dim=-1)


class TinyUNet(nn.Module):
    """UNet2DConditionModel-shaped: conv in, time-conditioned residual block, cross-attention on the
    text embeddings, residual block, conv out. No down/up sampling, so any latent size works."""

    def __init__(self, cond_dim=None):
        super().__init__()
        c = UNET_CHANNELS
        self.conv_in = nn.Conv2d(LATENT_CHANNELS, c, 3, padding=1)
        self.cond_proj = nn.Linear(cond_dim, c, bias=False) if cond_dim else None
        self.time_1 = nn.Linear(c, c)
        self.time_2 = nn.Linear(c, c)
        self.norm1 = nn.GroupNorm(4, c)
        self.conv1 = nn.Conv2d(c, c, 3, padding=1)
        self.to_q = nn.Linear(c, c, bias=False)
        self.to_k = nn.Linear(TEXT_HIDDEN, c, bias=False)
        self.to_v = nn.Linear(TEXT_HIDDEN, c, bias=False)
        self.to_out = nn.Linear(c, c)
        self.norm2 = nn.GroupNorm(4, c)
        self.conv2 = nn.Conv2d(c, c, 3, padding=1)
        self.norm_out = nn.GroupNorm(4, c)
        self.conv_out = nn.Conv2d(c, LATENT_CHANNELS, 3, padding=1)

    def forward(self, sample, timestep, encoder_hidden_states, timestep_cond=None):
        b, _, hh, ww = sample.shape
        temb = timestep_embedding(timestep.reshape(-1), UNET_CHANNELS)
        if self.cond_proj is not None:
            temb = temb + self.cond_proj(timestep_cond)
        temb = self.time_2(nn.functional.silu(self.time_1(temb)))
        h = self.conv_in(sample)
        h = h + self.conv1(nn.functional.silu(self.norm1(h) + temb[:, :, None, None]))
        tokens = h.flatten(2).transpose(1, 2)  # [b, hw, c]
        q = self.to_q(tokens)
        k = self.to_k(encoder_hidden_states)
        v = self.to_v(encoder_hidden_states)
        att = torch.softmax(q @ k.transpose(1, 2) / math.sqrt(UNET_CHANNELS), dim=-1)
        tokens = tokens + self.to_out(att @ v)
        h = tokens.transpose(1, 2).reshape(b, UNET_CHANNELS, hh, ww)
        h = h + self.conv2(nn.functional.silu(self.norm2(h)))
        return self.conv_out(nn.functional.silu(self.norm_out(h)))


class TinyVaeDecoder(nn.Module):
    """AutoencoderKL-decoder-shaped: latents [b,4,h,w] -> image [b,3,8h,8w] through three 2x
    nearest upsamplings."""

    def __init__(self):
        super().__init__()
        c = VAE_CHANNELS
        self.conv_in = nn.Conv2d(LATENT_CHANNELS, c, 3, padding=1)
        self.ups = nn.ModuleList([nn.Conv2d(c, c, 3, padding=1) for _ in range(3)])
        self.norm_out = nn.GroupNorm(2, c)
        self.conv_out = nn.Conv2d(c, 3, 3, padding=1)

    def forward(self, latent_sample):
        h = self.conv_in(latent_sample)
        for conv in self.ups:
            h = nn.functional.interpolate(h, scale_factor=2.0, mode="nearest")
            h = h + conv(nn.functional.silu(h))
        return self.conv_out(nn.functional.silu(self.norm_out(h)))


# ---------------------------------------------------------------------------------------------
# Export helpers
# ---------------------------------------------------------------------------------------------


def export(model, args, path, input_names, output_names, dynamic_axes):
    os.makedirs(os.path.dirname(path), exist_ok=True)
    model.eval()
    with torch.no_grad():
        torch.onnx.export(model, args, path, input_names=input_names, output_names=output_names,
                          dynamic_axes=dynamic_axes, opset_version=OPSET, do_constant_folding=True)
    m = onnx.load(path)
    onnx.checker.check_model(m)


def convert_to_fp16(path):
    """Rewrites an fp32 ONNX model as fp16: float initializers and constants, Cast-to-float
    targets, and the graph's float inputs, outputs and value infos all become float16."""
    m = onnx.load(path)
    g = m.graph
    # Resize's roi and scales inputs must stay float32 whatever the data type.
    keep32 = {n.input[i] for n in g.node if n.op_type == "Resize" for i in (1, 2) if i < len(n.input) and n.input[i]}

    def to16(t):
        if t.data_type == TensorProto.FLOAT and t.name not in keep32:
            arr = numpy_helper.to_array(t).astype(np.float16)
            t.CopyFrom(numpy_helper.from_array(arr, t.name))

    for init in g.initializer:
        to16(init)
    for node in g.node:
        for attr in node.attribute:
            if attr.type == onnx.AttributeProto.TENSOR and not (node.op_type == "Constant" and node.output[0] in keep32):
                to16(attr.t)
        if node.op_type == "Cast":
            for attr in node.attribute:
                if attr.name == "to" and attr.i == TensorProto.FLOAT:
                    attr.i = TensorProto.FLOAT16
    for vi in list(g.input) + list(g.output) + list(g.value_info):
        tt = vi.type.tensor_type
        if tt.elem_type == TensorProto.FLOAT:
            tt.elem_type = TensorProto.FLOAT16
    onnx.checker.check_model(m)
    onnx.save(m, path)


def write_json(path, obj):
    os.makedirs(os.path.dirname(path), exist_ok=True)
    with open(path, "w") as f:
        json.dump(obj, f, indent=2)
        f.write("\n")


SD_SCHEDULER = {
    "_class_name": "DDIMScheduler",
    "_diffusers_version": "0.30.0",
    "num_train_timesteps": 1000,
    "beta_start": 0.00085,
    "beta_end": 0.012,
    "beta_schedule": "scaled_linear",
    "clip_sample": False,
    "set_alpha_to_one": False,
    "steps_offset": 1,
    "prediction_type": "epsilon",
    "timestep_spacing": "leading",
}

LCM_SCHEDULER = {
    "_class_name": "LCMScheduler",
    "_diffusers_version": "0.30.0",
    "num_train_timesteps": 1000,
    "beta_start": 0.00085,
    "beta_end": 0.012,
    "beta_schedule": "scaled_linear",
    "clip_sample": False,
    "set_alpha_to_one": True,
    "steps_offset": 1,
    "prediction_type": "epsilon",
    "original_inference_steps": 50,
    "timestep_spacing": "leading",
    "timestep_scaling": 10.0,
}

TURBO_SCHEDULER = {
    "_class_name": "EulerDiscreteScheduler",
    "_diffusers_version": "0.30.0",
    "num_train_timesteps": 1000,
    "beta_start": 0.00085,
    "beta_end": 0.012,
    "beta_schedule": "scaled_linear",
    "prediction_type": "epsilon",
    "interpolation_type": "linear",
    "use_karras_sigmas": False,
    "steps_offset": 1,
    "timestep_spacing": "trailing",
}

VARIANTS = {
    "tiny-sd": dict(pipeline="StableDiffusionPipeline", scheduler=SD_SCHEDULER, ids=torch.int32,
                    timestep=torch.float32, cond=None, fp16=False, pad="<|endoftext|>",
                    about="Stable Diffusion 1.x layout: float32 timestep, DDIM scheduler, CFG."),
    "tiny-sd-int64": dict(pipeline="StableDiffusionPipeline", scheduler=SD_SCHEDULER, ids=torch.int64,
                          timestep=torch.int64, cond=None, fp16=False, pad="!",
                          about="Like tiny-sd, but input_ids and timestep are int64 and the pad token is '!' (id 0, SD 2.x style)."),
    "tiny-sd-fp16": dict(pipeline="StableDiffusionPipeline", scheduler=SD_SCHEDULER, ids=torch.int32,
                         timestep=torch.float32, cond=None, fp16=True, pad="<|endoftext|>",
                         about="Like tiny-sd, converted to float16: weights, float inputs and outputs (timestep too) are fp16."),
    "tiny-lcm": dict(pipeline="LatentConsistencyModelPipeline", scheduler=LCM_SCHEDULER, ids=torch.int32,
                     timestep=torch.int64, cond=LCM_COND_DIM, fp16=False, pad="<|endoftext|>",
                     about="Latent Consistency Model layout: UNet takes timestep_cond [b, 256] (guidance embedding), int64 timestep, LCMScheduler."),
    "tiny-turbo": dict(pipeline="StableDiffusionPipeline", scheduler=TURBO_SCHEDULER, ids=torch.int32,
                       timestep=torch.float32, cond=None, fp16=False, pad="!",
                       about="SD-Turbo layout: EulerDiscreteScheduler with trailing spacing, meant for guidance 0 and 1-4 steps."),
}


def make_variant(out_dir, name, spec, seed):
    folder = os.path.join(out_dir, name)
    if os.path.isdir(folder):
        shutil.rmtree(folder)
    torch.manual_seed(seed)
    vocab, merges = build_tokenizer(spec["pad"])
    write_tokenizer(os.path.join(folder, "tokenizer"), vocab, merges, spec["pad"])
    eos_id = vocab["<|endoftext|>"]

    # text encoder
    te = TinyTextEncoder(len(vocab), eos_id)
    ids = torch.full((1, SEQ_LEN), eos_id, dtype=spec["ids"])
    ids[0, 0] = vocab["<|startoftext|>"]
    export(te, (ids,), os.path.join(folder, "text_encoder", "model.onnx"), ["input_ids"],
           ["last_hidden_state", "pooler_output"],
           {"input_ids": {0: "batch"}, "last_hidden_state": {0: "batch"}, "pooler_output": {0: "batch"}})
    write_json(os.path.join(folder, "text_encoder", "config.json"), {
        "_class_name": "CLIPTextModel", "architectures": ["CLIPTextModel"], "hidden_size": TEXT_HIDDEN,
        "max_position_embeddings": SEQ_LEN, "vocab_size": len(vocab), "num_hidden_layers": 1,
        "bos_token_id": vocab["<|startoftext|>"], "eos_token_id": eos_id,
    })

    # unet
    unet = TinyUNet(spec["cond"])
    lat = NATIVE_PX // VAE_SCALE
    sample = torch.randn(1, LATENT_CHANNELS, lat, lat)
    timestep = torch.tensor([999], dtype=spec["timestep"])
    ehs = torch.randn(1, SEQ_LEN, TEXT_HIDDEN)
    names = ["sample", "timestep", "encoder_hidden_states"]
    args = (sample, timestep, ehs)
    axes = {"sample": {0: "batch", 2: "height", 3: "width"}, "timestep": {0: "steps"},
            "encoder_hidden_states": {0: "batch"}, "out_sample": {0: "batch", 2: "height", 3: "width"}}
    if spec["cond"]:
        names.append("timestep_cond")
        args = args + (torch.randn(1, spec["cond"]),)
        axes["timestep_cond"] = {0: "batch"}
    export(unet, args, os.path.join(folder, "unet", "model.onnx"), names, ["out_sample"], axes)
    unet_config = {
        "_class_name": "UNet2DConditionModel", "_diffusers_version": "0.30.0", "sample_size": lat,
        "in_channels": LATENT_CHANNELS, "out_channels": LATENT_CHANNELS,
        "cross_attention_dim": TEXT_HIDDEN, "block_out_channels": [UNET_CHANNELS],
        "time_cond_proj_dim": spec["cond"],
    }
    write_json(os.path.join(folder, "unet", "config.json"), unet_config)

    # vae decoder
    vae = TinyVaeDecoder()
    export(vae, (torch.randn(1, LATENT_CHANNELS, lat, lat),), os.path.join(folder, "vae_decoder", "model.onnx"),
           ["latent_sample"], ["sample"],
           {"latent_sample": {0: "batch", 2: "height", 3: "width"}, "sample": {0: "batch", 2: "height", 3: "width"}})
    write_json(os.path.join(folder, "vae_decoder", "config.json"), {
        "_class_name": "AutoencoderKL", "_diffusers_version": "0.30.0", "latent_channels": LATENT_CHANNELS,
        "in_channels": 3, "out_channels": 3, "scaling_factor": SCALING_FACTOR, "sample_size": NATIVE_PX,
        "block_out_channels": [VAE_CHANNELS] * 4,
    })

    if spec["fp16"]:
        for part in ("text_encoder", "unet", "vae_decoder"):
            convert_to_fp16(os.path.join(folder, part, "model.onnx"))

    write_json(os.path.join(folder, "scheduler", "scheduler_config.json"), spec["scheduler"])
    write_json(os.path.join(folder, "model_index.json"), {
        "_class_name": spec["pipeline"], "_diffusers_version": "0.30.0",
        "scheduler": ["diffusers", spec["scheduler"]["_class_name"]],
        "text_encoder": ["transformers", "CLIPTextModel"],
        "tokenizer": ["transformers", "CLIPTokenizer"],
        "unet": ["diffusers", "UNet2DConditionModel"],
        "vae_decoder": ["diffusers", "AutoencoderKL"],
        "requires_safety_checker": False,
        "safety_checker": [None, None],
        "feature_extractor": [None, None],
    })
    with open(os.path.join(folder, "README.md"), "w") as f:
        f.write(f"""# {name}: a tiny random-weight test model

**Random weights. It draws noise-like pictures, not images of the prompt.** It exists to test
fewstep's ONNX pipeline (loading, tokenizing, sampling, decoding) quickly on any CPU.

{spec['about']}

- Layout: diffusers/optimum ONNX (`model_index.json`, `scheduler/`, `tokenizer/`, `text_encoder/`,
  `unet/`, `vae_decoder/`), opset {OPSET}, dynamic batch/height/width axes.
- Native size {NATIVE_PX}x{NATIVE_PX} px (latents {lat}x{lat}x{LATENT_CHANNELS}); text hidden size
  {TEXT_HIDDEN}, UNet width {UNET_CHANNELS}, VAE width {VAE_CHANNELS}; {len(vocab)}-token CLIP-style
  BPE vocabulary learned from a {len(WORDS)}-word list (words outside it become unknown tokens).
- Made by `models/recipes/make_fixtures.py` (torch {torch.__version__}, seed {seed}).
- License: MIT, like the rest of the repository. No training data was used.
""")
    total = 0
    for root, _, files in os.walk(folder):
        for fn in files:
            total += os.path.getsize(os.path.join(root, fn))
    print(f"{name}: {total / 1024:.0f} KiB, vocab {len(vocab)}, merges {len(merges)}")


def main():
    out_dir = sys.argv[1] if len(sys.argv) > 1 else os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "fixtures")
    torch.set_num_threads(1)
    for i, (name, spec) in enumerate(VARIANTS.items()):
        make_variant(out_dir, name, spec, seed=1234 + i)


if __name__ == "__main__":
    main()
