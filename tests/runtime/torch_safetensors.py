"""PyTorch side of kiln's safetensors interop test (tests/runtime/checkpoint_test.cpp).

Uses only json + struct + torch, as the safetensors package is not installed here.
  write PATH  writes tensors kiln must read (tensor order differs from name order)
  read PATH   reads a file kiln wrote and checks its values; exit status 0 when they match
"""
import json
import struct
import sys

import torch

DTYPES = {"F32": torch.float32, "F64": torch.float64, "I32": torch.int32,
          "I64": torch.int64, "U8": torch.uint8}
NAMES = {v: k for k, v in DTYPES.items()}


def write(path):
    tensors = {
        "layer1.weight": torch.arange(6, dtype=torch.float32).reshape(2, 3) / 4 - 0.5,
        "layer1.bias": torch.tensor([1.5, -2.25], dtype=torch.float64),
        "step": torch.tensor([7, -3], dtype=torch.int64),
    }
    header, blobs, offset = {"__metadata__": {"format": "pt"}}, [], 0
    for name, t in tensors.items():
        raw = t.contiguous().numpy().tobytes()
        header[name] = {"dtype": NAMES[t.dtype], "shape": list(t.shape),
                        "data_offsets": [offset, offset + len(raw)]}
        blobs.append(raw)
        offset += len(raw)
    text = json.dumps(header).encode()
    text += b" " * (-len(text) % 8)
    with open(path, "wb") as f:
        f.write(struct.pack("<Q", len(text)) + text + b"".join(blobs))


def read(path):
    with open(path, "rb") as f:
        data = f.read()
    (n,) = struct.unpack("<Q", data[:8])
    header = json.loads(data[8:8 + n])
    body = data[8 + n:]
    got = {}
    for name, info in header.items():
        if name == "__metadata__":
            continue
        begin, end = info["data_offsets"]
        got[name] = torch.frombuffer(bytearray(body[begin:end]),
                                     dtype=DTYPES[info["dtype"]]).reshape(info["shape"])
    want = {
        "w": torch.arange(12, dtype=torch.float32).reshape(3, 4) * 0.5 - 1,
        "b": torch.tensor([-1, 0, 1], dtype=torch.int32),
    }
    ok = set(got) == set(want) and all(
        got[k].dtype == want[k].dtype and torch.equal(got[k], want[k]) for k in want)
    ok = ok and header.get("__metadata__") == {"source": "kiln"}
    if not ok:
        print("mismatch:", header, got)
    return 0 if ok else 1


if __name__ == "__main__":
    mode, path = sys.argv[1], sys.argv[2]
    sys.exit(write(path) if mode == "write" else read(path))
