"""dsmoe_torch: dsmoe's language model in PyTorch, reading and writing dsmoe's
checkpoints as they are (docs/checkpoint-format.md, python/README.md)."""

from .checkpoint import CheckpointError, LM_FORMAT, LM_FORMAT_VERSION, load_checkpoint, save_checkpoint, state_dict_shapes
from .config import LMConfig, config_from_json
from .losses import BatchReducer, lm_loss
from .model import LanguageModel
from .routing import parse_mode, route

__all__ = [
    "CheckpointError", "LM_FORMAT", "LM_FORMAT_VERSION", "load_checkpoint", "save_checkpoint", "state_dict_shapes",
    "LMConfig", "config_from_json", "BatchReducer", "lm_loss", "LanguageModel", "parse_mode", "route",
]
