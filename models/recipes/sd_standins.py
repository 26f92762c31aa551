#!/usr/bin/python3
"""Real-architecture, reduced-width, random-weight stand-ins for the registry's Stable Diffusion exports.

Nothing here can download SD 1.5, SD 2.1, LCM-Dreamshaper or SD-Turbo. What can be had is their
architecture (public source code) and their export conventions, so this script writes, for each
registry entry (and an SD 2.1-768 v-prediction variant), an ONNX folder whose networks have the real
block structure at a fraction of the width, and whose files, input/output names, dtypes and shapes are
those of the export tool that made the published repository:

  UNet (diffusers UNet2DConditionModel): sinusoidal time embedding (flip_sin_to_cos, shift 0) ->
    TimestepEmbedding (linear, SiLU, linear; + cond_proj(timestep_cond) for LCM); conv_in; down blocks
    CrossAttnDownBlock2D x2 + DownBlock2D (2 ResnetBlock2D each, Transformer2DModel after each resnet in
    the cross-attention blocks, strided-conv Downsample2D); UNetMidBlock2DCrossAttn (resnet, transformer,
    resnet); up blocks UpBlock2D + CrossAttnUpBlock2D x2 (3 resnets on concatenated skips, nearest 2x
    Upsample2D + conv); GroupNorm, SiLU, conv_out. Transformer2DModel: GroupNorm, proj_in (1x1 conv for
    SD 1.x, linear for SD 2.x: use_linear_projection), BasicTransformerBlock (LayerNorm + self-attention,
    LayerNorm + cross-attention on the text, LayerNorm + GEGLU feed-forward, residuals), proj_out, residual.
  VAE decoder (diffusers AutoencoderKL.decode): post_quant_conv, conv_in, UNetMidBlock2D (resnet,
    single-head self-attention with GroupNorm and residual, resnet), 4 UpDecoderBlock2D (3 resnets, 3 of
    them with nearest 2x upsampling: the 8x factor), GroupNorm, SiLU, conv_out to RGB.
  Text encoder (transformers CLIPTextModel): token + position embeddings, pre-LN causal self-attention
    layers with an MLP (quick_gelu for SD 1.x, gelu for SD 2.x), final LayerNorm; pooler_output at the
    first end-of-text id (argmax of the ids, as transformers does for these configs).

Widths: UNet block_out_channels (32, 64, 64), cross-attention and text hidden size 32, 2 text layers,
VAE block_out_channels (32, 32, 64, 64); the vocabulary is the real CLIP one (49408 ids; the tokenizer
folder holds vocab.json + merges.txt derived from models/fixtures/clip-tokenizer). Random weights:
the pictures are noise. Written into .cache/sd-standins/ (not committed):

    /usr/bin/python3 models/recipes/sd_standins.py [out_dir]

Export conventions reproduced (where each comes from is in data/hub-layouts/*.json and the README):
  sd15          diffusers scripts/convert_stable_diffusion_checkpoint_to_onnx.py (runwayml's "onnx" branch):
                input_ids int32 [batch, sequence]; timestep float32 [batch] (the sample's batch symbol);
                UNet weights in unet/weights.pb; text encoder and VAE outputs without dynamic axes;
                PNDMScheduler.
  sd21-base     SD 2.x UNet (linear projections, per-block head counts), pad "!"; fp16 weights with float32
                inputs/outputs (diffusers.js, which loads aislamov's repo, feeds float32 tensors); PNDMScheduler.
  lcm-dreamshaper-v7  optimum 1.14-1.23 (2023-24): input_ids int32, timestep int64 [steps],
                timestep_cond float32 [batch_size, 256]; UNet weights in unet/model.onnx_data; LCMScheduler.
  sd-turbo      SD 2.1 architecture, ONNX Runtime's float16 conversion (float16 inputs and outputs, timestep
                included), external data named model.onnx.data; EulerDiscreteScheduler, trailing spacing.
  sd21-v        SD 2.1 768 style: prediction_type v_prediction, sample_size 96, optimum >= 1.24 style scalar
                float timestep (shape []), input_ids int64; DDIMScheduler.
"""
import json
import math
import os
import shutil
import sys
import gzip

import numpy as np
import onnx
import torch
from onnx import TensorProto, helper, numpy_helper
from torch import nn
from torch.nn import functional as F

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.abspath(os.path.join(HERE, "..", ".."))
OPSET = 17
SEQ_LEN = 77
VOCAB = 49408
TEXT_HIDDEN = 32
LATENT = 4
SCALING_FACTOR = 0.18215


