"""Sparse-inference routing, dsmoe's src/moe/routing.ts rule for rule.

A mode is a dict as dsmoe writes it: {"mode": "dense"}, {"mode": "topK", "k": K},
{"mode": "threshold", "eps": E}, {"mode": "thresholdTopK", "eps": E} or {"mode": "topP", "p": P}.

Each token's experts are ranked by descending score, a lower index first among
equal scores; every mode keeps a prefix of that ranking and differs only in its
length:
  dense          N
  topK(K)        K
  threshold(ε)   the number of experts with N·S_e > ε (compared in float64, as
                 JavaScript numbers are), at least 1
  thresholdTopK  the batch's mean threshold count, rounded half up, in [1, N]
  topP(p)        the shortest prefix whose scores, summed in float64 in rank order,
                 reach p (0 < p ≤ 1); all N for p = 1 or when no prefix does
The gates are the scores themselves, never renormalised.
"""

import math

import torch


class ModeError(ValueError):
    """A mode dsmoe would refuse; the message names the bad value."""


def parse_mode(text):
    """'dense', 'topK:2', 'threshold:0.5', 'thresholdTopK:0.5', 'topP:0.9' (dsmoe's --modes syntax, names in any case) → a mode dict."""
    name, colon, arg = text.partition(":")
    name = name.lower()
    if name == "dense" and not colon:
        return {"mode": "dense"}
    try:
        if name == "topk" and int(arg) >= 1:
            return {"mode": "topK", "k": int(arg)}
        if name in ("threshold", "thresholdtopk") and math.isfinite(float(arg)) and float(arg) >= 0:
            return {"mode": "threshold" if name == "threshold" else "thresholdTopK", "eps": float(arg)}
        if name == "topp" and 0 < float(arg) <= 1:
            return {"mode": "topP", "p": float(arg)}
    except ValueError:
        pass
    raise ModeError(f"mode {text!r}: expected dense, topK:K, threshold:EPS, thresholdTopK:EPS or topP:P")


def mode_label(mode):
    m = mode["mode"]
    return m if m == "dense" else f"{m}:{mode['k'] if m == 'topK' else mode['p'] if m == 'topP' else mode['eps']}"


def check_mode(mode, n_experts):
    m = mode.get("mode")
    if m == "dense":
        return
    if m == "topK":
        k = mode.get("k")
        if not (isinstance(k, int) and 1 <= k <= n_experts):
            raise ModeError(f"topK: k={k} must be an integer in [1, {n_experts}] (the number of experts)")
        return
    if m in ("threshold", "thresholdTopK"):
        eps = mode.get("eps")
        if not (isinstance(eps, (int, float)) and math.isfinite(eps) and eps >= 0):
            raise ModeError(f"{m}: eps={eps} must be a finite number ≥ 0")
        return
    if m == "topP":
        p = mode.get("p")
        if not (isinstance(p, (int, float)) and not isinstance(p, bool) and 0 < p <= 1):
            raise ModeError(f"topP: p={p} must be a number in (0, 1]")
        return
    raise ModeError(f"unknown mode {mode!r} (expected dense, topK, threshold, thresholdTopK or topP)")


def rank(scores):
    """[T, N] → expert indices [T, N] by descending score, lower index first on ties (a stable sort)."""
    return torch.sort(scores, dim=-1, descending=True, stable=True).indices


def route(scores, mode):
    """The experts each token keeps: a bool mask [T, N], and K for topK / thresholdTopK (else None)."""
    t, n = scores.shape
    check_mode(mode, n)
    if not torch.isfinite(scores).all():
        bad = (~torch.isfinite(scores)).nonzero()[0].tolist()
        raise ValueError(f"route: router score {scores[bad[0], bad[1]].item()} for token {bad[0]}, expert {bad[1]} is not finite")
    order = rank(scores)
    k = None
    if mode["mode"] in ("threshold", "thresholdTopK"):
        ranked = scores.gather(1, order).double() * n
        counts = (ranked > mode["eps"]).sum(1).clamp(min=1)
        if mode["mode"] == "thresholdTopK":
            mean = counts.sum().item() / t if t else 1.0
            k = min(n, max(1, math.floor(mean + 0.5)))
            counts = torch.full((t,), k, dtype=torch.long, device=scores.device)
    elif mode["mode"] == "topP":
        counts = torch.full((t,), n, dtype=torch.long, device=scores.device)
        if mode["p"] < 1:
            # The first prefix whose float64 sum reaches p; none (rounding) keeps all N.
            mass = scores.gather(1, order).double().cumsum(1)
            reached = mass >= mode["p"]
            counts = torch.where(reached.any(1), reached.long().argmax(1) + 1, counts)
    elif mode["mode"] == "topK":
        k = mode["k"]
        counts = torch.full((t,), k, dtype=torch.long, device=scores.device)
    else:
        counts = torch.full((t,), n, dtype=torch.long, device=scores.device)
    kept_rank = torch.arange(n, device=scores.device).unsqueeze(0) < counts.unsqueeze(1)
    mask = torch.zeros(t, n, dtype=torch.bool, device=scores.device)
    mask.scatter_(1, order, kept_rank)
    return mask, k


def top_k_mask(scores, k):
    """The k best experts of each token (the SMoE baseline's training mask), ties as in route."""
    order = rank(scores)[:, :k]
    return torch.zeros_like(scores, dtype=torch.bool).scatter_(1, order, True)
