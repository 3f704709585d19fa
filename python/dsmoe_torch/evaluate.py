"""Validation perplexity in an inference mode, computed as `dsmoe eval` computes it:
the first max_tokens + 1 tokens of the validation stream, walked in dsmoe's
windows and batches (thresholdTopK's K is a per-batch mean, so the batches must
be the same), the summed cross-entropy of each batch in float32, accumulated in
float64, divided by the number of targets."""

import math

import torch
import torch.nn.functional as F

from .data import sequential_batches


@torch.no_grad()
def evaluate(model, val, mode, batch_size, seq_len, max_tokens, attention=None, device="cpu"):
    model.eval()
    stream = val[: min(val.numel(), max_tokens + 1)]
    nats, count = 0.0, 0
    for inputs, targets in sequential_batches(stream, batch_size, seq_len):
        logits, _ = model.infer(inputs.to(device), mode, attention)
        nats += F.cross_entropy(logits.reshape(-1, logits.shape[-1]), targets.to(device).reshape(-1), reduction="sum").item()
        count += targets.numel()
    loss = nats / max(count, 1)
    return {"loss": loss, "perplexity": math.exp(loss), "tokens": count}
