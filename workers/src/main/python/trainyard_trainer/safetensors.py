"""The safetensors file format, written and read directly (the package is not always installable).

Layout: 8-byte little-endian header length N, N bytes of JSON header
``{name: {dtype, shape, data_offsets: [begin, end]}, "__metadata__": {str: str}}``, then the raw
little-endian tensor bytes, offsets relative to the end of the header.
"""

import json
import mmap
import struct

import numpy as np
import torch

_TO_CODE = {
    torch.float32: "F32", torch.float16: "F16", torch.bfloat16: "BF16", torch.float64: "F64",
    torch.int64: "I64", torch.int32: "I32", torch.int16: "I16", torch.int8: "I8",
    torch.uint8: "U8", torch.bool: "BOOL",
}
_FROM_CODE = {code: dtype for dtype, code in _TO_CODE.items()}


def _raw_bytes(t):
    t = t.detach().to("cpu").contiguous()
    if t.dtype == torch.bfloat16:
        # numpy has no bfloat16: reinterpret the same 2-byte words as int16.
        t = t.view(torch.int16)
    arr = t.numpy()
    if arr.dtype.byteorder == ">":
        arr = arr.byteswap().newbyteorder()
    return arr.tobytes()


def save_file(tensors, path, metadata=None):
    """Writes ``{name: tensor}``; names sorted so that equal tensors give byte-identical files."""
    header = {}
    blobs = []
    offset = 0
    for name in sorted(tensors):
        t = tensors[name]
        if t.dtype not in _TO_CODE:
            raise ValueError(f"{name}: dtype {t.dtype} cannot be stored in safetensors")
        data = _raw_bytes(t)
        header[name] = {"dtype": _TO_CODE[t.dtype], "shape": list(t.shape),
                        "data_offsets": [offset, offset + len(data)]}
        blobs.append(data)
        offset += len(data)
    if metadata:
        header["__metadata__"] = {str(k): str(v) for k, v in metadata.items()}
    encoded = json.dumps(header, separators=(",", ":")).encode("utf-8")
    encoded += b" " * (-len(encoded) % 8)  # align the data section to 8 bytes, as the reference writer does
    with open(path, "wb") as f:
        f.write(struct.pack("<Q", len(encoded)))
        f.write(encoded)
        for data in blobs:
            f.write(data)


def read_header(path):
    with open(path, "rb") as f:
        (n,) = struct.unpack("<Q", f.read(8))
        if n > 100_000_000:
            raise ValueError(f"{path}: header length {n} is not plausible; not a safetensors file")
        return json.loads(f.read(n).decode("utf-8")), 8 + n


def load_file(path):
    """Reads every tensor into memory (copied out of a memory map, so the file may be closed)."""
    header, start = read_header(path)
    header.pop("__metadata__", None)
    out = {}
    with open(path, "rb") as f, mmap.mmap(f.fileno(), 0, access=mmap.ACCESS_READ) as mm:
        for name, info in header.items():
            begin, end = info["data_offsets"]
            dtype = _FROM_CODE[info["dtype"]]
            buf = mm[start + begin:start + end]
            if dtype == torch.bfloat16:
                t = torch.from_numpy(np.frombuffer(buf, dtype="<i2").copy()).view(torch.bfloat16)
            elif dtype == torch.bool:
                t = torch.from_numpy(np.frombuffer(buf, dtype=np.uint8).copy()).bool()
            else:
                np_dtype = torch.empty(0, dtype=dtype).numpy().dtype.newbyteorder("<")
                t = torch.from_numpy(np.frombuffer(buf, dtype=np_dtype).astype(np_dtype.newbyteorder("=")))
            out[name] = t.reshape(info["shape"])
    return out


def metadata(path):
    header, _ = read_header(path)
    return header.get("__metadata__", {})
