"""Attention: plain grouped-query attention (Dense and SMoE) and DS-MoE's attention
experts (mixture of attention heads), trained densely, run sparsely.

MoEAttention's N experts each own hpe query heads: expert e's heads are columns
e·hpe·D … (e+1)·hpe·D − 1 of W_q (local head j at offset j·D) and the same rows
of W_o. In the dense forward the heads are ordered head-major, global head
g = j·N + e, and g reads K/V head ⌊g·Hkv/(N·hpe)⌋; keys and values are shared
by all experts. y = Σ_e g_e·(expert e's heads)·W_o,e with g_e = S_e (convex) or
N·S_e (scaled).
"""

import math

import torch
import torch.nn as nn

from .layers import Router, apply_rotary, causal_attention, gate_factor, output_fan_in, rotary_tables, rotate_halves, split_heads, uniform_param
from .routing import route


class MultiHeadAttention(nn.Module):
    """Causal grouped-query attention, no biases; wq [d, H·D], wk and wv [d, Hkv·D], wo [H·D, d]."""

    def __init__(self, c):
        super().__init__()
        d, q, kv = c.dModel, c.nHeads * c.headDim, c.nKvHeads * c.headDim
        self.heads, self.kv_heads, self.head_dim = c.nHeads, c.nKvHeads, c.headDim
        self.rotary = c.positions == "rotary"
        self.wq = uniform_param((d, q), d)
        self.wk = uniform_param((d, kv), d)
        self.wv = uniform_param((d, kv), d)
        self.wo = uniform_param((q, d), q)

    def forward(self, x):
        b, s, _ = x.shape
        q = split_heads(x @ self.wq, self.heads, self.head_dim)
        k = split_heads(x @ self.wk, self.kv_heads, self.head_dim)
        v = split_heads(x @ self.wv, self.kv_heads, self.head_dim)
        if self.rotary:
            q, k = apply_rotary(q), apply_rotary(k)
        heads = causal_attention(q, k, v)
        return heads.transpose(1, 2).reshape(b, s, self.heads * self.head_dim) @ self.wo


class MoEAttention(nn.Module):
    def __init__(self, c):
        super().__init__()
        d = c.dModel
        self.n, self.hpe, self.head_dim, self.kv_heads = c.attnExperts, c.nHeads // c.attnExperts, c.headDim, c.nKvHeads
        width = c.nHeads * c.headDim
        self.rotary = c.positions == "rotary"
        self.gate_scale = gate_factor(c.attnGate, self.n)
        self.router = Router(d, self.n, c.router, c.routerHidden)
        self.wq = uniform_param((d, width), d)
        self.wk = uniform_param((d, c.nKvHeads * c.headDim), d)
        self.wv = uniform_param((d, c.nKvHeads * c.headDim), d)
        self.wo = uniform_param((width, d), output_fan_in(c.attnGate, self.n, self.hpe * c.headDim))

    def kv_head_of(self, e, j):
        return ((j * self.n + e) * self.kv_heads) // (self.n * self.hpe)

    def keys_values(self, x):
        k = split_heads(x @ self.wk, self.kv_heads, self.head_dim)
        if self.rotary:
            k = apply_rotary(k)
        return k, split_heads(x @ self.wv, self.kv_heads, self.head_dim)

    def forward(self, x):
        """Dense training forward: x [B, S, d] → (y [B, S, d], scores [B·S, N], logits [B·S, N])."""
        b, s, _ = x.shape
        n, hpe, dh = self.n, self.hpe, self.head_dim
        logits = self.router(x)
        scores = logits.softmax(-1)
        k, v = self.keys_values(x)
        # [B, S, N·hpe·D] → head-major [B, hpe·N, S, D]
        q = (x @ self.wq).view(b, s, n, hpe, dh).permute(0, 3, 2, 1, 4).reshape(b, hpe * n, s, dh)
        if self.rotary:
            q = apply_rotary(q)
        heads = causal_attention(q, k, v).view(b, hpe, n, s, dh).permute(0, 3, 2, 1, 4)  # [B, S, N, hpe, D]
        gates = scores * self.gate_scale if self.gate_scale != 1 else scores
        y = (heads * gates.view(b, s, n, 1, 1)).reshape(b, s, n * hpe * dh) @ self.wo
        return y, scores.reshape(b * s, n), logits.reshape(b * s, n)

    @torch.no_grad()
    def infer(self, x, mode):
        """Sparse inference: each token computes queries, attention and output only for its chosen experts' heads.
        → (y [B, S, d], scores [B·S, N], kept [B·S, N] bool)."""
        b, s, d = x.shape
        n, hpe, dh = self.n, self.hpe, self.head_dim
        x2 = x.reshape(b * s, d)
        scores = self.router(x2).softmax(-1)
        kept, _ = route(scores, mode)
        k, v = self.keys_values(x)  # shared by every expert: [B, Hkv, S, D]
        if self.rotary:
            cos, sin = (t.to(x.device) for t in rotary_tables(range(s), dh))
        y = torch.zeros(b * s, d, dtype=x.dtype, device=x.device)
        for e in range(n):
            rows = kept[:, e].nonzero().squeeze(1)
            if rows.numel() == 0:
                continue
            seq, pos = rows // s, rows % s
            cols = slice(e * hpe * dh, (e + 1) * hpe * dh)
            q = (x2[rows] @ self.wq[:, cols]).view(-1, hpe, dh)  # [P, hpe, D]
            if self.rotary:
                q = rotate_halves(q, cos[pos].unsqueeze(1), sin[pos].unsqueeze(1))
            kv = [self.kv_head_of(e, j) for j in range(hpe)]
            keys, values = k[seq][:, kv], v[seq][:, kv]  # [P, hpe, S, D]
            att = (keys @ q.unsqueeze(-1)).squeeze(-1) * (1.0 / math.sqrt(dh))  # [P, hpe, S]
            future = torch.arange(s, device=x.device).unsqueeze(0) > pos.unsqueeze(1)  # [P, S]
            att = att.masked_fill(future.unsqueeze(1), float("-inf")).softmax(-1)
            heads = (att.unsqueeze(-2) @ values).squeeze(-2).reshape(-1, hpe * dh)  # [P, hpe·D]
            gate = (scores[rows, e] * self.gate_scale).unsqueeze(1)
            y.index_add_(0, rows, (heads * gate) @ self.wo[cols])
        return y.view(b, s, d), scores, kept
