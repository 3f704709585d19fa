"""safetensors files in and out, as torch tensors.

The format (https://github.com/huggingface/safetensors): an 8-byte
little-endian header length N, N bytes of JSON (each tensor's dtype, shape
and [begin, end) byte range in the data that follows, plus an optional
"__metadata__" object of strings), then the tensors' bytes, little-endian,
row-major.

The official `safetensors` package is used when it is installed; otherwise
(Debian has no package of it) this module's own reader and writer do the
same work with json, struct and numpy. DSMOE_TORCH_SAFETENSORS=own forces
the reader here, =package the official one.

Every check a hostile file could defeat comes before an allocation the file
drives: the header length against the file's size, each tensor's byte range
against the data section and against its dtype and shape.
"""

import json
import os
import struct

import numpy as np
import torch

MAX_HEADER_BYTES = 100_000_000
METADATA_KEY = "__metadata__"

# dtype → (numpy dtype of the file's bytes, torch dtype loaded)
_DTYPES = {
    "F64": ("<f8", torch.float64),
    "F32": ("<f4", torch.float32),
    "F16": ("<f2", torch.float16),
    "BF16": ("<u2", torch.bfloat16),
    "I64": ("<i8", torch.int64),
    "I32": ("<i4", torch.int32),
    "I16": ("<i2", torch.int16),
    "I8": ("i1", torch.int8),
    "U8": ("u1", torch.uint8),
    "BOOL": ("u1", torch.bool),
}
_TORCH_TO_FILE = {torch.float64: "F64", torch.float32: "F32", torch.float16: "F16", torch.int64: "I64", torch.int32: "I32", torch.int16: "I16", torch.int8: "I8", torch.uint8: "U8", torch.bool: "BOOL"}


class SafetensorsError(ValueError):
    """A file that is not a well-formed safetensors file; the message names the file and what is wrong."""


def _which():
    choice = os.environ.get("DSMOE_TORCH_SAFETENSORS", "auto")
    if choice not in ("auto", "own", "package"):
        raise ValueError(f"DSMOE_TORCH_SAFETENSORS must be auto, own or package, got {choice!r}")
    if choice == "own":
        return "own"
    try:
        import safetensors.torch  # noqa: F401
        return "package"
    except ImportError:
        if choice == "package":
            raise
        return "own"


def load(path):
    """(tensors: dict name → torch.Tensor, metadata: dict str → str) of the file at `path`."""
    if _which() == "package":
        return _load_package(path)
    with open(path, "rb") as f:
        data = f.read()
    return decode(data, str(path))


def save(path, tensors, metadata):
    """Writes `tensors` (name → torch.Tensor) and `metadata` (str → str) to `path` atomically."""
    for k, v in metadata.items():
        if not isinstance(k, str) or not isinstance(v, str):
            raise TypeError(f"safetensors metadata must map strings to strings; {k!r} → {type(v).__name__}")
    data = encode(tensors, metadata)
    tmp = f"{path}.{os.getpid()}.tmp"
    with open(tmp, "wb") as f:
        f.write(data)
        f.flush()
        os.fsync(f.fileno())
    os.replace(tmp, path)


def _load_package(path):
    from safetensors import safe_open
    try:
        with safe_open(str(path), framework="pt") as f:
            metadata = dict(f.metadata() or {})
            tensors = {k: f.get_tensor(k) for k in f.keys()}
    except Exception as e:  # the package's own error types differ by version
        raise SafetensorsError(f"{path}: not a readable safetensors file ({e})") from e
    return tensors, metadata


