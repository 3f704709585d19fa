"""The language model's configuration: dsmoe's LMConfig (src/moe/lm-config.ts), read
from a checkpoint's `config` metadata and checked field by field the same way, so a
bad file fails here naming the field rather than as a shape error later."""

import json
import math

MODEL_KINDS = ("dsmoe", "dense", "smoe")
POSITIONS = ("rotary", "learned")
NORM_KINDS = ("rms", "layer")
ACTIVATIONS = ("gelu", "relu", "silu")
ROUTER_KINDS = ("linear", "mlp")
GATE_SCALES = ("convex", "scaled")
ZERO_EXPERT_KINDS = ("zero", "copy", "constant")
MAX_SEQ_LEN = 8192

POSITIVE_INTS = ("vocabSize", "maxSeqLen", "dModel", "nLayers", "nHeads", "nKvHeads", "headDim", "attnExperts", "nExperts", "expertHidden", "routerHidden", "smoeTopK")
NON_NEGATIVE = ("alphaFfn", "alphaAttn", "balanceWeight", "zLossWeight", "dropout")
CHOICES = {"kind": MODEL_KINDS, "positions": POSITIONS, "norm": NORM_KINDS, "router": ROUTER_KINDS, "activation": ACTIVATIONS, "ffnGate": GATE_SCALES, "attnGate": GATE_SCALES}
EXTENSIONS = ("sharedExperts", "zeroExperts", "dts")
FIELDS = POSITIVE_INTS + NON_NEGATIVE + tuple(CHOICES) + EXTENSIONS
# What a config written before the field existed means (dsmoe's configFromJSON fills in the same).
ABSENT = {"ffnGate": "convex", "attnGate": "convex", "sharedExperts": 0, "zeroExperts": [], "dts": None}


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

    @property
    def router_experts(self):
        """What the FFN router chooses among: the routed FFN experts, then the zero-computation ones."""
        return router_experts(self.fields)

    @property
    def uses_extensions(self):
        return uses_extensions(self.fields)


def router_experts(c):
    return c["nExperts"] - c["sharedExperts"] + len(c["zeroExperts"])


def uses_extensions(c):
    """Shared or zero-computation experts, or the DTS gate: checkpoint format version 3."""
    return c["sharedExperts"] > 0 or len(c["zeroExperts"]) > 0 or c["dts"] is not None


def dts_temperature(dts, step):
    """The DTS gate's temperature after `step` steps (dsmoe's dts-gate.ts): τ₀ until `from`, τ₁ from `to`,
    geometric between."""
    if step >= dts["to"]:
        return dts["tauEnd"]
    if step <= dts["from"]:
        return dts["tauStart"]
    return dts["tauStart"] * (dts["tauEnd"] / dts["tauStart"]) ** ((step - dts["from"]) / (dts["to"] - dts["from"]))


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
    # Checkpoints written before the gate fields existed were trained with convex gates, those before the
    # routing extensions had none (as dsmoe reads them).
    for k, v in ABSENT.items():
        c.setdefault(k, v)
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
    shared = c["sharedExperts"]
    if not (isinstance(shared, int) and not isinstance(shared, bool) and shared >= 0):
        raise ConfigError(f"{where}: sharedExperts must be an integer ≥ 0, got {shared!r}")
    if shared >= c["nExperts"]:
        raise ConfigError(f"{where}: sharedExperts={shared} must be less than nExperts={c['nExperts']} (at least one routed expert)")
    kinds = c["zeroExperts"]
    if not isinstance(kinds, list):
        raise ConfigError(f"{where}: zeroExperts must be a list of {', '.join(ZERO_EXPERT_KINDS)}; got {kinds!r}")
    for i, k in enumerate(kinds):
        if k not in ZERO_EXPERT_KINDS:
            raise ConfigError(f"{where}: zeroExperts[{i}]: unknown zero-computation expert {k!r} (known: {', '.join(ZERO_EXPERT_KINDS)})")
    if c["dts"] is not None:
        check_dts(c["dts"], f"{where}: dts")
    if c["smoeTopK"] > router_experts(c):
        raise ConfigError(f"{where}: smoeTopK={c['smoeTopK']} exceeds the FFN router's {router_experts(c)} choices")


def check_dts(d, where):
    if not isinstance(d, dict):
        raise ConfigError(f"{where} must be an object {{tauStart, tauEnd, from, to}} or null, got {d!r}")
    extra = [k for k in d if k not in ("tauStart", "tauEnd", "from", "to")]
    if extra:
        raise ConfigError(f"{where}: unknown field {', '.join(repr(k) for k in extra)} (expected tauStart, tauEnd, from, to)")
    for k in ("tauStart", "tauEnd"):
        v = d.get(k)
        if not (isinstance(v, (int, float)) and not isinstance(v, bool) and math.isfinite(v) and v > 0):
            raise ConfigError(f"{where}.{k} must be a finite number > 0, got {v!r}")
    for k in ("from", "to"):
        v = d.get(k)
        if not (isinstance(v, int) and not isinstance(v, bool) and v >= 0):
            raise ConfigError(f"{where}.{k} must be an integer ≥ 0, got {v!r}")
    if d["to"] < d["from"]:
        raise ConfigError(f"{where}: the schedule ends (to={d['to']}) before it starts (from={d['from']})")
