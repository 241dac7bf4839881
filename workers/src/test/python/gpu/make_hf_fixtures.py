"""Parity fixtures made with Hugging Face transformers' own classes, for a host that has transformers (the
GPU host; everything runs on its CPU in float32, so the numbers do not depend on GPU kernels).

    python3 workers/src/test/python/gpu/make_hf_fixtures.py make  [--out workers/src/test/resources/hf-fixtures]
    python3 workers/src/test/python/gpu/make_hf_fixtures.py check [--fixtures DIR] [--work /tmp/hf-check]

``make``: per family, a tiny random model (2 layers, hidden 64, vocabulary 1024, a fixed seed) built with
LlamaForCausalLM / Qwen2ForCausalLM / Qwen3ForCausalLM / MistralForCausalLM / MixtralForCausalLM, with the
family's distinctive features set (qwen2: q/k/v biases, tied embeddings, yarn; qwen3: q/k norms, head_dim
32 != 64/4, tied; llama: llama3 RoPE scaling; mistral: one KV head, head_dim 24, linear scaling; mixtral:
4 experts, top 2, a router with unit-normal weights). Biases and norm weights are
randomised too, so a tensor the trainer reads wrongly shows. Written as

    <out>/<family>/checkpoint/   save_pretrained's hub layout (config.json, *.safetensors; qwen2 sharded
                                 with model.safetensors.index.json)
    <out>/<family>/logits.safetensors   {"input_ids": [2, 16] int64, "logits": [2, 16, 1024] float32}
    <out>/<family>/fixture.json         versions, seeds, what was set

(test_hf_parity.py loads them in the trainer and compares logits, max abs error <= 1e-4.)

``check``: the other direction. Per family, the trainer loads the fixture, takes a few optimizer steps,
writes its checkpoint (float32, and bf16), and transformers' AutoModelForCausalLM loads what the trainer
wrote (float32 weights, and bf16 weights both sides upcast to float32); the logits must agree within 1e-4.
Exits 1 if any family fails.
"""

import argparse
import json
import os
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "..", "..", "main", "python"))

import torch  # noqa: E402
import transformers  # noqa: E402

from trainyard_trainer import checkpoint, safetensors  # noqa: E402

VOCAB, SEQ = 1024, 16
COMMON = dict(vocab_size=VOCAB, hidden_size=64, intermediate_size=128, num_hidden_layers=2, num_attention_heads=4,
              num_key_value_heads=2, max_position_embeddings=64, rms_norm_eps=1e-6, bos_token_id=1, eos_token_id=2)
FAMILIES = {
    "llama": (transformers.LlamaConfig, "LlamaForCausalLM", 11,
              dict(rope_theta=500000.0, rope_scaling={"rope_type": "llama3", "factor": 8.0, "low_freq_factor": 1.0,
                                                      "high_freq_factor": 4.0,
                                                      "original_max_position_embeddings": 32})),
    "qwen2": (transformers.Qwen2Config, "Qwen2ForCausalLM", 12,
              dict(rope_theta=1000000.0, tie_word_embeddings=True, use_sliding_window=False,
                   rope_scaling={"rope_type": "yarn", "factor": 4.0})),
    "qwen3": (getattr(transformers, "Qwen3Config", None), "Qwen3ForCausalLM", 13,
              dict(head_dim=32, rope_theta=1000000.0, tie_word_embeddings=True, use_sliding_window=False)),
    "mistral": (transformers.MistralConfig, "MistralForCausalLM", 14,
                dict(num_key_value_heads=1, head_dim=24, sliding_window=4096, rope_theta=1000000.0,
                     rope_scaling={"rope_type": "linear", "factor": 2.0})),
    # 4 experts, top 2, written in the hub layout (per-expert w1/w2/w3) whatever transformers holds in memory
    "mixtral": (getattr(transformers, "MixtralConfig", None), "MixtralForCausalLM", 15,
                dict(num_local_experts=4, num_experts_per_tok=2, sliding_window=None, rope_theta=1000000.0,
                     router_aux_loss_coef=0.02)),
}
SHARDED = {"qwen2": "300KB"}


def batch():
    return torch.randint(0, VOCAB, (2, SEQ), generator=torch.Generator().manual_seed(1234))


def hf_logits(model, ids):
    model.eval()
    with torch.no_grad():
        return model(input_ids=ids).logits.float()


