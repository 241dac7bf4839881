"""Which tokenizer a checkpoint has decides what it can train on: text only with Trainyard's byte tokenizer
(by its marker, or by its tokenizer.json's content for checkpoints of older versions), token shards only of
its own tokenizer and vocabulary; nothing falls back to bytes silently."""

import json
import os
import random
import shutil

import pytest

from conftest import TINY, metrics, run_step, synthetic_tokenizer, write_tokens

FAST = {"batch_size": 4, "seq_len": 24, "warmup_steps": 2, "checkpoint_every": 0, "device": "cpu"}


@pytest.fixture(scope="module")
def byte_model(tmp_path_factory, datasets_dir):
    work = tmp_path_factory.mktemp("byte")
    assert run_step(work, "pretrain", {"model": TINY, "data": datasets_dir, "config": dict(FAST, max_steps=3)}) == 0
    return str(work / "output")


def copy_of(model, tmp_path, drop=(), edit=None):
    out = str(tmp_path / "model")
    shutil.copytree(model, out)
    for name in drop:
        os.remove(os.path.join(out, name))
    if edit:
        path = os.path.join(out, "tokenizer_config.json")
        cfg = json.load(open(path))
        edit(cfg)
        json.dump(cfg, open(path, "w"))
    return out


def error_of(capsys):
    err = capsys.readouterr().err.strip().splitlines()
    return err[-1] if err else ""


def test_a_checkpoint_without_a_tokenizer_never_trains_on_text_as_bytes(tmp_path, byte_model, datasets_dir, capsys):
    bare = copy_of(byte_model, tmp_path, drop=("tokenizer.json", "tokenizer_config.json", "special_tokens_map.json"))
    assert run_step(tmp_path / "w", "sft", {"model": bare, "data": datasets_dir, "config": FAST}) == 2
    assert "has no tokenizer" in error_of(capsys)


def test_a_foreign_tokenizer_never_trains_on_text(tmp_path, byte_model, datasets_dir, capsys, monkeypatch):
    foreign = copy_of(byte_model, tmp_path, drop=("tokenizer_config.json",))
    json.dump(synthetic_tokenizer(264), open(os.path.join(foreign, "tokenizer.json"), "w"))
    assert run_step(tmp_path / "w", "sft", {"model": foreign, "data": datasets_dir, "config": FAST}) == 2
    assert "not Trainyard's byte tokenizer" in error_of(capsys)
    # Evaluating text reads it with the checkpoint's own tokenizer (the worker's tokenizer server,
    # test_hf_tokenizer.py), never as bytes: without that server it stops.
    monkeypatch.delenv("TRAINYARD_TOKENIZER_SERVER", raising=False)
    assert run_step(tmp_path / "e", "evaluate", {"model": foreign, "data": datasets_dir}) == 2
    assert "the worker starts the tokenizer server" in error_of(capsys)


def test_a_byte_checkpoint_of_an_older_trainyard_without_the_marker_still_trains_on_text(
        tmp_path, byte_model, datasets_dir):
    older = copy_of(byte_model, tmp_path, edit=lambda c: c.pop("trainyard_tokenizer"))
    assert run_step(tmp_path / "w", "sft", {"model": older, "data": datasets_dir,
                                            "config": dict(FAST, max_steps=2)}) == 0
    written = json.load(open(tmp_path / "w" / "output" / "tokenizer_config.json"))
    assert written["trainyard_tokenizer"] == "byte-v1"


def byte_tokens(model, root, docs, vocab_size=264):
    return write_tokens(str(root), {"train": docs}, vocab_size,
                        tokenizer=open(os.path.join(model, "tokenizer.json"), "rb").read(),
                        bos_id=256, eos_id=257, pad_id=258)


def test_token_shards_of_the_byte_tokenizer_train_a_byte_model(tmp_path, byte_model):
    rng = random.Random(1)
    shards = byte_tokens(byte_model, tmp_path / "t", [[256] + [rng.randrange(97, 123) for _ in range(40)] + [257]
                                                       for _ in range(20)])
    assert run_step(tmp_path / "w", "continual-pretrain", {"model": byte_model, "data": shards,
                                                           "config": dict(FAST, max_steps=3)}) == 0


def test_token_ids_beyond_the_model_vocabulary_are_refused(tmp_path, byte_model, capsys):
    shards = byte_tokens(byte_model, tmp_path / "t", [[256] + [97] * 30 + [300] + [257]] * 4)
    assert run_step(tmp_path / "w", "continual-pretrain", {"model": byte_model, "data": shards, "config": FAST}) == 2
    assert "token id 300, but the model's vocab_size is 264" in error_of(capsys)
    wide = byte_tokens(byte_model, tmp_path / "t2", [[256] + [97] * 30 + [257]] * 4, vocab_size=1000)
    assert run_step(tmp_path / "w2", "continual-pretrain", {"model": byte_model, "data": wide, "config": FAST}) == 2
    assert "vocab_size 1000 does not fit the model's vocab_size 264" in error_of(capsys)