def decode(data, where="safetensors"):
    if len(data) < 8:
        raise SafetensorsError(f"{where}: not a safetensors file: {len(data)} bytes, shorter than the 8-byte header length")
    (n,) = struct.unpack("<Q", data[:8])
    if n > MAX_HEADER_BYTES:
        raise SafetensorsError(f"{where}: not a safetensors file: header length {n} at offset 0 is over the {MAX_HEADER_BYTES}-byte limit")
    if 8 + n > len(data):
        raise SafetensorsError(f"{where}: not a safetensors file: header length {n} at offset 0 runs past the file's {len(data)} bytes")
    try:
        header = json.loads(data[8:8 + n].decode("utf-8"))
    except (UnicodeDecodeError, json.JSONDecodeError) as e:
        raise SafetensorsError(f"{where}: not a safetensors file: the header (offsets 8–{8 + n}) is not JSON ({e})") from e
    if not isinstance(header, dict):
        raise SafetensorsError(f"{where}: not a safetensors file: the header is not a JSON object")
    metadata = header.pop(METADATA_KEY, {}) or {}
    if not isinstance(metadata, dict) or not all(isinstance(k, str) and isinstance(v, str) for k, v in metadata.items()):
        raise SafetensorsError(f"{where}: {METADATA_KEY} must map strings to strings")
    body = memoryview(data)[8 + n:]
    tensors = {}
    for name, entry in header.items():
        tensors[name] = _tensor(where, name, entry, body, 8 + n)
    return tensors, dict(metadata)


def _tensor(where, name, entry, body, base):
    if not isinstance(entry, dict) or entry.get("dtype") not in _DTYPES:
        raise SafetensorsError(f"{where}: tensor {name!r} has dtype {entry.get('dtype') if isinstance(entry, dict) else entry!r}, not one of {', '.join(_DTYPES)}")
    shape = entry.get("shape")
    offsets = entry.get("data_offsets")
    if not (isinstance(shape, list) and all(isinstance(d, int) and d >= 0 for d in shape)):
        raise SafetensorsError(f"{where}: tensor {name!r} has shape {shape!r}, not a list of non-negative integers")
    if not (isinstance(offsets, list) and len(offsets) == 2 and all(isinstance(o, int) for o in offsets) and 0 <= offsets[0] <= offsets[1] <= len(body)):
        raise SafetensorsError(f"{where}: tensor {name!r} has data_offsets {offsets!r} outside the data section (file offsets {base}–{base + len(body)})")
    np_dtype, torch_dtype = _DTYPES[entry["dtype"]]
    itemsize = np.dtype(np_dtype).itemsize
    count = 1
    for d in shape:
        count *= d
    begin, end = offsets
    if (end - begin) != count * itemsize:
        raise SafetensorsError(f"{where}: tensor {name!r} is {entry['dtype']} {shape}, {count * itemsize} bytes, but its data_offsets span {end - begin} bytes (file offsets {base + begin}–{base + end})")
    arr = np.frombuffer(body[begin:end], dtype=np_dtype).copy().reshape(shape)
    if entry["dtype"] == "BF16":
        return torch.from_numpy((arr.astype(np.uint32) << 16).view(np.float32)).to(torch.bfloat16)
    if entry["dtype"] == "BOOL":
        return torch.from_numpy(arr != 0)
    return torch.from_numpy(arr)


def encode(tensors, metadata):
    header = {}
    if metadata:
        header[METADATA_KEY] = dict(metadata)
    chunks = []
    offset = 0
    for name in sorted(tensors):
        t = tensors[name].detach().cpu().contiguous()
        if t.dtype not in _TORCH_TO_FILE:
            raise TypeError(f"safetensors: tensor {name!r} has dtype {t.dtype}, which this writer does not store")
        raw = t.numpy().astype(_DTYPES[_TORCH_TO_FILE[t.dtype]][0], copy=False).tobytes()
        header[name] = {"dtype": _TORCH_TO_FILE[t.dtype], "shape": list(t.shape), "data_offsets": [offset, offset + len(raw)]}
        chunks.append(raw)
        offset += len(raw)
    text = json.dumps(header, separators=(",", ":")).encode("utf-8")
    text += b" " * (-len(text) % 8)  # the data section starts 8-aligned, as the official writer does
    return struct.pack("<Q", len(text)) + text + b"".join(chunks)