def make(out):
    for family, (config_class, arch, seed, distinct) in FAMILIES.items():
        if config_class is None:
            print(f"{family}: transformers {transformers.__version__} has no class for it; skipped")
            continue
        config = config_class(**dict(COMMON, **distinct))
        config._attn_implementation = "eager"
        torch.manual_seed(seed)
        model = getattr(transformers, arch)(config).float()
        g = torch.Generator().manual_seed(seed)
        with torch.no_grad():
            for name, p in model.named_parameters():
                if name.endswith(".bias"):
                    p.copy_(0.1 * torch.randn(p.shape, generator=g))
                elif "norm" in name:
                    p.copy_(1.0 + 0.1 * torch.randn(p.shape, generator=g))
                elif name.endswith("block_sparse_moe.gate.weight"):  # a router far from uniform
                    p.copy_(torch.randn(p.shape, generator=g))
        target = os.path.join(out, family)
        ckpt = os.path.join(target, "checkpoint")
        os.makedirs(ckpt, exist_ok=True)
        model.save_pretrained(ckpt, safe_serialization=True, max_shard_size=SHARDED.get(family, "10GB"))
        ids = batch()
        logits = hf_logits(model, ids)
        safetensors.save_file({"input_ids": ids, "logits": logits.contiguous()},
                              os.path.join(target, "logits.safetensors"))
        with open(os.path.join(target, "fixture.json"), "w") as f:
            json.dump({"family": family, "architecture": arch, "seed": seed, "batch_seed": 1234,
                       "transformers": transformers.__version__, "torch": torch.__version__,
                       "settings": distinct, "sharded": family in SHARDED}, f, indent=2)
        size = sum(os.path.getsize(os.path.join(ckpt, n)) for n in os.listdir(ckpt))
        print(f"{family}: wrote {target} ({size / 1e6:.2f} MB, files {sorted(os.listdir(ckpt))})")


def check(fixtures, work):
    failures = 0
    for family in FAMILIES:
        src = os.path.join(fixtures, family, "checkpoint")
        if not os.path.isdir(src):
            print(f"{family}: no fixture at {src}; run `make` first")
            failures += 1
            continue
        model, _ = checkpoint.load_model(src, text=False)
        ids = batch()
        opt = torch.optim.AdamW(model.parameters(), lr=1e-3)
        model.train()
        for _ in range(3):  # a few real updates, so the written weights are the trainer's own
            loss = torch.nn.functional.cross_entropy(model(ids)[:, :-1].reshape(-1, VOCAB), ids[:, 1:].reshape(-1))
            loss.backward()
            opt.step()
            opt.zero_grad()
        model.eval()
        for dtype, tol in ((torch.float32, 1e-4), (torch.bfloat16, 1e-4)):
            out = os.path.join(work, f"{family}-{str(dtype)[6:]}")
            checkpoint.save_model(model, out, dtype=dtype, max_shard_bytes=200_000)
            ours = checkpoint.load_model(out, text=False)[0]
            with torch.no_grad():
                expected = ours(ids)
            theirs = transformers.AutoModelForCausalLM.from_pretrained(out, torch_dtype=torch.float32,
                                                                       attn_implementation="eager")
            if type(theirs).__name__ != FAMILIES[family][1]:
                print(f"{family}: transformers loaded it as {type(theirs).__name__}")
                failures += 1
            err = (hf_logits(theirs, ids) - expected).abs().max().item()
            ok = err <= tol
            failures += not ok
            print(f"{family} {str(dtype)[6:]}: trainer-written checkpoint in transformers, max abs err {err:.2e} "
                  f"(<= {tol}) {'ok' if ok else 'FAIL'}")
    return 1 if failures else 0


def main(argv=None):
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("mode", choices=["make", "check"])
    default = os.path.join(HERE, "..", "..", "resources", "hf-fixtures")
    p.add_argument("--out", default=default)
    p.add_argument("--fixtures", default=default)
    p.add_argument("--work", default="/tmp/hf-check")
    a = p.parse_args(argv)
    print(f"transformers {transformers.__version__}, torch {torch.__version__}")
    if a.mode == "make":
        make(os.path.abspath(a.out))
        return 0
    return check(os.path.abspath(a.fixtures), a.work)


if __name__ == "__main__":
    sys.exit(main())