def test_token_shards_of_another_tokenizer_are_refused(tmp_path, byte_model, capsys):
    shards = write_tokens(str(tmp_path / "t"), {"train": [[1] * 40] * 4}, 200)
    assert run_step(tmp_path / "w", "continual-pretrain", {"model": byte_model, "data": shards, "config": FAST}) == 2
    assert "made with another tokenizer" in error_of(capsys)


def test_dpo_refuses_token_shards_it_cannot_pair(tmp_path, byte_model, capsys):
    shards = byte_tokens(byte_model, tmp_path / "t", [[256] + [97] * 30 + [257]] * 4)
    assert run_step(tmp_path / "w", "dpo", {"model": byte_model, "data": shards, "config": FAST}) == 2
    assert "dpo reads preference datasets" in error_of(capsys)


def test_text_and_token_shards_do_not_mix(tmp_path, datasets_dir, capsys):
    shards = write_tokens(str(tmp_path / "t"), {"train": [[1] * 40] * 4}, 200)
    assert run_step(tmp_path / "w", "pretrain", {"model": TINY, "data": [{"dataset": datasets_dir},
                                                                          {"dataset": shards}], "config": FAST}) == 2
    assert "mix text datasets and token shards" in error_of(capsys)


# ---- a large vocabulary, end to end: pretrain on shards, then sft on chat shards with a loss mask ----

VOCAB = 151_669  # Qwen 3's size; the tokenizer is synthetic, not Qwen's
SMALL = {"hidden_size": 16, "intermediate_size": 32, "num_hidden_layers": 1, "num_attention_heads": 2,
         "num_key_value_heads": 1}
USER, ASSISTANT, EOT = 151_644, 151_645, 151_643


def conversation(rng):
    """<user> prompt <assistant> answer <eot>: the answer (ids above 65535, so the shards are uint32) follows
    from the prompt; the mask is 1 exactly on the answer and its end-of-turn token."""
    prompt = [rng.randrange(70_000, 70_050) for _ in range(4)]
    answer = [p + 1000 for p in reversed(prompt)] + [EOT]
    ids = [USER] + prompt + [ASSISTANT] + answer
    return ids, [0] * (len(prompt) + 2) + [1] * len(answer)


def test_sft_from_chat_shards_on_a_150k_vocabulary_lowers_the_held_out_loss(tmp_path):
    from trainyard_trainer import checkpoint as ckpt
    from trainyard_trainer import train
    from trainyard_trainer.runtime import Runtime

    rng = random.Random(0)
    tokenizer = synthetic_tokenizer(VOCAB)
    template = "{% for m in messages %}<|{{ m['role'] }}|>{{ m['content'] }}{% endfor %}"
    text = write_tokens(str(tmp_path / "text"), {"train": [[rng.randrange(0, 150_000) for _ in range(60)] + [EOT]
                                                           for _ in range(20)]},
                        VOCAB, tokenizer=tokenizer, tokenizer_config={"chat_template": template}, eos_id=EOT)
    chat = write_tokens(str(tmp_path / "chat"), {"train": [conversation(rng) for _ in range(200)],
                                                 "eval": [conversation(rng) for _ in range(16)]},
                        VOCAB, tokenizer=tokenizer, tokenizer_config={"chat_template": template}, records="chat",
                        eos_id=EOT)
    assert run_step(tmp_path / "pre", "pretrain", {"model": SMALL, "data": text,
                                                   "config": dict(FAST, max_steps=2, seq_len=32)}) == 0
    base = str(tmp_path / "pre" / "output")
    assert json.load(open(os.path.join(base, "config.json")))["vocab_size"] == 151_680
    assert json.load(open(os.path.join(base, "tokenizer_config.json")))["chat_template"] == template

    def held_out_loss(model_dir):
        model = ckpt.load_model(model_dir, text=False)[0]
        examples, _ = train.load_examples(chat, "eval", "sft", "sft", 24, held_out=True)
        objective = train.SupervisedFineTuning(None, EOT)
        return train.evaluate_during_training(objective, examples, model, Runtime({"device": "cpu"}), 8)["eval_loss"]

    assert run_step(tmp_path / "sft", "sft", {"model": base, "data": chat, "eval_data": chat,
                                              "config": dict(FAST, max_steps=30, lr=1e-2, batch_size=8,
                                                             eval_subset="eval")}) == 0
    before, after = held_out_loss(base), held_out_loss(str(tmp_path / "sft" / "output"))
    print(f"held-out loss before {before:.3f}, after {after:.3f}")
    assert after < before - 1.0, (before, after)
    assert [m["eval_loss"] for m in metrics(tmp_path / "sft") if "eval_loss" in m][-1] == pytest.approx(after, rel=1e-4)
    out = tmp_path / "sft" / "output"
    assert (out / "tokenizer.json").read_bytes() == open(os.path.join(chat, "tokenizer.json"), "rb").read()
    assert json.load(open(out / "trainyard.json"))["tokenizer"]["kind"] == "hf"
