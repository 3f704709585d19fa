"""An independent safetensors reader and writer (json + struct + numpy only),
to prove that files written by dsmoe are read by other languages and back.

With the `safetensors` package and PyTorch installed, a dsmoe checkpoint
loads in the usual way:

    from safetensors.torch import load_file
    from safetensors import safe_open
    weights = load_file("model.safetensors")          # {name: torch.Tensor}
    with safe_open("model.safetensors", "pt") as f:
        meta = f.metadata()                          # {"config": "...json...", "tokenizer": "..."}

(dsmoe's Linear stores its weight as [in, out], the transpose of
torch.nn.Linear's [out, in]: use `weights[name].T` for a torch Linear.)

Usage:
    python3 safetensors_ref.py read FILE    -> JSON summary on stdout
    python3 safetensors_ref.py write FILE   -> writes a file with every common dtype
    python3 safetensors_ref.py f16 X1 X2 …  -> the float16 / bfloat16 bits numpy rounds Xi to
"""
import json
import struct
import sys

import numpy as np

DTYPES = {
    "F64": "<f8", "F32": "<f4", "F16": "<f2", "I64": "<i8", "I32": "<i4", "I16": "<i2",
    "I8": "i1", "U8": "u1", "U16": "<u2", "U32": "<u4", "U64": "<u8", "BOOL": "?",
}


def read(path):
    with open(path, "rb") as f:
        raw = f.read()
    (n,) = struct.unpack("<Q", raw[:8])
    header = json.loads(raw[8 : 8 + n].decode("utf-8"))
    assert (8 + n) % 8 == 0, "header not padded to 8 bytes"
    data = raw[8 + n :]
    out = {"metadata": header.pop("__metadata__", {}), "tensors": {}}
    for name, info in header.items():
        begin, end = info["data_offsets"]
        buf = data[begin:end]
        if info["dtype"] == "BF16":
            bits = np.frombuffer(buf, dtype="<u2").astype(np.uint32) << 16
            arr = bits.view(np.float32)
        else:
            arr = np.frombuffer(buf, dtype=DTYPES[info["dtype"]])
        arr = arr.reshape(info["shape"])
        out["tensors"][name] = {
            "dtype": info["dtype"],
            "shape": list(arr.shape),
            "values": arr.astype(np.float64).ravel().tolist(),
            "offset": begin,
        }
    json.dump(out, sys.stdout)


def write(path):
    bf16 = (np.array([1.5, -2.0, 3.140625], dtype=np.float32).view(np.uint32) >> 16).astype("<u2")
    tensors = {  # name order on purpose: 'a.u8' (1 byte) comes first, so later tensors start unaligned
        "a.u8": ("U8", np.array([1, 2, 3], dtype="u1")),
        "b.f32": ("F32", np.arange(6, dtype="<f4").reshape(2, 3) / 4),
        "c.f16": ("F16", np.array([0.5, -1.25, 65504.0, 6.1e-5], dtype="<f2")),
        "d.bf16": ("BF16", bf16),
        "e.i64": ("I64", np.array([-(2**40), 7], dtype="<i8")),
        "f.f64": ("F64", np.array([[np.pi]], dtype="<f8")),
        "g.bool": ("BOOL", np.array([True, False, True], dtype="?")),
        "h.empty": ("F32", np.zeros((0, 4), dtype="<f4")),
        "i.scalar": ("I32", np.array(-5, dtype="<i4")),
    }
    header, blobs, offset = {"__metadata__": {"format": "pt", "note": "written by numpy"}}, [], 0
    for name, (dtype, arr) in tensors.items():
        b = arr.tobytes()
        header[name] = {"dtype": dtype, "shape": list(arr.shape), "data_offsets": [offset, offset + len(b)]}
        blobs.append(b)
        offset += len(b)
    h = json.dumps(header).encode("utf-8")
    h += b" " * (-len(h) % 8)
    with open(path, "wb") as f:
        f.write(struct.pack("<Q", len(h)) + h + b"".join(blobs))


def half_bits(xs):
    a = np.array([float(x) for x in xs], dtype=np.float32)
    f16 = a.astype(np.float16).view(np.uint16).tolist()
    json.dump({"f16": f16}, sys.stdout)


if __name__ == "__main__":
    cmd = sys.argv[1]
    if cmd == "read":
        read(sys.argv[2])
    elif cmd == "write":
        write(sys.argv[2])
    elif cmd == "f16":
        half_bits(sys.argv[2:])
    else:
        raise ValueError(f"unknown command {cmd}")
