"""A team's own trainer, as Trainyard's `command` steps run it: plain PyTorch, not trainyard_trainer.

It fits a tiny two-layer network to a fixed regression task with full-batch SGD (deterministic, so a
resumed run ends bitwise equal to an uninterrupted one) and follows the bring-your-own-trainer
contract (docs/byot.md):
  - every --save-every steps it writes $TRAINYARD_CHECKPOINTS/checkpoint-<step>/ in the Hugging Face
    layout (config.json + model.safetensors) plus trainer_state.json, under a temp name renamed when
    complete, as the Hugging Face Trainer does;
  - when $TRAINYARD_RESUME_FROM is set it continues from that checkpoint;
  - the final model goes to $TRAINYARD_OUTPUT in the same layout.
--crash-after N exits 1 on the first attempt once checkpoint-N is written (leaving a half-written
checkpoint-(N+1) behind, as a trainer killed mid-save would); --only-config writes config.json alone.
The safetensors files are written by hand (8-byte header length, JSON header, raw little-endian bytes).
"""
import argparse
import json
import os
import shutil
import struct
import sys

import torch

CONFIG = {"architectures": ["TinyRegressor"], "model_type": "tiny-regressor", "hidden_size": 8,
          "in_features": 4, "torch_dtype": "float32"}


def save_safetensors(tensors, path):
    header, blobs, offset = {}, [], 0
    for name, tensor in tensors.items():
        data = tensor.detach().to(torch.float32).contiguous().numpy().tobytes()
        header[name] = {"dtype": "F32", "shape": list(tensor.shape), "data_offsets": [offset, offset + len(data)]}
        blobs.append(data)
        offset += len(data)
    text = json.dumps(header, separators=(",", ":")).encode()
    text += b" " * (-len(text) % 8)
    with open(path, "wb") as f:
        f.write(struct.pack("<Q", len(text)))
        f.write(text)
        for blob in blobs:
            f.write(blob)


def load_safetensors(path):
    with open(path, "rb") as f:
        raw = f.read()
    (length,) = struct.unpack("<Q", raw[:8])
    header = json.loads(raw[8:8 + length])
    data = raw[8 + length:]
    out = {}
    for name, info in header.items():
        if name == "__metadata__":
            continue
        begin, end = info["data_offsets"]
        out[name] = torch.frombuffer(bytearray(data[begin:end]), dtype=torch.float32).reshape(info["shape"])
    return out


def save_pretrained(model, directory, step=None):
    os.makedirs(directory, exist_ok=True)
    with open(os.path.join(directory, "config.json"), "w") as f:
        json.dump(CONFIG, f, indent=2, sort_keys=True)
    save_safetensors(model.state_dict(), os.path.join(directory, "model.safetensors"))
    if step is not None:
        with open(os.path.join(directory, "trainer_state.json"), "w") as f:
            json.dump({"global_step": step}, f)


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--steps", type=int, default=4)
    parser.add_argument("--save-every", type=int, default=1)
    parser.add_argument("--crash-after", type=int, default=0)
    parser.add_argument("--only-config", action="store_true")
    args = parser.parse_args()
    output = os.environ["TRAINYARD_OUTPUT"]
    checkpoints = os.environ["TRAINYARD_CHECKPOINTS"]
    attempt = int(os.environ.get("TRAINYARD_ATTEMPT", "1"))
    if args.only_config:
        with open(os.path.join(output, "config.json"), "w") as f:
            json.dump(CONFIG, f)
        return 0

    torch.manual_seed(0)
    model = torch.nn.Sequential(torch.nn.Linear(4, 8), torch.nn.Tanh(), torch.nn.Linear(8, 1))
    x = torch.linspace(-1, 1, 64).reshape(16, 4)
    y = x.sum(dim=1, keepdim=True) ** 2
    optimizer = torch.optim.SGD(model.parameters(), lr=0.05)

    start = 0
    resume = os.environ.get("TRAINYARD_RESUME_FROM")
    if resume:
        model.load_state_dict(load_safetensors(os.path.join(resume, "model.safetensors")))
        with open(os.path.join(resume, "trainer_state.json")) as f:
            start = json.load(f)["global_step"]
        print(f"train_tiny: resumed from {resume} at step {start}", flush=True)

    metrics = open(os.environ["TRAINYARD_METRICS"], "a")
    for step in range(start + 1, args.steps + 1):
        optimizer.zero_grad()
        loss = torch.nn.functional.mse_loss(model(x), y)
        loss.backward()
        optimizer.step()
        metrics.write(json.dumps({"step": step, "loss": loss.item()}) + "\n")
        metrics.flush()
        if step % args.save_every == 0 and step < args.steps:
            final = os.path.join(checkpoints, f"checkpoint-{step}")
            temp = os.path.join(checkpoints, f"tmp-checkpoint-{step}")
            save_pretrained(model, temp, step)
            shutil.rmtree(final, ignore_errors=True)  # a half-written one of an earlier try
            os.rename(temp, final)
        if attempt == 1 and args.crash_after and step == args.crash_after:
            # Killed while saving the next one: config.json written, weights not yet.
            half = os.path.join(checkpoints, f"checkpoint-{step + 1}")
            os.makedirs(half)
            with open(os.path.join(half, "config.json"), "w") as f:
                json.dump(CONFIG, f)
            print(f"train_tiny: simulated crash after checkpoint-{step}", flush=True)
            return 1
    save_pretrained(model, output)
    print(f"train_tiny: wrote {output} after step {args.steps}", flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
