"""Token streams and batches.

The streams come from `dsmoe tokens` (a 'dsmoe-tokens' safetensors file: int32
tensors 'train' and 'val', the tokenizer and corpus options in the metadata), so
the twin trains and evaluates on exactly the tokens dsmoe's own train and eval see.
A window of S + 1 tokens gives S inputs and the S next tokens as targets.
"""

import json

import torch

from . import safetensors_io

TOKENS_FORMAT = "dsmoe-tokens"
TOKENS_FORMAT_VERSION = "1"


class TokensError(ValueError):
    """A tokens file this reader cannot use; the message names the file and why."""


class Tokens:
    def __init__(self, train, val, tokenizer, corpus):
        self.train = train
        self.val = val
        self.tokenizer = tokenizer
        self.corpus = corpus


def load_tokens(path):
    where = str(path)
    try:
        tensors, meta = safetensors_io.load(path)
    except safetensors_io.SafetensorsError as e:
        raise TokensError(str(e)) from e
    if meta.get("format") != TOKENS_FORMAT:
        raise TokensError(f"{where}: not a dsmoe token file (metadata format is {json.dumps(meta.get('format'))}, expected '{TOKENS_FORMAT}'; write one with dsmoe tokens)")
    if meta.get("format_version") != TOKENS_FORMAT_VERSION:
        raise TokensError(f"{where}: unknown token file version {json.dumps(meta.get('format_version'))} (this reader knows {TOKENS_FORMAT_VERSION})")
    for k in ("train", "val"):
        t = tensors.get(k)
        if t is None or t.dim() != 1 or t.dtype != torch.int32:
            raise TokensError(f"{where}: tensor '{k}' must be int32 [n], got {None if t is None else (t.dtype, list(t.shape))}")
    for k in ("tokenizer", "corpus"):
        if k not in meta:
            raise TokensError(f"{where}: metadata has no '{k}'")
    return Tokens(tensors["train"].long(), tensors["val"].long(), meta["tokenizer"], meta["corpus"])


def random_batch(tokens, batch_size, seq_len, generator):
    """`batch_size` windows at uniform random offsets: (inputs, targets), each [batch, seq]."""
    starts = tokens.numel() - seq_len
    if starts < 1:
        raise ValueError(f"a window of {seq_len + 1} tokens does not fit in {tokens.numel()} tokens: use a shorter seq-len or more text")
    at = torch.randint(0, starts, (batch_size,), generator=generator)
    rows = at.unsqueeze(1) + torch.arange(seq_len + 1)
    windows = tokens[rows]
    return windows[:, :-1], windows[:, 1:]


def sequential_batches(tokens, batch_size, seq_len):
    """dsmoe's evaluation walk: consecutive windows, `batch_size` full ones at a time, then the
    shorter tail window alone. Every token after the first is a target exactly once."""
    if tokens.numel() < 2:
        raise ValueError(f"evaluation needs at least 2 tokens, got {tokens.numel()}")
    full = (tokens.numel() - 1) // seq_len
    for w in range(0, full, batch_size):
        rows = min(batch_size, full - w)
        idx = (torch.arange(rows).unsqueeze(1) + w) * seq_len + torch.arange(seq_len + 1)
        windows = tokens[idx]
        yield windows[:, :-1], windows[:, 1:]
    tail = tokens.numel() - 1 - full * seq_len
    if tail > 0:
        windows = tokens[full * seq_len:].unsqueeze(0)
        yield windows[:, :-1], windows[:, 1:]
