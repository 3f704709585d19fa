"""The language model's configuration: dsmoe's LMConfig (src/moe/lm-config.ts), read
from a checkpoint's `config` metadata and checked field by field the same way, so a
bad file fails here naming the field rather than as a shape error later."""

import json

MODEL_KINDS = ("dsmoe", "dense", "smoe")
POSITIONS = ("rotary", "learned")
NORM_KINDS = ("rms", "layer")
ACTIVATIONS = ("gelu", "relu", "silu")
ROUTER_KINDS = ("linear", "mlp")
GATE_SCALES = ("convex", "scaled")
MAX_SEQ_LEN = 8192

POSITIVE_INTS = ("vocabSize", "maxSeqLen", "dModel", "nLayers", "nHeads", "nKvHeads", "headDim", "attnExperts", "nExperts", "expertHidden", "routerHidden", "smoeTopK")
NON_NEGATIVE = ("alphaFfn", "alphaAttn", "balanceWeight", "zLossWeight", "dropout")
CHOICES = {"kind": MODEL_KINDS, "positions": POSITIONS, "norm": NORM_KINDS, "router": ROUTER_KINDS, "activation": ACTIVATIONS, "ffnGate": GATE_SCALES, "attnGate": GATE_SCALES}
FIELDS = POSITIVE_INTS + NON_NEGATIVE + tuple(CHOICES)


class ConfigError(ValueError):
    """A model config that dsmoe would refuse; the message names the field."""


class LMConfig:
    """The fields of dsmoe's LMConfig as attributes (camelCase, as in the file).

    `fields` keeps the JSON object as read (its order and any extra keys), so a
    checkpoint written back carries the config it was given."""

    def __init__(self, fields):
        self.fields = dict(fields)
        for k in FIELDS:
            setattr(self, k, self.fields[k])

    def to_json(self):
        return json.dumps(self.fields, separators=(",", ":"))

    @property
    def ffn_width(self):
        return self.nExperts * self.expertHidden


def config_from_json(value, where="model config"):
    """An LMConfig from a JSON string or object; every field present and valid."""
    if isinstance(value, str):
        try:
            value = json.loads(value)
        except json.JSONDecodeError as e:
            raise ConfigError(f"{where}: not valid JSON ({e})") from e
    if not isinstance(value, dict):
        raise ConfigError(f"{where}: expected a JSON object")
    c = dict(value)
    # Checkpoints written before the gate fields existed were trained with convex gates (as dsmoe reads them).
    for k in ("ffnGate", "attnGate"):
        c.setdefault(k, "convex")
    missing = [k for k in FIELDS if k not in c]
    if missing:
        raise ConfigError(f"{where}: missing fields {', '.join(missing)}")
    validate(c, where)
    return LMConfig(c)


def validate(c, where="model config"):
    for k, ok in CHOICES.items():
        if c[k] not in ok:
            raise ConfigError(f"{where}: {k} must be one of {', '.join(ok)}; got {c[k]!r}")
    for k in POSITIVE_INTS:
        if not (isinstance(c[k], int) and not isinstance(c[k], bool) and c[k] >= 1):
            raise ConfigError(f"{where}: {k} must be a positive integer, got {c[k]!r}")
    for k in NON_NEGATIVE:
        v = c[k]
        if not (isinstance(v, (int, float)) and not isinstance(v, bool) and v == v and v >= 0 and v != float("inf")):
            raise ConfigError(f"{where}: {k} must be a finite number ≥ 0, got {v!r}")
    if c["maxSeqLen"] > MAX_SEQ_LEN:
        raise ConfigError(f"{where}: maxSeqLen must be ≤ {MAX_SEQ_LEN}, got {c['maxSeqLen']}")
    if c["dropout"] >= 1:
        raise ConfigError(f"{where}: dropout must be < 1, got {c['dropout']}")
    if c["nHeads"] % c["nKvHeads"]:
        raise ConfigError(f"{where}: nKvHeads={c['nKvHeads']} must divide nHeads={c['nHeads']}")
    if c["nHeads"] % c["attnExperts"]:
        raise ConfigError(f"{where}: attnExperts={c['attnExperts']} must divide nHeads={c['nHeads']}")
    if c["positions"] == "rotary" and c["headDim"] % 2:
        raise ConfigError(f"{where}: rotary positions need an even headDim, got {c['headDim']}")
    if c["smoeTopK"] > c["nExperts"]:
        raise ConfigError(f"{where}: smoeTopK={c['smoeTopK']} exceeds nExperts={c['nExperts']}")
