"""The language model, dsmoe's src/moe/lm.ts in PyTorch:

  ids → embed (+ learned positions) → L × block → normOut → h·embedᵀ (tied head)
  block: h += attn(norm1(h)); h += ffn(norm2(h))   (pre-norm; dropout on both outputs)

kind picks the layers: dsmoe (attention experts + MoE FFN, dense training with the
MI loss), smoe (dense attention + MoE FFN trained top-K with the Switch loss and
the z-loss), dense (no routers). The parameter names are the checkpoint's.
"""

import torch
import torch.nn as nn

from .attention import MoEAttention, MultiHeadAttention
from .config import dts_temperature
from .ffn import DenseFeedForward, MoEFeedForward
from .layers import Router, Table, make_norm


class Block(nn.Module):
    def __init__(self, c):
        super().__init__()
        self.kind = c.kind
        self.norm1 = make_norm(c)
        self.norm2 = make_norm(c)
        self.attn = MoEAttention(c) if c.kind == "dsmoe" else MultiHeadAttention(c)
        self.ffn = DenseFeedForward(c) if c.kind == "dense" else MoEFeedForward(c)
        self.drop = nn.Dropout(c.dropout)

    def forward(self, h, aux):
        xa = self.norm1(h)
        if isinstance(self.attn, MoEAttention):
            a, scores, logits = self.attn(xa)
            aux["attn"].append((scores, logits))
        else:
            a = self.attn(xa)
        h = h + self.drop(a)
        xf = self.norm2(h)
        if isinstance(self.ffn, MoEFeedForward):
            f, scores, logits, mask = self.ffn(xf)
            aux["ffn"].append((scores, logits, mask))
        else:
            f = self.ffn(xf)
        return h + self.drop(f)

    @torch.no_grad()
    def infer(self, h, ffn_mode, attn_mode):
        routing = {"attn": None, "ffn": None}
        x1 = self.norm1(h)
        if isinstance(self.attn, MoEAttention):
            if attn_mode["mode"] == "dense":
                a, scores, _ = self.attn(x1)
                routing["attn"] = torch.ones_like(scores, dtype=torch.bool)
            else:
                a, _, routing["attn"] = self.attn.infer(x1, attn_mode)
        else:
            a = self.attn(x1)
        h = h + a
        x2 = self.norm2(h)
        if isinstance(self.ffn, MoEFeedForward):
            f, _, routing["ffn"] = self.ffn.infer(x2, ffn_mode)
        else:
            f = self.ffn(x2)
        return h + f, routing


def attention_mode(c, mode, attention=None):
    """The attention experts' mode (dsmoe's lm-stats.ts): 'dense' for topK unless told, the FFN's mode
    otherwise ('follow'); a topK larger than the attention experts uses them all."""
    a = attention if attention is not None else ("dense" if mode["mode"] == "topK" else "follow")
    m = mode if a == "follow" else {"mode": "dense"} if a == "dense" else a
    if m["mode"] == "topK" and m["k"] > c.attnExperts:
        return {"mode": "topK", "k": c.attnExperts}
    return m


class LanguageModel(nn.Module):
    def __init__(self, c):
        super().__init__()
        self.config = c
        self.embed = Table(c.vocabSize, c.dModel)
        self.pos = Table(c.maxSeqLen, c.dModel) if c.positions == "learned" else None
        self.blocks = nn.ModuleList(Block(c) for _ in range(c.nLayers))
        self.normOut = make_norm(c)
        self.set_trained_steps(0)

    def set_trained_steps(self, steps):
        """The training steps taken: under a DTS gate every router's temperature is the schedule's there
        (dsmoe's LanguageModel.setTrainedSteps); the trainer calls it after each step, the loader with
        the checkpoint's step."""
        self.trained_steps = steps
        tau = dts_temperature(self.config.dts, steps) if self.config.dts is not None else 1.0
        for m in self.modules():
            if isinstance(m, Router):
                m.temperature = tau

    def embed_ids(self, ids):
        if ids.dim() != 2:
            raise ValueError(f"LanguageModel: ids must be [B, S], got {list(ids.shape)}")
        if ids.shape[1] > self.config.maxSeqLen:
            raise ValueError(f"LanguageModel: sequence length {ids.shape[1]} exceeds maxSeqLen {self.config.maxSeqLen}")
        x = self.embed.weight[ids]
        return x + self.pos.weight[: ids.shape[1]] if self.pos is not None else x

    def head(self, h):
        return self.normOut(h) @ self.embed.weight.t()

    def forward(self, ids):
        """Dense training forward: ids [B, S] → (logits [B, S, V], aux), aux["attn"] a list of
        (scores, logits) per attention router, aux["ffn"] of (scores, logits, top-K mask or None)."""
        aux = {"attn": [], "ffn": []}
        h = self.embed_ids(ids)
        for block in self.blocks:
            h = block(h, aux)
        return self.head(h), aux

    @torch.no_grad()
    def infer(self, ids, mode, attention=None):
        """Sparse inference: each MoE FFN in `mode`, attention experts per `attention` ('dense', 'follow'
        or a mode; dsmoe's default when None). → (logits [B, S, V], per layer {"attn": kept, "ffn": kept})."""
        attn_mode = attention_mode(self.config, mode, attention)
        h = self.embed_ids(ids)
        layers = []
        for block in self.blocks:
            h, routing = block.infer(h, mode, attn_mode)
            layers.append(routing)
        return self.head(h), layers
