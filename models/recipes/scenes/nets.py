"""Networks of the scenes model family (a miniature Stable Diffusion).

- Autoencoder: 64x64x3 <-> 8x8x4 (8x, like SD's VAE), deterministic, convolutional.
- TextEncoder: CLIP-text-shaped, token + position embeddings, 2 causal pre-LN transformer blocks,
  outputs (last_hidden_state, pooler_output at the first end-of-text token).
- UNet: fully convolutional (two resolutions, one 2x down/up), residual blocks conditioned on a
  sinusoidal timestep embedding, cross-attention on the text states; optional `timestep_cond`
  projection (LCM's guidance embedding, added to the timestep embedding as in diffusers).
- Evaluator: a small CNN predicting the scene attributes from pixels in [0, 1]; its global-pooled
  penultimate features serve the Frechet distance.
- LoRA: low-rank updates W + (alpha / r) B A on Linear and 1x1 Conv layers (Hu et al. 2021).
"""
import math

import torch
import torch.nn.functional as F
from torch import nn

LATENT_CHANNELS = 4
SEQ_LEN = 32
TEXT_WIDTH = 64
TIME_COND_DIM = 256


def gn(c):
    return nn.GroupNorm(8 if c % 8 == 0 else 4, c)


# ---------------------------------------------------------------------------------------------
# Autoencoder
# ---------------------------------------------------------------------------------------------


class Res(nn.Module):
    """Pre-norm residual block; optional timestep embedding added after the first conv."""

    def __init__(self, cin, cout, temb=None):
        super().__init__()
        self.norm1 = gn(cin)
        self.conv1 = nn.Conv2d(cin, cout, 3, padding=1)
        self.time_emb_proj = nn.Linear(temb, cout) if temb else None
        self.norm2 = gn(cout)
        self.conv2 = nn.Conv2d(cout, cout, 3, padding=1)
        self.skip = nn.Conv2d(cin, cout, 1) if cin != cout else None

    def forward(self, x, temb=None):
        h = self.conv1(F.silu(self.norm1(x)))
        if self.time_emb_proj is not None:
            h = h + self.time_emb_proj(F.silu(temb))[:, :, None, None]
        h = self.conv2(F.silu(self.norm2(h)))
        return h + (x if self.skip is None else self.skip(x))


class Encoder(nn.Module):
    def __init__(self):
        super().__init__()
        self.conv_in = nn.Conv2d(3, 16, 3, padding=1)
        self.down1 = nn.Conv2d(16, 32, 3, stride=2, padding=1)   # 32x32
        self.res1 = Res(32, 32)
        self.down2 = nn.Conv2d(32, 64, 3, stride=2, padding=1)   # 16x16
        self.res2 = Res(64, 64)
        self.down3 = nn.Conv2d(64, 64, 3, stride=2, padding=1)   # 8x8
        self.res3 = Res(64, 64)
        self.norm_out = gn(64)
        self.conv_out = nn.Conv2d(64, LATENT_CHANNELS, 3, padding=1)

    def forward(self, sample):
        h = self.conv_in(sample)
        h = self.res1(self.down1(F.silu(h)))
        h = self.res2(self.down2(h))
        h = self.res3(self.down3(h))
        return self.conv_out(F.silu(self.norm_out(h)))


class Decoder(nn.Module):
    def __init__(self):
        super().__init__()
        self.conv_in = nn.Conv2d(LATENT_CHANNELS, 64, 3, padding=1)
        self.res0 = Res(64, 64)
        self.up1 = nn.Conv2d(64, 64, 3, padding=1)   # 16x16
        self.res1 = Res(64, 64)
        self.up2 = nn.Conv2d(64, 32, 3, padding=1)   # 32x32
        self.res2 = Res(32, 32)
        self.up3 = nn.Conv2d(32, 16, 3, padding=1)   # 64x64
        self.norm_out = gn(16)
        self.conv_out = nn.Conv2d(16, 3, 3, padding=1)

    def forward(self, latent_sample):
        h = self.res0(self.conv_in(latent_sample))
        h = self.res1(self.up1(F.interpolate(h, scale_factor=2.0, mode="nearest")))
        h = self.res2(self.up2(F.interpolate(h, scale_factor=2.0, mode="nearest")))
        h = self.up3(F.interpolate(h, scale_factor=2.0, mode="nearest"))
        return self.conv_out(F.silu(self.norm_out(h)))


