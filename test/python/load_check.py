"""Tries to load each file given with the PyTorch twin's checkpoint reader and
prints, per file, the version it read or the error it raised (type and message)."""

import json
import sys

from dsmoe_torch import load_checkpoint

results = {}
for path in sys.argv[1:]:
    try:
        loaded = load_checkpoint(path)
        results[path] = {"ok": True, "version": loaded.version, "kind": loaded.config.kind}
    except Exception as e:  # the test judges the type: every refusal must be a CheckpointError
        results[path] = {"ok": False, "type": type(e).__name__, "error": str(e)}
print(json.dumps(results))
