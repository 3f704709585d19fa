"""dsmoe checkpoints ('dsmoe-lm' safetensors files, docs/checkpoint-format.md) in
and out of the PyTorch model, with no conversion step: the file's tensors are
the model's parameters, same names, same layout.

Reading checks, in order, each failure a CheckpointError naming the file and
the problem: a safetensors file at all; metadata format 'dsmoe-lm'; a format
version this reader knows (no `format_version` means 1, the files written
before the key existed, whose attention names are translated); a valid config
and a tokenizer; every tensor the config implies present, with its shape;
nothing else but an optimizer's moments; float and finite. Only then is the
model built, so a hostile config allocates nothing.
"""

import json
import math
import re

import torch

from . import safetensors_io
from .config import config_from_json
from .model import LanguageModel

LM_FORMAT = "dsmoe-lm"
# The newest version; a file is written as the oldest that holds its model: 3 when the config uses shared or
# zero-computation experts or the DTS gate, else 2 (dsmoe's checkpoint-names.ts). Names are alike in 2 and 3.
LM_FORMAT_VERSION = 3
FORMAT_VERSION_KEY = "format_version"
KNOWN_FORMAT_VERSIONS = (1, 2, 3)
OPTIMIZER_PREFIX = "optimizer."

# Version 1 named Dense's and SMoE's attention projections by their Linear layers' keys.
_V1_LINEAR_ATTENTION = re.compile(r"^(blocks\.\d+\.attn\.w[qkvo])\.weight$")


class CheckpointError(ValueError):
    """A file that is not a dsmoe checkpoint this reader can load; the message names the file and why."""


def format_version_of(metadata, where):
    raw = metadata.get(FORMAT_VERSION_KEY)
    if raw is None:
        return 1
    v = int(raw) if re.fullmatch(r"\d{1,9}", raw) else None
    if v not in KNOWN_FORMAT_VERSIONS:
        raise CheckpointError(f"{where}: unknown checkpoint format version {json.dumps(raw)} (this reader knows {' and '.join(map(str, KNOWN_FORMAT_VERSIONS))}; a newer dsmoe wrote it?)")
    return v


def current_names(tensors, version, where):
    """A file's tensors of format `version` under the current version's names."""
    if version >= 2:
        return dict(tensors)
    out, source = {}, {}
    for name, t in tensors.items():
        new = _V1_LINEAR_ATTENTION.sub(r"\1", name)
        if new in out:
            raise CheckpointError(f"{where}: checkpoint tensors {source[new]!r} and {name!r} are both {new!r} under format version {version}")
        out[new], source[new] = t, name
    return out


def tokenizer_vocab_size(text, where):
    """The number of ids of a dsmoe tokenizer (its JSON): 256 bytes, one id per BPE merge, then the specials."""
    try:
        t = json.loads(text)
    except json.JSONDecodeError as e:
        raise CheckpointError(f"{where}: metadata 'tokenizer' is not valid JSON ({e})") from e
    if not isinstance(t, dict) or t.get("format") != "dsmoe-tokenizer" or t.get("kind") not in ("byte", "bpe") or not isinstance(t.get("specials", []), list):
        raise CheckpointError(f"{where}: metadata 'tokenizer' is not a dsmoe tokenizer (format 'dsmoe-tokenizer', kind byte or bpe)")
    merges = t.get("merges", []) if t["kind"] == "bpe" else []
    if not isinstance(merges, list) or len(merges) % 2:
        raise CheckpointError(f"{where}: the BPE tokenizer's merges must be a list of id pairs")
    return 256 + len(merges) // 2 + len(t.get("specials", []))


def state_dict_shapes(c):
    """name → shape of every tensor a model of config c holds, in the file's names, without building it."""
    moe = c.kind != "dense"
    shared = c.sharedExperts * c.expertHidden if moe else 0
    d, width, q, kv = c.dModel, c.nExperts * c.expertHidden - shared, c.nHeads * c.headDim, c.nKvHeads * c.headDim
    shapes = {"embed.weight": [c.vocabSize, d]}
    if c.positions == "learned":
        shapes["pos.weight"] = [c.maxSeqLen, d]

    def norm(at):
        shapes[f"{at}.weight"] = [d]
        if c.norm == "layer":
            shapes[f"{at}.bias"] = [d]

    def router(at, n):
        if c.router == "linear":
            shapes[f"{at}.proj.weight"] = [d, n]
        else:
            shapes[f"{at}.proj.weight"] = [d, c.routerHidden]
            shapes[f"{at}.proj.bias"] = [c.routerHidden]
            shapes[f"{at}.out.weight"] = [c.routerHidden, n]

    for i in range(c.nLayers):
        p = f"blocks.{i}."
        norm(p + "norm1")
        norm(p + "norm2")
        shapes.update({p + "attn.wq": [d, q], p + "attn.wk": [d, kv], p + "attn.wv": [d, kv], p + "attn.wo": [q, d]})
        if c.kind == "dsmoe":
            router(p + "attn.router", c.attnExperts)
        shapes.update({p + "ffn.w1": [d, width], p + "ffn.b1": [width], p + "ffn.w2": [width, d], p + "ffn.b2": [d]})
        if moe:
            router(p + "ffn.router", c.router_experts)
            if shared:
                shapes.update({p + "ffn.shared.w1": [d, shared], p + "ffn.shared.b1": [shared], p + "ffn.shared.w2": [shared, d]})
            if c.zeroExperts.count("constant"):
                shapes[p + "ffn.constants"] = [c.zeroExperts.count("constant"), d]
    norm("normOut")
    return shapes