class Autoencoder(nn.Module):
    """Images in [-1, 1] <-> unscaled latents (the pipeline divides by scaling_factor first)."""

    def __init__(self):
        super().__init__()
        self.encoder = Encoder()
        self.decoder = Decoder()


# ---------------------------------------------------------------------------------------------
# Text encoder
# ---------------------------------------------------------------------------------------------


class TextBlock(nn.Module):
    def __init__(self, width, heads):
        super().__init__()
        self.heads = heads
        self.ln1 = nn.LayerNorm(width)
        self.qkv = nn.Linear(width, 3 * width)
        self.proj = nn.Linear(width, width)
        self.ln2 = nn.LayerNorm(width)
        self.fc1 = nn.Linear(width, 4 * width)
        self.fc2 = nn.Linear(4 * width, width)

    def forward(self, x, mask):
        b, n, c = x.shape
        d = c // self.heads
        q, k, v = self.qkv(self.ln1(x)).reshape(b, n, 3, self.heads, d).permute(2, 0, 3, 1, 4)
        att = torch.softmax(q @ k.transpose(-1, -2) / math.sqrt(d) + mask, dim=-1)
        x = x + self.proj((att @ v).transpose(1, 2).reshape(b, n, c))
        return x + self.fc2(F.gelu(self.fc1(self.ln2(x))))


class TextEncoder(nn.Module):
    def __init__(self, vocab_size, eos_id, width=TEXT_WIDTH, layers=2, heads=4):
        super().__init__()
        self.eos_id = eos_id
        self.width = width
        self.token_embedding = nn.Embedding(vocab_size, width)
        self.position_embedding = nn.Parameter(torch.randn(SEQ_LEN, width) * 0.02)
        self.blocks = nn.ModuleList([TextBlock(width, heads) for _ in range(layers)])
        self.ln_f = nn.LayerNorm(width)
        self.register_buffer("causal", torch.triu(torch.full((SEQ_LEN, SEQ_LEN), -1e4), diagonal=1))

    def forward(self, input_ids):
        ids = input_ids.long()
        x = self.token_embedding(ids) + self.position_embedding
        for blk in self.blocks:
            x = blk(x, self.causal)
        last = self.ln_f(x)
        eos_pos = (ids == self.eos_id).int().argmax(dim=-1)
        pooled = torch.gather(last, 1, eos_pos[:, None, None].expand(-1, 1, self.width))[:, 0]
        return last, pooled


# ---------------------------------------------------------------------------------------------
# UNet
# ---------------------------------------------------------------------------------------------


def timestep_embedding(t, dim):
    """Sinusoidal embedding (DDPM; diffusers' get_timestep_embedding with flip_sin_to_cos=True, shift 0)."""
    half = dim // 2
    freqs = torch.exp(-math.log(10000.0) * torch.arange(half, dtype=torch.float32) / half)
    args = t.float()[:, None] * freqs[None, :]
    return torch.cat([torch.cos(args), torch.sin(args)], dim=-1)


