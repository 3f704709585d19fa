"""For each case folder (test/python/fixtures.ts wrote them): load model.safetensors
into the PyTorch twin, run every inference mode and one training step on the batch
dsmoe used, and report how far the twin's answers are from dsmoe's
(expected.safetensors). Prints one JSON object; the vitest file judges it."""

import json
import sys

import torch

from dsmoe_torch import CheckpointError, load_checkpoint, lm_loss
from dsmoe_torch.safetensors_io import load

torch.set_num_threads(1)


def check(folder):
    loaded = load_checkpoint(f"{folder}/model.safetensors")
    model = loaded.model
    expected, meta = load(f"{folder}/expected.safetensors")
    ids, targets = expected["ids"].long(), expected["targets"].long()
    report = {"version": loaded.version, "logits": [], "routed": [], "routedDsmoe": json.loads(meta["routed"])}
    for i, opts in enumerate(json.loads(meta["modes"])):
        logits, layers = model.infer(ids, opts["mode"], opts.get("attention"))
        report["logits"].append((logits - expected[f"logits.{i}"]).abs().max().item())
        report["routed"].append([int(l["ffn"].sum()) if l["ffn"] is not None else None for l in layers])
    try:
        old = load_checkpoint(f"{folder}/model-v1.safetensors")
        report["v1"] = {"version": old.version, "logits": (old.model.infer(ids, {"mode": "dense"})[0] - expected["logits.0"]).abs().max().item()}
    except CheckpointError as e:
        # A model with the routing extensions has no version-1 form: the reader must say so.
        report["v1"] = {"refused": str(e)}
    for m in model.modules():
        if isinstance(m, torch.nn.Dropout):
            m.p = 0.0
    model.train()
    logits, aux = model(ids)
    parts = lm_loss(model.config, logits, targets, aux)
    parts["loss"].backward()
    want = json.loads(meta["loss"])
    report["loss"] = {k: [want[k], v.item()] for k, v in parts.items()}
    grads = {}
    for name, p in model.named_parameters():
        g = expected[f"grad.{name}"]
        grads[name] = [(p.grad - g).abs().max().item(), g.abs().max().item()]
    report["grads"] = grads
    return report


if __name__ == "__main__":
    print(json.dumps({folder.rsplit("/", 1)[-1]: check(folder) for folder in sys.argv[1:]}))