class Loaded:
    """What a checkpoint holds: the model (eval mode), its config, the tokenizer JSON string, the
    step, the whole metadata, and the tensors that are not the model's (an optimizer's moments)."""

    def __init__(self, model, metadata, step, extra, version):
        self.model = model
        self.config = model.config
        self.metadata = metadata
        self.tokenizer = metadata["tokenizer"]
        self.step = step
        self.extra = extra
        self.version = version


def load_checkpoint(path):
    where = str(path)
    try:
        tensors, metadata = safetensors_io.load(path)
    except safetensors_io.SafetensorsError as e:
        raise CheckpointError(str(e)) from e
    except OSError as e:
        raise CheckpointError(f"{where}: cannot read it ({e.strerror or e})") from e
    if metadata.get("format") != LM_FORMAT:
        raise CheckpointError(f"{where}: not a dsmoe language model (metadata format is {json.dumps(metadata.get('format'))}, expected '{LM_FORMAT}')")
    version = format_version_of(metadata, where)
    if "config" not in metadata:
        raise CheckpointError(f"{where}: metadata has no 'config'")
    if "tokenizer" not in metadata:
        raise CheckpointError(f"{where}: metadata has no 'tokenizer'")
    try:
        config = config_from_json(metadata["config"], f"{where}: model config")
    except ValueError as e:
        raise CheckpointError(str(e)) from e
    if version < 3 and config.uses_extensions:
        raise CheckpointError(f"{where}: format version {version} has no sharedExperts, zeroExperts or dts, but the config sets them (a version-3 file mislabelled?)")
    vocab = tokenizer_vocab_size(metadata["tokenizer"], where)
    if vocab != config.vocabSize:
        raise CheckpointError(f"{where}: the tokenizer has {vocab} ids but the model's vocabSize is {config.vocabSize}")
    step = metadata.get("step", "0")
    if not re.fullmatch(r"\d{1,15}", step):
        raise CheckpointError(f"{where}: metadata step {json.dumps(step)} is not a non-negative integer")
    named = current_names(tensors, version, where)
    state = _checked_state(where, config, named)
    extra = {k: t for k, t in named.items() if k not in state}
    model = LanguageModel(config)
    model.load_state_dict(state, strict=True)
    model.eval()
    model.set_trained_steps(int(step))
    return Loaded(model, metadata, int(step), extra, version)


def _checked_state(where, config, tensors):
    implied = state_dict_shapes(config)
    state = {}
    for name, shape in implied.items():
        t = tensors.get(name)
        if t is None:
            raise CheckpointError(f"{where}: tensor '{name}', which the config implies (kind {config.kind}, nLayers {config.nLayers}, {config.positions} positions, {config.norm} norm, {config.router} router), is not in the file")
        if list(t.shape) != shape:
            raise CheckpointError(f"{where}: tensor '{name}' is {list(t.shape)} in the file but the config implies {shape}")
        if not t.is_floating_point():
            raise CheckpointError(f"{where}: tensor '{name}' is {t.dtype}, not a float type")
        t = t.to(torch.float32)
        if not torch.isfinite(t).all():
            at = (~torch.isfinite(t)).flatten().nonzero()[0].item()
            raise CheckpointError(f"{where}: tensor '{name}' holds {t.flatten()[at].item()} at index {at}")
        state[name] = t
    unexpected = [k for k in tensors if k not in implied and not k.startswith(OPTIMIZER_PREFIX)]
    if unexpected:
        raise CheckpointError(f"{where}: tensors {', '.join(repr(k) for k in unexpected[:5])}{' …' if len(unexpected) > 5 else ''} are not part of a {config.kind} model with this config")
    return state


def save_checkpoint(path, model, metadata):
    """Writes model.safetensors-style file: the model's tensors (float32, the current names) and
    `metadata` (str → str; format, format_version and config are filled in)."""
    version = 3 if model.config.uses_extensions else 2
    meta = {"format": LM_FORMAT, FORMAT_VERSION_KEY: str(version), "config": model.config.to_json()}
    meta.update({k: v for k, v in metadata.items() if k not in meta})
    if "tokenizer" not in meta:
        raise ValueError("save_checkpoint: metadata needs the 'tokenizer' (JSON) the model's ids mean")
    state = {k: v.detach().to(torch.float32).cpu() for k, v in model.state_dict().items()}
    safetensors_io.save(path, state, meta)


def settings_json(**fields):
    """dsmoe's TrainSettings as the `settings` metadata: `dsmoe eval` reads seqLen and evalTokens from it."""
    keys = ("steps", "batchSize", "seqLen", "lr", "minLr", "warmup", "weightDecay", "clip", "evalEvery", "evalTokens", "checkpointEvery", "seed")
    missing = [k for k in keys if k not in fields]
    if missing:
        raise ValueError(f"settings_json: missing {', '.join(missing)}")
    for k in keys:
        if not (isinstance(fields[k], (int, float)) and math.isfinite(fields[k])):
            raise ValueError(f"settings_json: {k} must be a finite number, got {fields[k]!r}")
    return json.dumps({k: fields[k] for k in keys}, separators=(",", ":"))