class CrossAttention(nn.Module):
    """Spatial transformer with only cross-attention to the text (plus an optional feed-forward)."""

    def __init__(self, c, ctx, heads=4, ff=True):
        super().__init__()
        self.heads = heads
        self.norm = gn(c)
        self.proj_in = nn.Conv2d(c, c, 1)
        self.ln = nn.LayerNorm(c)
        self.to_q = nn.Linear(c, c, bias=False)
        self.to_k = nn.Linear(ctx, c, bias=False)
        self.to_v = nn.Linear(ctx, c, bias=False)
        self.to_out = nn.Linear(c, c)
        self.ln_ff = nn.LayerNorm(c) if ff else None
        self.ff1 = nn.Linear(c, 2 * c) if ff else None
        self.ff2 = nn.Linear(2 * c, c) if ff else None
        self.proj_out = nn.Conv2d(c, c, 1)

    def forward(self, x, context):
        b, c, hh, ww = x.shape
        h = self.proj_in(self.norm(x))
        tok = h.flatten(2).transpose(1, 2)  # [b, hw, c]
        d = c // self.heads
        q = self.to_q(self.ln(tok)).reshape(b, -1, self.heads, d).transpose(1, 2)
        k = self.to_k(context).reshape(context.shape[0], -1, self.heads, d).transpose(1, 2)
        v = self.to_v(context).reshape(context.shape[0], -1, self.heads, d).transpose(1, 2)
        att = torch.softmax(q @ k.transpose(-1, -2) / math.sqrt(d), dim=-1)
        tok = tok + self.to_out((att @ v).transpose(1, 2).reshape(b, -1, c))
        if self.ff1 is not None:
            tok = tok + self.ff2(F.gelu(self.ff1(self.ln_ff(tok))))
        h = tok.transpose(1, 2).reshape(b, c, hh, ww)
        return x + self.proj_out(h)


class UNet(nn.Module):
    """sample [b,4,h,w] (h, w even), timestep [1] or [b], encoder_hidden_states [b,L,ctx] -> eps."""

    def __init__(self, c0=64, c1=96, ctx=TEXT_WIDTH, temb=128, cond_dim=None):
        super().__init__()
        self.c0 = c0
        self.time_linear_1 = nn.Linear(c0, temb)
        self.time_linear_2 = nn.Linear(temb, temb)
        self.cond_proj = None
        if cond_dim:
            self.add_cond_proj(cond_dim)
        self.conv_in = nn.Conv2d(LATENT_CHANNELS, c0, 3, padding=1)
        self.d0_res = Res(c0, c0, temb)
        self.d0_attn = CrossAttention(c0, ctx, ff=False)
        self.down = nn.Conv2d(c0, c0, 3, stride=2, padding=1)
        self.d1_res = Res(c0, c1, temb)
        self.d1_attn = CrossAttention(c1, ctx, ff=False)
        self.mid_res = Res(c1, c1, temb)
        self.mid_attn = CrossAttention(c1, ctx)
        self.u1_res = Res(2 * c1, c1, temb)
        self.up = nn.Conv2d(c1, c0, 3, padding=1)
        self.u0_res = Res(2 * c0, c0, temb)
        self.u0_attn = CrossAttention(c0, ctx, ff=False)
        self.norm_out = gn(c0)
        self.conv_out = nn.Conv2d(c0, LATENT_CHANNELS, 3, padding=1)

    def add_cond_proj(self, cond_dim):
        """LCM: timestep_cond -> added to the sinusoidal timestep features; zero-initialised so the
        student starts as the teacher."""
        self.cond_proj = nn.Linear(cond_dim, self.c0, bias=False)
        nn.init.zeros_(self.cond_proj.weight)

    def forward(self, sample, timestep, encoder_hidden_states, timestep_cond=None):
        t = timestep_embedding(timestep.reshape(-1), self.c0)
        if self.cond_proj is not None and timestep_cond is not None:
            t = t + self.cond_proj(timestep_cond)
        temb = self.time_linear_2(F.silu(self.time_linear_1(t)))
        ctx = encoder_hidden_states
        h = self.conv_in(sample)
        h0 = self.d0_attn(self.d0_res(h, temb), ctx)
        h = self.down(h0)
        h1 = self.d1_attn(self.d1_res(h, temb), ctx)
        h = self.mid_attn(self.mid_res(h1, temb), ctx)
        h = self.u1_res(torch.cat([h, h1], dim=1), temb)
        h = self.up(F.interpolate(h, scale_factor=2.0, mode="nearest"))
        h = self.u0_attn(self.u0_res(torch.cat([h, h0], dim=1), temb), ctx)
        return self.conv_out(F.silu(self.norm_out(h)))


# ---------------------------------------------------------------------------------------------
# Evaluator
# ---------------------------------------------------------------------------------------------


