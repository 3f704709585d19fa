"""The layers of dsmoe's language model in PyTorch, parameter for parameter.

Every matrix is stored as dsmoe stores it, [in, out], and applied as x·W (the
transpose of torch.nn.Linear's [out, in]): a checkpoint's tensors are copied in
as they are, with no transposes to forget. Each module's parameter names are the
checkpoint's tensor names (format version 2, docs/checkpoint-format.md).

Conventions, each as dsmoe computes it:
  GELU          the tanh form, 0.5·x·(1 + tanh(√(2/π)·(x + 0.044715·x³)))
  RMSNorm       x / √(mean(x²) + 1e-6) · γ
  LayerNorm     (x − μ) / √(σ² + 1e-5) · γ + β, σ² the population variance
  rotary        rotate-half pairs (x_i, x_{i+D/2}), angle t·10000^(−2i/D), the
                tables computed in float64 and rounded to float32
  attention     softmax(q·kᵀ·(1/√D) + causal mask)·v; query head g reads K/V head
                ⌊g·Hkv/H⌋ (grouped-query attention)
  init          U(±1/√fan_in) for matrices and b1, zeros for b2, ones for norm
                gains, N(0, 0.02²) for the embeddings (not bit-equal to dsmoe's
                generator: only the distributions match)
"""

import math

import numpy as np
import torch
import torch.nn as nn
import torch.nn.functional as F


def activation(name, x):
    if name == "gelu":
        return F.gelu(x, approximate="tanh")
    if name == "relu":
        return F.relu(x)
    if name == "silu":
        return F.silu(x)
    if name == "tanh":
        return torch.tanh(x)
    raise ValueError(f"unknown activation {name!r} (expected gelu, relu, silu or tanh)")


def uniform_param(shape, fan_in):
    bound = 1.0 / math.sqrt(fan_in)
    return nn.Parameter(torch.empty(*shape).uniform_(-bound, bound))


class Linear(nn.Module):
    """y = x·W + b with W [in, out] (dsmoe's layout)."""

    def __init__(self, fan_in, fan_out, bias=True):
        super().__init__()
        self.weight = uniform_param((fan_in, fan_out), fan_in)
        self.bias = uniform_param((fan_out,), fan_in) if bias else None

    def forward(self, x):
        y = x @ self.weight
        return y + self.bias if self.bias is not None else y


class RMSNorm(nn.Module):
    def __init__(self, d, eps=1e-6):
        super().__init__()
        self.eps = eps
        self.weight = nn.Parameter(torch.ones(d))

    def forward(self, x):
        return x * torch.rsqrt(x.square().mean(-1, keepdim=True) + self.eps) * self.weight


class LayerNorm(nn.Module):
    def __init__(self, d, eps=1e-5):
        super().__init__()
        self.eps = eps
        self.weight = nn.Parameter(torch.ones(d))
        self.bias = nn.Parameter(torch.zeros(d))

    def forward(self, x):
        centred = x - x.mean(-1, keepdim=True)
        return centred * torch.rsqrt(centred.square().mean(-1, keepdim=True) + self.eps) * self.weight + self.bias


def make_norm(c):
    return RMSNorm(c.dModel) if c.norm == "rms" else LayerNorm(c.dModel)


class Table(nn.Module):
    """A lookup table `weight` [rows, d], N(0, std²): the token embedding (also the tied head) and learned positions."""

    def __init__(self, rows, d, std=0.02):
        super().__init__()
        self.weight = nn.Parameter(torch.randn(rows, d) * std)


def rotary_tables(positions, d, base=10000.0):
    """cos and sin of t·base^(−2i/D) for each t in `positions`, [len, D/2], float32 (computed in float64)."""
    t = np.asarray(positions, dtype=np.float64)[:, None]
    i = np.arange(d // 2, dtype=np.float64)[None, :]
    angle = t * np.power(base, (-2.0 * i) / d)
    return torch.from_numpy(np.cos(angle).astype(np.float32)), torch.from_numpy(np.sin(angle).astype(np.float32))


def rotate_halves(x, cos, sin):
    """(x1, x2) → (x1·cos − x2·sin, x2·cos + x1·sin) over the last axis's halves."""
    h = x.shape[-1] // 2
    x1, x2 = x[..., :h], x[..., h:]
    return torch.cat([x1 * cos - x2 * sin, x2 * cos + x1 * sin], dim=-1)


def apply_rotary(x, offset=0):
    """x [B, H, S, D] at positions offset … offset + S − 1."""
    cos, sin = rotary_tables(range(offset, offset + x.shape[2]), x.shape[3])
    return rotate_halves(x, cos.to(x.device), sin.to(x.device))


def causal_attention(q, k, v):
    """q [B, H, S, D], k and v [B, Hkv, S, D] → [B, H, S, D]; head g reads K/V head g // (H/Hkv)."""
    groups = q.shape[1] // k.shape[1]
    if groups > 1:
        k = k.repeat_interleave(groups, dim=1)
        v = v.repeat_interleave(groups, dim=1)
    s = q.shape[2]
    scores = (q @ k.transpose(-1, -2)) * (1.0 / math.sqrt(q.shape[-1]))
    future = torch.ones(s, s, dtype=torch.bool, device=q.device).triu(1)
    return scores.masked_fill(future, float("-inf")).softmax(-1) @ v


def split_heads(x, heads, d):
    """[B, S, h·D] → [B, h, S, D]."""
    b, s, _ = x.shape
    return x.view(b, s, heads, d).transpose(1, 2)


class Router(nn.Module):
    """Logits h(x)/τ: 'linear' x·W_r (no bias), or 'mlp' GELU(x·W_a + b_a)·W_b; scores are softmax of them.
    τ, the temperature, is 1 but under the DTS gate (LanguageModel.set_trained_steps)."""

    def __init__(self, d, n, kind, hidden):
        super().__init__()
        self.temperature = 1.0
        if kind == "linear":
            self.proj = Linear(d, n, bias=False)
            self.out = None
        else:
            self.proj = Linear(d, hidden)
            self.out = Linear(hidden, n, bias=False)

    def forward(self, x):
        h = self.proj(x)
        logits = self.out(activation("gelu", h)) if self.out is not None else h
        return logits if self.temperature == 1 else logits / self.temperature


def gate_factor(gate, n):
    """convex gates weigh expert e by S_e, scaled ones by N·S_e (dsmoe's gate.ts)."""
    return n if gate == "scaled" else 1


def output_fan_in(gate, n, width):
    return n * width if gate == "scaled" else width
