#!/usr/bin/env python3
"""The peer a user would write: numpy memmap, tensor by tensor, bf16 via uint16 views.
usage: numpy_peer.py gen DIR SEED MB | linear OUT BASE M1 M2 | ties OUT BASE M1 M2"""
import json, struct, sys
import numpy as np

def header(path):
    with open(path, "rb") as f:
        n = struct.unpack("<Q", f.read(8))[0]
        return json.loads(f.read(n)), 8 + n

def load(path):
    h, start = header(path)
    mm = np.memmap(path, dtype=np.uint8, mode="r")
    out = {}
    for k, v in h.items():
        if k == "__metadata__":
            continue
        b, e = v["data_offsets"]
        out[k] = (mm[start + b:start + e].view(np.uint16).reshape(v["shape"]), v)
    return out

def to_f32(u16):
    return (u16.astype(np.uint32) << 16).view(np.float32)

def to_bf16(f32):
    b = f32.view(np.uint32)
    return ((b + 0x7FFF + ((b >> 16) & 1)) >> 16).astype(np.uint16)

def save(path, tensors):
    hdr, off = {}, 0
    for k, a in tensors:
        hdr[k] = {"dtype": "BF16", "shape": list(a.shape), "data_offsets": [off, off + a.nbytes]}
        off += a.nbytes
    h = json.dumps(hdr).encode(); h += b" " * ((8 - len(h) % 8) % 8)
    with open(path, "wb") as f:
        f.write(struct.pack("<Q", len(h))); f.write(h)
        for _, a in tensors:
            f.write(a.tobytes())

def merge(kind, out, paths):
    ins = [load(p) for p in paths]
    hdr, off = {}, 0
    names = list(ins[0].keys())
    for k in names:
        shape = ins[0][k][1]["shape"]; n = int(np.prod(shape)) * 2
        hdr[k] = {"dtype": "BF16", "shape": shape, "data_offsets": [off, off + n]}; off += n
    h = json.dumps(hdr).encode(); h += b" " * ((8 - len(h) % 8) % 8)
    with open(out, "wb") as f:
        f.write(struct.pack("<Q", len(h))); f.write(h)
        for k in names:
            xs = [to_f32(m[k][0]) for m in ins]
            if kind == "linear":
                r = (xs[0] + xs[1] + xs[2]) / 3.0
            else:
                base = xs[0]; w = [1.0, 0.5]; dens = [0.5, 0.3]; ds = []
                for x, de in zip(xs[1:], dens):
                    d = x - base; a = np.abs(d).ravel(); kk = int(de * a.size)
                    thr = np.partition(a, a.size - kk)[a.size - kk]
                    ds.append(np.where(np.abs(d) >= thr, d, 0))
                wd = np.stack([wi * d for wi, d in zip(w, ds)])
                sign = np.where(wd.sum(0) >= 0, 1.0, -1.0).astype(np.float32)
                mask = np.sign(wd) == sign
                div = (np.array(w, dtype=np.float32).reshape(-1, *[1] * base.ndim) * mask).sum(0)
                div[div == 0] = 1
                r = base + (wd * mask).sum(0) / div
            f.write(to_bf16(r.astype(np.float32)).tobytes())

if __name__ == "__main__":
    cmd = sys.argv[1]
    if cmd == "gen":
        d, seed, mb = sys.argv[2], int(sys.argv[3]), int(sys.argv[4])
        rng = np.random.default_rng(seed)
        base = np.random.default_rng(0)
        per = 8 << 20  # 16 MB bf16 tensors
        ts = []
        for i in range(mb // 16):
            x = base.standard_normal(per, dtype=np.float32) * 0.02
            x += rng.standard_normal(per, dtype=np.float32) * 0.002 * (seed > 0)
            ts.append((f"model.layers.{i}.mlp.weight", to_bf16(x).reshape(4096, per // 4096)))
        import os; os.makedirs(d, exist_ok=True)
        save(d + "/model.safetensors", ts)
    else:
        merge(cmd, sys.argv[2], sys.argv[3:])