class Evaluator(nn.Module):
    """pixel_values [b,3,H,W] in [0,1] -> (logits [b, sum(classes)], features [b, 128])."""

    def __init__(self, n_logits, width=128):
        super().__init__()
        self.body = nn.Sequential(
            nn.Conv2d(3, 32, 3, stride=2, padding=1), nn.GroupNorm(8, 32), nn.SiLU(),   # 32
            nn.Conv2d(32, 64, 3, padding=1), nn.GroupNorm(8, 64), nn.SiLU(),
            nn.Conv2d(64, 64, 3, stride=2, padding=1), nn.GroupNorm(8, 64), nn.SiLU(),  # 16
            nn.Conv2d(64, 96, 3, padding=1), nn.GroupNorm(8, 96), nn.SiLU(),
            nn.Conv2d(96, width, 3, stride=2, padding=1), nn.GroupNorm(8, width), nn.SiLU(),  # 8
            nn.Conv2d(width, width, 3, padding=1), nn.SiLU(),
        )
        self.pool_proj = nn.Linear(2 * width, width)
        self.head = nn.Linear(width, n_logits)

    def forward(self, pixel_values):
        h = self.body(pixel_values)
        # Global pooling: mean and max (small bright things such as stars survive the max).
        pooled = torch.cat([h.mean(dim=(2, 3)), h.amax(dim=(2, 3))], dim=1)
        features = F.silu(self.pool_proj(pooled))
        return self.head(features), features


# ---------------------------------------------------------------------------------------------
# LoRA
# ---------------------------------------------------------------------------------------------


class LoraWrap(nn.Module):
    """y = base(x) + (alpha / r) * B(A(x)); base frozen, B zero-initialised (Hu et al. 2021)."""

    def __init__(self, base, rank, alpha):
        super().__init__()
        self.base = base
        self.rank = rank
        self.alpha = alpha
        if isinstance(base, nn.Linear):
            fin, fout = base.in_features, base.out_features
        else:
            fin, fout = base.in_channels, base.out_channels
        self.lora_down = nn.Parameter(torch.randn(rank, fin) / math.sqrt(fin))
        self.lora_up = nn.Parameter(torch.zeros(fout, rank))

    def forward(self, x):
        y = self.base(x)
        s = self.alpha / self.rank
        if isinstance(self.base, nn.Linear):
            return y + s * (x @ self.lora_down.t() @ self.lora_up.t())
        d = F.conv2d(x, self.lora_down[:, :, None, None])
        return y + s * F.conv2d(d, self.lora_up[:, :, None, None])


def lora_targets(unet):
    """Module paths of the UNet's Linear and 1x1 Conv layers (LCM-LoRA adapts these)."""
    out = []
    for name, m in unet.named_modules():
        if isinstance(m, nn.Linear) and name != "cond_proj":
            out.append(name)
        elif isinstance(m, nn.Conv2d) and m.kernel_size == (1, 1):
            out.append(name)
    return out


def apply_lora(unet, rank, alpha):
    names = lora_targets(unet)
    for name in names:
        parent_name, _, leaf = name.rpartition(".")
        parent = unet.get_submodule(parent_name) if parent_name else unet
        setattr(parent, leaf, LoraWrap(getattr(parent, leaf), rank, alpha))
    return names


# ---------------------------------------------------------------------------------------------
# Scene CLIP (contrastive text-image model used only to score: CLIPScore)
# ---------------------------------------------------------------------------------------------


class ClipImageEncoder(nn.Module):
    """pixel_values [b,3,H,W] in [0,1] -> L2-normalised embedding [b, dim]. Its own weights: not the
    evaluator's, not the autoencoder's."""

    def __init__(self, dim=64, width=96):
        super().__init__()

        def block(cin, cout, stride):
            return nn.Sequential(nn.Conv2d(cin, cout, 3, stride=stride, padding=1), nn.GroupNorm(8, cout), nn.GELU())

        self.body = nn.Sequential(block(3, 32, 2), block(32, 64, 2), block(64, 96, 1),   # 16x16 (from 64x64)
                                  block(96, width, 2), block(width, width, 1))           # 8x8
        self.proj = nn.Sequential(nn.Linear(2 * width, 2 * width), nn.GELU(), nn.Linear(2 * width, dim))

    def forward(self, pixel_values):
        h = self.body(pixel_values * 2.0 - 1.0)
        z = self.proj(torch.cat([h.mean(dim=(2, 3)), h.amax(dim=(2, 3))], dim=1))
        return F.normalize(z, dim=-1)