# ------------------------------------------------------------------------------------------------
# UNet2DConditionModel, reduced width
# ------------------------------------------------------------------------------------------------


def timestep_embedding(timesteps, dim):
    """DDPM sinusoidal embedding as diffusers' Timesteps(dim, flip_sin_to_cos=True, downscale_freq_shift=0)."""
    half = dim // 2
    exponent = -math.log(10000.0) * torch.arange(half, dtype=torch.float32) / half
    args = timesteps.float()[:, None] * torch.exp(exponent)[None, :]
    return torch.cat([torch.cos(args), torch.sin(args)], dim=-1)


class ResnetBlock2D(nn.Module):
    def __init__(self, cin, cout, temb, groups=32, eps=1e-5):
        super().__init__()
        self.norm1 = nn.GroupNorm(groups, cin, eps=eps)
        self.conv1 = nn.Conv2d(cin, cout, 3, padding=1)
        self.time_emb_proj = nn.Linear(temb, cout) if temb else None
        self.norm2 = nn.GroupNorm(groups, cout, eps=eps)
        self.conv2 = nn.Conv2d(cout, cout, 3, padding=1)
        self.conv_shortcut = nn.Conv2d(cin, cout, 1) if cin != cout else None

    def forward(self, x, temb=None):
        h = self.conv1(F.silu(self.norm1(x)))
        if self.time_emb_proj is not None:
            h = h + self.time_emb_proj(F.silu(temb))[:, :, None, None]
        h = self.conv2(F.silu(self.norm2(h)))
        return (self.conv_shortcut(x) if self.conv_shortcut is not None else x) + h


class Attention(nn.Module):
    """diffusers Attention: q/k/v projections (no bias in the UNet), scaled dot product, output projection."""

    def __init__(self, query_dim, heads, dim_head, cross_dim=None, bias=False):
        super().__init__()
        inner = heads * dim_head
        self.heads = heads
        self.scale = dim_head ** -0.5
        self.to_q = nn.Linear(query_dim, inner, bias=bias)
        self.to_k = nn.Linear(cross_dim or query_dim, inner, bias=bias)
        self.to_v = nn.Linear(cross_dim or query_dim, inner, bias=bias)
        self.to_out = nn.ModuleList([nn.Linear(inner, query_dim), nn.Dropout(0.0)])

    def forward(self, x, context=None):
        context = x if context is None else context
        b, n, _ = x.shape
        q, k, v = self.to_q(x), self.to_k(context), self.to_v(context)

        def split(t):  # [b, n, heads * d] -> [b * heads, n, d], as diffusers' head_to_batch_dim
            return t.reshape(b, t.shape[1], self.heads, -1).transpose(1, 2).reshape(b * self.heads, t.shape[1], -1)

        att = torch.softmax(torch.bmm(split(q), split(k).transpose(1, 2)) * self.scale, dim=-1)
        out = torch.bmm(att, split(v)).reshape(b, self.heads, n, -1).transpose(1, 2).reshape(b, n, -1)
        return self.to_out[1](self.to_out[0](out))


class GEGLU(nn.Module):
    def __init__(self, dim, inner):
        super().__init__()
        self.proj = nn.Linear(dim, inner * 2)

    def forward(self, x):
        h, gate = self.proj(x).chunk(2, dim=-1)
        return h * F.gelu(gate)


class BasicTransformerBlock(nn.Module):
    def __init__(self, dim, heads, dim_head, cross_dim):
        super().__init__()
        self.norm1 = nn.LayerNorm(dim)
        self.attn1 = Attention(dim, heads, dim_head)
        self.norm2 = nn.LayerNorm(dim)
        self.attn2 = Attention(dim, heads, dim_head, cross_dim)
        self.norm3 = nn.LayerNorm(dim)
        self.ff = nn.ModuleDict({"net": nn.ModuleList([GEGLU(dim, dim * 4), nn.Dropout(0.0), nn.Linear(dim * 4, dim)])})

    def forward(self, x, context):
        x = self.attn1(self.norm1(x)) + x
        x = self.attn2(self.norm2(x), context) + x
        h = self.norm3(x)
        for layer in self.ff["net"]:
            h = layer(h)
        return h + x


