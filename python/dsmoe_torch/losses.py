"""The training objective, as dsmoe's LanguageModel.loss computes it:

  loss = CE + α_ffn·Σ L_MI(ffn routers) + α_attn·Σ L_MI(attention routers)
            + w_balance·Σ L_switch + w_z·Σ L_z                     (sums over layers)

  L_MI     = mean_x H(e|x) − H(e),  H(e|x) from log_softmax(router logits),
             H(e) = −Σ_e p(e)·log(p(e) + 1e-8),  p(e) = mean_x S_e(x)     (dsmoe)
  L_switch = N·Σ_e f_e·P_e, f_e the share of the top-K assignments that go
             to e (no gradient), P_e = mean_x S_e(x)                     (smoe)
  L_z      = mean_x (logsumexp_e h_e(x))²                              (smoe)

The batch means over tokens inside H(e), f and P are what make these terms
more than per-token sums: under data parallelism each rank holds a shard of
the batch, so `BatchReducer` sums those means over every rank (one all-reduce
per router, in the forward). Its gradient path keeps only the local shard,
scaled by the world size, so that after DDP averages the ranks' gradients the
result is the gradient of the loss over the whole global batch — and a W-rank
run takes the steps a 1-rank run takes on the same global batches.
"""

import torch
import torch.nn.functional as F

MI_EPS = 1e-8


class BatchReducer:
    """Means over the tokens of the global batch. world = 1: the local batch is the batch."""

    def __init__(self, group=None):
        import torch.distributed as dist
        self.distributed = dist.is_available() and dist.is_initialized()
        self.group = group
        self.world = dist.get_world_size(group) if self.distributed else 1

    def all_sum(self, t):
        """Σ over ranks of a detached tensor."""
        if self.world == 1:
            return t.detach()
        import torch.distributed as dist
        out = t.detach().clone()
        dist.all_reduce(out, group=self.group)
        return out

    def mean_over_tokens(self, x):
        """mean over the global batch's tokens of x [T, N]: its value is the global mean; its gradient
        reaches only this rank's tokens, W times, which DDP's average over ranks divides back out."""
        local = x.sum(0)
        if self.world == 1:
            return local / x.shape[0]
        both = self.all_sum(torch.cat([local, local.new_tensor([x.shape[0]])]))
        total, count = both[:-1], both[-1]
        return (total + self.world * (local - local.detach())) / count


def mi_loss(scores, logits, reducer):
    cond = -(scores * logits.log_softmax(-1)).sum(-1).mean()
    p = reducer.mean_over_tokens(scores)
    marginal = -(p * (p + MI_EPS).log()).sum()
    return cond - marginal


def switch_loss(scores, mask, reducer):
    m = mask.to(scores.dtype)
    counts = reducer.all_sum(torch.cat([m.sum(0), m.sum().reshape(1)]))
    f = counts[:-1] / counts[-1].clamp(min=1)
    return (f * reducer.mean_over_tokens(scores)).sum() * scores.shape[-1]


def z_loss(logits):
    return logits.logsumexp(-1).square().mean()


def lm_loss(config, logits, targets, aux, reducer=None):
    """The objective and its parts (the parts summed over layers, before weighting), like dsmoe's LMLoss."""
    reducer = reducer or BatchReducer()
    c = config
    ce = F.cross_entropy(logits.reshape(-1, logits.shape[-1]), targets.reshape(-1))
    zero = ce.detach() * 0
    mi_attn = sum((mi_loss(s, l, reducer) for s, l in aux["attn"]), zero)
    mi_ffn = sum((mi_loss(s, l, reducer) for s, l, _ in aux["ffn"]), zero) if c.kind == "dsmoe" else zero
    balance = sum((switch_loss(s, m, reducer) for s, _, m in aux["ffn"]), zero) if c.kind == "smoe" else zero
    zl = sum((z_loss(l) for _, l, _ in aux["ffn"]), zero) if c.kind == "smoe" else zero
    loss = ce
    if c.kind == "dsmoe" and aux["ffn"] and c.alphaFfn > 0:
        loss = loss + c.alphaFfn * mi_ffn
    if aux["attn"] and c.alphaAttn > 0:
        loss = loss + c.alphaAttn * mi_attn
    if c.kind == "smoe" and c.balanceWeight > 0:
        loss = loss + c.balanceWeight * balance
    if c.kind == "smoe" and c.zLossWeight > 0:
        loss = loss + c.zLossWeight * zl
    return {"loss": loss, "ce": ce, "miAttn": mi_attn, "miFfn": mi_ffn, "balance": balance, "zLoss": zl}