class ClipTextEncoder(nn.Module):
    """input_ids [b, SEQ_LEN] -> L2-normalised embedding [b, dim] (pooled at the first end-of-text token,
    as CLIP). Its own weights: not the teacher's text encoder."""

    def __init__(self, vocab_size, eos_id, dim=64, width=TEXT_WIDTH, layers=2, heads=4):
        super().__init__()
        self.text = TextEncoder(vocab_size, eos_id, width, layers, heads)
        self.proj = nn.Linear(width, dim, bias=False)

    def forward(self, input_ids):
        _, pooled = self.text(input_ids)
        return F.normalize(self.proj(pooled), dim=-1)


class SceneClip(nn.Module):
    def __init__(self, vocab_size, eos_id, dim=64):
        super().__init__()
        self.image = ClipImageEncoder(dim)
        self.text = ClipTextEncoder(vocab_size, eos_id, dim)
        self.logit_scale = nn.Parameter(torch.tensor(math.log(1 / 0.07)))


# ---------------------------------------------------------------------------------------------
# Discriminator heads (adversarial distillation): trainable heads on frozen features
# ---------------------------------------------------------------------------------------------


class DiscHead(nn.Module):
    """Per-location logits from one frozen feature map, with a projection-discriminator text term
    (Miyato & Koyama 2018), as ADD's conditioned heads: logit = w . h + <proj(text), h>."""

    def __init__(self, c, text_dim, hidden=64):
        super().__init__()
        self.body = nn.Sequential(nn.Conv2d(c, hidden, 3, padding=1), nn.GroupNorm(8, hidden), nn.LeakyReLU(0.2),
                                  nn.Conv2d(hidden, hidden, 3, padding=1), nn.GroupNorm(8, hidden), nn.LeakyReLU(0.2))
        self.out = nn.Conv2d(hidden, 1, 1)
        self.cond = nn.Linear(text_dim, hidden)

    def forward(self, feat, text):
        h = self.body(feat)
        return (self.out(h) + (self.cond(text)[:, :, None, None] * h).sum(1, keepdim=True) / math.sqrt(h.shape[1])).flatten(1).mean(1)


class Discriminator(nn.Module):
    def __init__(self, channels, text_dim):
        super().__init__()
        self.heads = nn.ModuleList([DiscHead(c, text_dim) for c in channels])

    def forward(self, feats, text):
        return sum(h(f, text) for h, f in zip(self.heads, feats)) / len(self.heads)


def ae_encoder_features(encoder, pixels):
    """The frozen autoencoder encoder's feature maps (32x32x32, 16x16x64, 8x8x64) of images in [-1, 1]."""
    h = encoder.conv_in(pixels)
    f1 = encoder.res1(encoder.down1(F.silu(h)))
    f2 = encoder.res2(encoder.down2(f1))
    f3 = encoder.res3(encoder.down3(f2))
    return [f1, f2, f3]


def unet_encoder_features(unet, sample, timestep, context):
    """The frozen UNet's down and middle feature maps (SDXL-Lightning's discriminator backbone is the
    diffusion UNet's encoder): 8x8x64, 4x4x96, 4x4x96."""
    t = timestep_embedding(timestep.reshape(-1), unet.c0)
    temb = unet.time_linear_2(F.silu(unet.time_linear_1(t)))
    h0 = unet.d0_attn(unet.d0_res(unet.conv_in(sample), temb), context)
    h1 = unet.d1_attn(unet.d1_res(unet.down(h0), temb), context)
    hm = unet.mid_attn(unet.mid_res(h1, temb), context)
    return [h0, h1, hm]