class Transformer2DModel(nn.Module):
    def __init__(self, channels, heads, cross_dim, linear_projection):
        super().__init__()
        self.linear = linear_projection
        self.norm = nn.GroupNorm(32, channels, eps=1e-6)
        self.proj_in = nn.Linear(channels, channels) if linear_projection else nn.Conv2d(channels, channels, 1)
        self.transformer_blocks = nn.ModuleList([BasicTransformerBlock(channels, heads, channels // heads, cross_dim)])
        self.proj_out = nn.Linear(channels, channels) if linear_projection else nn.Conv2d(channels, channels, 1)

    def forward(self, x, context):
        b, c, h, w = x.shape
        residual = x
        x = self.norm(x)
        if self.linear:
            x = self.proj_in(x.permute(0, 2, 3, 1).reshape(b, h * w, c))
        else:
            x = self.proj_in(x).permute(0, 2, 3, 1).reshape(b, h * w, c)
        for block in self.transformer_blocks:
            x = block(x, context)
        if self.linear:
            x = self.proj_out(x).reshape(b, h, w, c).permute(0, 3, 1, 2)
        else:
            x = self.proj_out(x.reshape(b, h, w, c).permute(0, 3, 1, 2))
        return x + residual


class Downsample2D(nn.Module):
    def __init__(self, c):
        super().__init__()
        self.conv = nn.Conv2d(c, c, 3, stride=2, padding=1)

    def forward(self, x):
        return self.conv(x)


class Upsample2D(nn.Module):
    def __init__(self, c):
        super().__init__()
        self.conv = nn.Conv2d(c, c, 3, padding=1)

    def forward(self, x):
        return self.conv(F.interpolate(x, scale_factor=2.0, mode="nearest"))


class DownBlock(nn.Module):
    """CrossAttnDownBlock2D (with_attention) or DownBlock2D."""

    def __init__(self, cin, cout, temb, layers, with_attention, heads, cross_dim, linear, downsample):
        super().__init__()
        self.resnets = nn.ModuleList([ResnetBlock2D(cin if j == 0 else cout, cout, temb) for j in range(layers)])
        self.attentions = nn.ModuleList([Transformer2DModel(cout, heads, cross_dim, linear) for _ in range(layers)]) if with_attention else None
        self.downsamplers = nn.ModuleList([Downsample2D(cout)]) if downsample else None

    def forward(self, x, temb, context):
        states = []
        for j, resnet in enumerate(self.resnets):
            x = resnet(x, temb)
            if self.attentions is not None:
                x = self.attentions[j](x, context)
            states.append(x)
        if self.downsamplers is not None:
            x = self.downsamplers[0](x)
            states.append(x)
        return x, states


class UpBlock(nn.Module):
    """CrossAttnUpBlock2D (with_attention) or UpBlock2D: layers + 1 resnets on [x, skip] concatenations."""

    def __init__(self, cin, cprev, cout, temb, layers, with_attention, heads, cross_dim, linear, upsample):
        super().__init__()
        n = layers + 1
        self.resnets = nn.ModuleList([
            ResnetBlock2D((cprev if j == 0 else cout) + (cin if j == n - 1 else cout), cout, temb) for j in range(n)
        ])
        self.attentions = nn.ModuleList([Transformer2DModel(cout, heads, cross_dim, linear) for _ in range(n)]) if with_attention else None
        self.upsamplers = nn.ModuleList([Upsample2D(cout)]) if upsample else None

    def forward(self, x, skips, temb, context):
        for j, resnet in enumerate(self.resnets):
            x = resnet(torch.cat([x, skips.pop()], dim=1), temb)
            if self.attentions is not None:
                x = self.attentions[j](x, context)
        if self.upsamplers is not None:
            x = self.upsamplers[0](x)
        return x


class UNet2DCondition(nn.Module):
    def __init__(self, sd2, cond_dim=None, blocks=(32, 64, 64), layers=2, cross_dim=TEXT_HIDDEN, head_width=16):
        super().__init__()
        self.sd2 = sd2
        c0 = blocks[0]
        temb = c0 * 4
        self.c0 = c0
        # SD 1.x: attention_head_dim 8 is the number of heads; SD 2.x: per-block head counts (head width 64 in SD 2).
        heads = [8] * len(blocks) if not sd2 else [c // head_width for c in blocks]
        down_attn = [True] * (len(blocks) - 1) + [False]
        self.time_embedding = nn.ModuleDict({"linear_1": nn.Linear(c0, temb), "linear_2": nn.Linear(temb, temb)})
        self.cond_proj = nn.Linear(cond_dim, c0, bias=False) if cond_dim else None
        self.conv_in = nn.Conv2d(LATENT, c0, 3, padding=1)
        self.down_blocks = nn.ModuleList()
        cin = c0
        for i, cout in enumerate(blocks):
            self.down_blocks.append(DownBlock(cin, cout, temb, layers, down_attn[i], heads[i], cross_dim, sd2, i < len(blocks) - 1))
            cin = cout
        self.mid_block = nn.ModuleDict({
            "resnets": nn.ModuleList([ResnetBlock2D(blocks[-1], blocks[-1], temb), ResnetBlock2D(blocks[-1], blocks[-1], temb)]),
            "attentions": nn.ModuleList([Transformer2DModel(blocks[-1], heads[-1], cross_dim, sd2)]),
        })
        self.up_blocks = nn.ModuleList()
        rev = list(reversed(blocks))
        rev_heads = list(reversed(heads))
        up_attn = list(reversed(down_attn))
        cprev = rev[0]
        for i, cout in enumerate(rev):
            cin_skip = rev[min(i + 1, len(rev) - 1)]
            self.up_blocks.append(UpBlock(cin_skip, cprev, cout, temb, layers, up_attn[i], rev_heads[i], cross_dim, sd2, i < len(rev) - 1))
            cprev = cout
        self.conv_norm_out = nn.GroupNorm(32, c0, eps=1e-5)
        self.conv_out = nn.Conv2d(c0, LATENT, 3, padding=1)

    def forward(self, sample, timestep, encoder_hidden_states, timestep_cond=None):
        t = timestep.reshape(-1).expand(sample.shape[0]) if timestep.dim() > 0 else timestep[None].expand(sample.shape[0])
        emb = timestep_embedding(t, self.c0).to(sample.dtype)
        if self.cond_proj is not None:
            emb = emb + self.cond_proj(timestep_cond)
        emb = self.time_embedding["linear_2"](F.silu(self.time_embedding["linear_1"](emb)))
        x = self.conv_in(sample)
        skips = [x]
        for block in self.down_blocks:
            x, states = block(x, emb, encoder_hidden_states)
            skips.extend(states)
        mid = self.mid_block
        x = mid["resnets"][0](x, emb)
        x = mid["attentions"][0](x, encoder_hidden_states)
        x = mid["resnets"][1](x, emb)
        for block in self.up_blocks:
            x = block(x, skips, emb, encoder_hidden_states)
        return self.conv_out(F.silu(self.conv_norm_out(x)))


# ------------------------------------------------------------------------------------------------
# AutoencoderKL decoder, reduced width
# ------------------------------------------------------------------------------------------------


class VaeAttention(nn.Module):
    """The VAE mid-block attention: GroupNorm, one head over all channels, q/k/v with bias, residual."""

    def __init__(self, c):
        super().__init__()
        self.group_norm = nn.GroupNorm(32, c, eps=1e-6)
        self.to_q = nn.Linear(c, c)
        self.to_k = nn.Linear(c, c)
        self.to_v = nn.Linear(c, c)
        self.to_out = nn.ModuleList([nn.Linear(c, c), nn.Dropout(0.0)])
        self.scale = c ** -0.5

    def forward(self, x):
        b, c, h, w = x.shape
        t = self.group_norm(x).reshape(b, c, h * w).transpose(1, 2)
        att = torch.softmax(self.to_q(t) @ self.to_k(t).transpose(1, 2) * self.scale, dim=-1)
        out = self.to_out[0](att @ self.to_v(t))
        return out.transpose(1, 2).reshape(b, c, h, w) + x


class VaeDecoder(nn.Module):
    def __init__(self, blocks=(32, 32, 64, 64), layers=2):
        super().__init__()
        top = blocks[-1]
        self.post_quant_conv = nn.Conv2d(LATENT, LATENT, 1)
        self.conv_in = nn.Conv2d(LATENT, top, 3, padding=1)
        self.mid_resnets = nn.ModuleList([ResnetBlock2D(top, top, None, eps=1e-6), ResnetBlock2D(top, top, None, eps=1e-6)])
        self.mid_attention = VaeAttention(top)
        self.up_blocks = nn.ModuleList()
        rev = list(reversed(blocks))
        cprev = top
        for i, cout in enumerate(rev):
            block = nn.Module()
            block.resnets = nn.ModuleList([ResnetBlock2D(cprev if j == 0 else cout, cout, None, eps=1e-6) for j in range(layers + 1)])
            block.upsamplers = nn.ModuleList([Upsample2D(cout)]) if i < len(rev) - 1 else None
            self.up_blocks.append(block)
            cprev = cout
        self.conv_norm_out = nn.GroupNorm(32, blocks[0], eps=1e-6)
        self.conv_out = nn.Conv2d(blocks[0], 3, 3, padding=1)

    def forward(self, latent_sample):
        x = self.conv_in(self.post_quant_conv(latent_sample))
        x = self.mid_resnets[0](x)
        x = self.mid_attention(x)
        x = self.mid_resnets[1](x)
        for block in self.up_blocks:
            for resnet in block.resnets:
                x = resnet(x)
            if block.upsamplers is not None:
                x = block.upsamplers[0](x)
        return self.conv_out(F.silu(self.conv_norm_out(x)))


# ------------------------------------------------------------------------------------------------
# CLIPTextModel, reduced width
# ------------------------------------------------------------------------------------------------


class ClipEncoderLayer(nn.Module):
    def __init__(self, h, heads, inter, act):
        super().__init__()
        self.heads = heads
        self.act = act
        self.layer_norm1 = nn.LayerNorm(h)
        self.q_proj, self.k_proj, self.v_proj, self.out_proj = (nn.Linear(h, h) for _ in range(4))
        self.layer_norm2 = nn.LayerNorm(h)
        self.fc1 = nn.Linear(h, inter)
        self.fc2 = nn.Linear(inter, h)

    def forward(self, x, mask):
        b, n, h = x.shape
        y = self.layer_norm1(x)

        def split(t):
            return t.reshape(b, n, self.heads, -1).transpose(1, 2)

        q, k, v = split(self.q_proj(y)), split(self.k_proj(y)), split(self.v_proj(y))
        att = torch.softmax(q @ k.transpose(-1, -2) * (h // self.heads) ** -0.5 + mask, dim=-1)
        x = x + self.out_proj((att @ v).transpose(1, 2).reshape(b, n, h))
        y = self.fc1(self.layer_norm2(x))
        y = y * torch.sigmoid(1.702 * y) if self.act == "quick_gelu" else F.gelu(y)
        return x + self.fc2(y)


class ClipTextModel(nn.Module):
    def __init__(self, act, layers=2, heads=4, inter=64):
        super().__init__()
        self.token_embedding = nn.Embedding(VOCAB, TEXT_HIDDEN)
        self.position_embedding = nn.Embedding(SEQ_LEN, TEXT_HIDDEN)
        self.layers = nn.ModuleList([ClipEncoderLayer(TEXT_HIDDEN, heads, inter, act) for _ in range(layers)])
        self.final_layer_norm = nn.LayerNorm(TEXT_HIDDEN)

    def forward(self, input_ids):
        ids = input_ids.long()
        n = ids.shape[1]
        x = self.token_embedding(ids) + self.position_embedding(torch.arange(n)[None, :])
        mask = torch.full((n, n), torch.finfo(torch.float32).min).triu(1)[None, None]
        for layer in self.layers:
            x = layer(x, mask)
        last = self.final_layer_norm(x)
        pooled = last[torch.arange(last.shape[0]), ids.argmax(dim=-1)]
        return last, pooled


# ------------------------------------------------------------------------------------------------
# Export helpers
# ------------------------------------------------------------------------------------------------


def export(model, args, path, input_names, output_names, dynamic_axes):
    os.makedirs(os.path.dirname(path), exist_ok=True)
    model.eval()
    with torch.no_grad():
        torch.onnx.export(model, args, path, input_names=input_names, output_names=output_names,
                          dynamic_axes=dynamic_axes, opset_version=OPSET, do_constant_folding=True)
    onnx.checker.check_model(onnx.load(path))


def to_float16(path, keep_io_types):
    """float16 weights and compute. keep_io_types: float32 graph inputs/outputs with Cast nodes at the
    boundary (onnxconverter-common's keep_io_types); else the inputs and outputs become float16 too."""
    m = onnx.load(path)
    g = m.graph
    keep32 = {n.input[i] for n in g.node if n.op_type == "Resize" for i in (1, 2) if i < len(n.input) and n.input[i]}

    def to16(t):
        if t.data_type == TensorProto.FLOAT and t.name not in keep32:
            t.CopyFrom(numpy_helper.from_array(numpy_helper.to_array(t).astype(np.float16), t.name))

    for init in g.initializer:
        to16(init)
    for node in g.node:
        for attr in node.attribute:
            if attr.type == onnx.AttributeProto.TENSOR and not (node.op_type == "Constant" and node.output[0] in keep32):
                to16(attr.t)
            if node.op_type in ("Cast", "ConstantOfShape") and attr.name == "to" and attr.i == TensorProto.FLOAT:
                attr.i = TensorProto.FLOAT16
    del g.value_info[:]
    float_inputs = [vi for vi in g.input if vi.type.tensor_type.elem_type == TensorProto.FLOAT]
    float_outputs = [vi for vi in g.output if vi.type.tensor_type.elem_type == TensorProto.FLOAT]
    if keep_io_types:
        casts = []
        for vi in float_inputs:
            inner = vi.name + "_fp16"
            for node in g.node:
                for k, name in enumerate(node.input):
                    if name == vi.name:
                        node.input[k] = inner
            casts.append(helper.make_node("Cast", [vi.name], [inner], to=TensorProto.FLOAT16, name=inner + "_cast"))
        for vi in float_outputs:
            inner = vi.name + "_fp16"
            for node in g.node:
                for k, name in enumerate(node.output):
                    if name == vi.name:
                        node.output[k] = inner
                for k, name in enumerate(node.input):
                    if name == vi.name:
                        node.input[k] = inner
            casts.append(helper.make_node("Cast", [inner], [vi.name], to=TensorProto.FLOAT, name=inner + "_cast"))
        nodes = list(g.node)
        del g.node[:]
        g.node.extend(casts[: len(float_inputs)] + nodes + casts[len(float_inputs):])
    else:
        for vi in float_inputs + float_outputs:
            vi.type.tensor_type.elem_type = TensorProto.FLOAT16
    onnx.checker.check_model(m)
    onnx.save(m, path)


def move_to_external_data(path, location):
    """Re-saves `path` with its weights in one external file `location` beside it (as >2 GB exports are)."""
    m = onnx.load(path)
    onnx.save_model(m, path, save_as_external_data=True, all_tensors_to_one_file=True, location=location, size_threshold=0)


def write_json(path, obj):
    os.makedirs(os.path.dirname(path), exist_ok=True)
    with open(path, "w") as f:
        json.dump(obj, f, indent=2)
        f.write("\n")


def write_tokenizer(folder, pad):
    """vocab.json + merges.txt (as SD exports ship them) from the committed real CLIP tokenizer.json."""
    with gzip.open(os.path.join(ROOT, "models", "fixtures", "clip-tokenizer", "tokenizer.json.gz"), "rt", encoding="utf-8") as f:
        model = json.load(f)["model"]
    os.makedirs(folder, exist_ok=True)
    with open(os.path.join(folder, "vocab.json"), "w", encoding="utf-8") as f:
        json.dump(model["vocab"], f, ensure_ascii=False)
    with open(os.path.join(folder, "merges.txt"), "w", encoding="utf-8") as f:
        f.write("#version: 0.2\n" + "\n".join(model["merges"]) + "\n")
    special = {"bos_token": "<|startoftext|>", "eos_token": "<|endoftext|>", "unk_token": "<|endoftext|>", "pad_token": pad}
    write_json(os.path.join(folder, "special_tokens_map.json"), special)
    write_json(os.path.join(folder, "tokenizer_config.json"), {
        **special, "tokenizer_class": "CLIPTokenizer", "model_max_length": SEQ_LEN, "do_lower_case": True,
        "errors": "replace", "add_prefix_space": False, "clean_up_tokenization_spaces": True,
    })


# Scheduler configs: the values of the published scheduler/scheduler_config.json of each model family
# (diffusers' keys). Where they come from and what is unverified: data/hub-layouts/README.md.
SD_BETAS = {"num_train_timesteps": 1000, "beta_start": 0.00085, "beta_end": 0.012, "beta_schedule": "scaled_linear", "trained_betas": None}
PNDM = {"_class_name": "PNDMScheduler", **SD_BETAS, "set_alpha_to_one": False, "skip_prk_steps": True, "steps_offset": 1, "clip_sample": False}
LCM = {"_class_name": "LCMScheduler", **SD_BETAS, "clip_sample": False, "set_alpha_to_one": True, "steps_offset": 1,
       "prediction_type": "epsilon", "original_inference_steps": 50, "timestep_scaling": 10.0, "timestep_spacing": "leading"}
TURBO = {"_class_name": "EulerDiscreteScheduler", **SD_BETAS, "interpolation_type": "linear", "prediction_type": "epsilon",
         "steps_offset": 1, "timestep_spacing": "trailing", "use_karras_sigmas": False}
DDIM_V = {"_class_name": "DDIMScheduler", **SD_BETAS, "clip_sample": False, "set_alpha_to_one": False, "steps_offset": 1,
          "prediction_type": "v_prediction", "skip_prk_steps": True}

VARIANTS = {
    "sd15": dict(sd2=False, cond=None, pipeline="OnnxStableDiffusionPipeline", scheduler=PNDM, pad="<|endoftext|>", sample_size=64,
                 ids=torch.int32, timestep="float-batch", fp16=None, external="weights.pb", axes_style="diffusers-script"),
    "sd21-base": dict(sd2=True, cond=None, pipeline="OnnxStableDiffusionPipeline", scheduler=PNDM, pad="!", sample_size=64,
                      ids=torch.int32, timestep="float-batch", fp16="keep-io", external=None, axes_style="diffusers-script"),
    "lcm-dreamshaper-v7": dict(sd2=False, cond=256, pipeline="LatentConsistencyModelPipeline", scheduler=LCM, pad="<|endoftext|>",
                               sample_size=64, ids=torch.int32, timestep="int64-steps", fp16=None, external="model.onnx_data",
                               axes_style="optimum"),
    "sd-turbo": dict(sd2=True, cond=None, pipeline="StableDiffusionPipeline", scheduler=TURBO, pad="!", sample_size=64,
                     ids=torch.int32, timestep="float-batch", fp16="io", external="model.onnx.data", axes_style="optimum"),
    "sd21-v": dict(sd2=True, cond=None, pipeline="StableDiffusionPipeline", scheduler=DDIM_V, pad="!", sample_size=96,
                   ids=torch.int64, timestep="float-scalar", fp16=None, external=None, axes_style="optimum"),
}


def make_variant(out_dir, name, spec, seed):
    folder = os.path.join(out_dir, name)
    partial = folder + ".partial"
    shutil.rmtree(partial, ignore_errors=True)
    torch.manual_seed(seed)
    script = spec["axes_style"] == "diffusers-script"
    b, ch, h, w, seq = ("batch", "channels", "height", "width", "sequence") if script else ("batch_size", "num_channels", "height", "width", "sequence_length")

    write_tokenizer(os.path.join(partial, "tokenizer"), spec["pad"])

    te = ClipTextModel("gelu" if spec["sd2"] else "quick_gelu")
    ids = torch.full((1, SEQ_LEN), 49407, dtype=spec["ids"])
    ids[0, 0] = 49406
    te_axes = {"input_ids": {0: b, 1: seq}}
    if not script:
        te_axes.update({"last_hidden_state": {0: b, 1: seq}, "pooler_output": {0: b}})
    export(te, (ids,), os.path.join(partial, "text_encoder", "model.onnx"), ["input_ids"], ["last_hidden_state", "pooler_output"], te_axes)
    write_json(os.path.join(partial, "text_encoder", "config.json"), {
        "architectures": ["CLIPTextModel"], "hidden_size": TEXT_HIDDEN, "intermediate_size": 64, "num_hidden_layers": 2,
        "num_attention_heads": 4, "max_position_embeddings": SEQ_LEN, "vocab_size": VOCAB,
        "hidden_act": "gelu" if spec["sd2"] else "quick_gelu", "bos_token_id": 0, "eos_token_id": 2, "pad_token_id": 1,
    })

    unet = UNet2DCondition(spec["sd2"], spec["cond"])
    lat = spec["sample_size"]
    sample = torch.randn(2, LATENT, lat, lat)
    ehs = torch.randn(2, SEQ_LEN, TEXT_HIDDEN)
    kind = spec["timestep"]
    if kind == "float-batch":
        timestep = torch.tensor([999.0, 999.0])
        t_axes = {0: b}
    elif kind == "int64-steps":
        timestep = torch.tensor([999, 999], dtype=torch.int64)
        t_axes = {0: "steps"}
    else:
        timestep = torch.tensor(999.0)
        t_axes = {}
    names = ["sample", "timestep", "encoder_hidden_states"]
    args = [sample, timestep, ehs]
    axes = {"sample": {0: b, 1: ch, 2: h, 3: w}, "encoder_hidden_states": {0: b, 1: seq}}
    if t_axes:
        axes["timestep"] = t_axes
    if not script:
        axes["out_sample"] = {0: b, 1: ch, 2: h, 3: w}
    if spec["cond"]:
        names.append("timestep_cond")
        args.append(torch.randn(2, spec["cond"]))
        axes["timestep_cond"] = {0: b}
    unet_path = os.path.join(partial, "unet", "model.onnx")
    export(unet, tuple(args), unet_path, names, ["out_sample"], axes)
    write_json(os.path.join(partial, "unet", "config.json"), {
        "_class_name": "UNet2DConditionModel", "_diffusers_version": "0.30.0", "sample_size": lat, "in_channels": LATENT,
        "out_channels": LATENT, "block_out_channels": [32, 64, 64], "layers_per_block": 2, "cross_attention_dim": TEXT_HIDDEN,
        "down_block_types": ["CrossAttnDownBlock2D", "CrossAttnDownBlock2D", "DownBlock2D"],
        "up_block_types": ["UpBlock2D", "CrossAttnUpBlock2D", "CrossAttnUpBlock2D"],
        "attention_head_dim": [2, 4, 4] if spec["sd2"] else 8, "use_linear_projection": spec["sd2"],
        "flip_sin_to_cos": True, "freq_shift": 0, "norm_num_groups": 32, "time_cond_proj_dim": spec["cond"],
    })

    vae = VaeDecoder()
    vae_axes = {"latent_sample": {0: b, 1: "num_channels_latent" if not script else ch, 2: "height_latent" if not script else h,
                                  3: "width_latent" if not script else w}}
    if not script:
        vae_axes["sample"] = {0: b, 1: ch, 2: h, 3: w}
    export(vae, (torch.randn(1, LATENT, lat, lat),), os.path.join(partial, "vae_decoder", "model.onnx"), ["latent_sample"], ["sample"], vae_axes)
    write_json(os.path.join(partial, "vae_decoder", "config.json"), {
        "_class_name": "AutoencoderKL", "_diffusers_version": "0.30.0", "latent_channels": LATENT, "in_channels": 3, "out_channels": 3,
        "block_out_channels": [32, 32, 64, 64], "layers_per_block": 2, "norm_num_groups": 32, "scaling_factor": SCALING_FACTOR,
        "sample_size": lat * 8,
    })

    if spec["fp16"]:
        for part in ("text_encoder", "unet", "vae_decoder"):
            to_float16(os.path.join(partial, part, "model.onnx"), keep_io_types=spec["fp16"] == "keep-io")
    if spec["external"]:
        move_to_external_data(unet_path, spec["external"])

    write_json(os.path.join(partial, "scheduler", "scheduler_config.json"), {**spec["scheduler"], "_diffusers_version": "0.30.0"})
    write_json(os.path.join(partial, "model_index.json"), {
        "_class_name": spec["pipeline"], "_diffusers_version": "0.30.0",
        "scheduler": ["diffusers", spec["scheduler"]["_class_name"]], "text_encoder": ["transformers", "CLIPTextModel"],
        "tokenizer": ["transformers", "CLIPTokenizer"], "unet": ["diffusers", "UNet2DConditionModel"],
        "vae_decoder": ["diffusers", "AutoencoderKL"], "requires_safety_checker": False,
    })
    shutil.rmtree(folder, ignore_errors=True)
    os.rename(partial, folder)
    size = sum(os.path.getsize(os.path.join(r, f)) for r, _, fs in os.walk(folder) for f in fs)
    print(f"{name}: {size / 1e6:.1f} MB")


def main():
    out_dir = sys.argv[1] if len(sys.argv) > 1 else os.path.join(ROOT, ".cache", "sd-standins")
    only = sys.argv[2:] or list(VARIANTS)
    os.makedirs(out_dir, exist_ok=True)
    torch.set_num_threads(1)
    for i, name in enumerate(VARIANTS):
        if name in only:
            make_variant(out_dir, name, VARIANTS[name], seed=4321 + i)


if __name__ == "__main__":
    main()
