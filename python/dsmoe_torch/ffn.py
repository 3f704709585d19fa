"""Feed-forward layers: the Dense baseline's, and the MoE layer whose N experts are
the dense FFN cut into column blocks (expert e owns columns e·h … (e+1)·h − 1 of
w1 and b1 and the same rows of w2):

  e_e(x) = act(x·w1_e + b1_e)·w2_e
  y(x)   = Σ_{e∈A(x)} g_e(x)·e_e(x) + b2,   g_e = S_e (convex) or N·S_e (scaled)

b2 is shared and never gated. Training is dense (A = every expert: one GEMM
pair and a gate multiply), or, for the SMoE baseline, the top-K experts' mask on
the gates; inference keeps the experts its mode chooses and runs only those.

The routing extensions (dsmoe's shared-experts.ts and zero-experts.ts): the
first sharedExperts of the nExperts are a dense block `shared` every token uses,
ungated; the router scores the other N = nExperts − sharedExperts FFN experts
and then the zero-computation experts, whose output is g·0, g·x or g·c (c a row
of `constants`). The gate scale of 'scaled' is the router's choice count.
"""

import torch
import torch.nn as nn

from .layers import Router, activation, gate_factor, output_fan_in, uniform_param
from .routing import route, top_k_mask


class DenseFeedForward(nn.Module):
    def __init__(self, c):
        super().__init__()
        d, width = c.dModel, c.ffn_width
        self.act = c.activation
        self.w1 = uniform_param((d, width), d)
        self.b1 = uniform_param((width,), d)
        self.w2 = uniform_param((width, d), width)
        self.b2 = nn.Parameter(torch.zeros(d))

    def forward(self, x):
        return activation(self.act, x @ self.w1 + self.b1) @ self.w2 + self.b2


class SharedExperts(nn.Module):
    """The shared experts' dense block: act(x·w1 + b1)·w2, no output bias (the layer's b2 is added once)."""

    def __init__(self, d, width, act):
        super().__init__()
        self.act = act
        self.w1 = uniform_param((d, width), d)
        self.b1 = uniform_param((width,), d)
        self.w2 = uniform_param((width, d), width)

    def forward(self, x2):
        return activation(self.act, x2 @ self.w1 + self.b1) @ self.w2


class MoEFeedForward(nn.Module):
    def __init__(self, c):
        super().__init__()
        d = c.dModel
        self.n, self.h, self.act = c.nExperts - c.sharedExperts, c.expertHidden, c.activation
        self.zero = list(c.zeroExperts)
        self.choices = self.n + len(self.zero)
        self.train_k = c.smoeTopK if c.kind == "smoe" else None
        self.gate_scale = gate_factor(c.ffnGate, self.choices)
        self.router = Router(d, self.choices, c.router, c.routerHidden)
        self.w1 = uniform_param((d, self.n * self.h), d)
        self.b1 = uniform_param((self.n * self.h,), d)
        self.w2 = uniform_param((self.n * self.h, d), output_fan_in(c.ffnGate, self.n, self.h))
        self.b2 = nn.Parameter(torch.zeros(d))
        self.shared = SharedExperts(d, c.sharedExperts * self.h, self.act) if c.sharedExperts > 0 else None
        n_const = self.zero.count("constant")
        self.constants = nn.Parameter(torch.zeros(n_const, d)) if n_const else None

    def zero_output(self, x2, gates):
        """Σ_z g_z·E_z(x) from the zero-computation experts' gates [T, Z] (scaled), elementwise; None if none outputs."""
        y, row = None, 0
        for j, kind in enumerate(self.zero):
            if kind == "zero":
                continue
            g = gates[:, j : j + 1]
            if kind == "copy":
                out = x2 * g
            else:
                out = g * self.constants[row : row + 1]
                row += 1
            y = out if y is None else y + out
        return y

    def finish(self, x2, y):
        """y plus the shared experts and b2, each added once to every token."""
        if self.shared is not None:
            y = y + self.shared(x2)
        return y + self.b2

    def forward(self, x):
        """Training forward: x [..., d] → (y, scores [T, N + Z], logits [T, N + Z], top-K mask [T, N + Z] or None)."""
        d = x.shape[-1]
        x2 = x.reshape(-1, d)
        logits = self.router(x2)
        scores = logits.softmax(-1)
        gates, mask = scores, None
        if self.train_k is not None:
            mask = top_k_mask(scores.detach(), self.train_k)
            gates = scores * mask.to(scores.dtype)
        if self.gate_scale != 1:
            gates = gates * self.gate_scale
        free = self.zero_output(x2, gates[:, self.n :]) if self.zero else None
        gates = gates[:, : self.n]
        hidden = activation(self.act, x2 @ self.w1 + self.b1)
        gated = (hidden.view(-1, self.n, self.h) * gates.unsqueeze(-1)).view(-1, self.n * self.h)
        y = gated @ self.w2
        if free is not None:
            y = y + free
        return self.finish(x2, y).view(x.shape), scores, logits, mask

    @torch.no_grad()
    def infer(self, x, mode):
        """Sparse inference: → (y like x, scores [T, N + Z], kept [T, N + Z] bool). Dense mode of a densely
        trained layer is its training forward; every other case runs only the kept experts."""
        d = x.shape[-1]
        x2 = x.reshape(-1, d)
        if mode["mode"] == "dense" and self.train_k is None:
            y, scores, _, _ = self.forward(x)
            return y, scores, torch.ones_like(scores, dtype=torch.bool)
        scores = self.router(x2).softmax(-1)
        kept, _ = route(scores, mode)
        y = torch.zeros_like(x2)
        for e in range(self.n):
            rows = kept[:, e].nonzero().squeeze(1)
            if rows.numel() == 0:
                continue
            cols = slice(e * self.h, (e + 1) * self.h)
            hidden = activation(self.act, x2[rows] @ self.w1[:, cols] + self.b1[cols])
            gate = (scores[rows, e] * self.gate_scale).unsqueeze(1)
            y.index_add_(0, rows, (hidden * gate) @ self.w2[cols])
        if self.zero:
            free = self.zero_output(x2, scores[:, self.n :] * kept[:, self.n :].to(scores.dtype) * self.gate_scale)
            if free is not None:
                y = y + free
        return self.finish(x2, y).view(x.shape), scores, kept
