"""The tokenizer bridge: the trainer encodes and decodes text of any Hugging Face tokenizer.json through the
worker's tokenizer server (the real library, as the tokenize step runs it), and evaluate uses it for
checkpoints whose tokenizer is not Trainyard's byte tokenizer.

Needs the built worker jar and the real tokenizer files (conftest: ``tokenizer_server``, ``real_tokenizers``);
neither is skipped when missing."""

import json
import os
import shutil
import subprocess
import unicodedata

import pytest
import torch

from conftest import REPO, resolved, run_step
from trainyard_trainer import checkpoint, evaluate
from trainyard_trainer import tokenizer as tok
from trainyard_trainer.hf_tokenizer import ENV, HfCheckpointTokenizer, HfTokenizer, TokenizerServerError
from trainyard_trainer.model import LlamaForCausalLM, resolve_config
from trainyard_trainer.runtime import Runtime

MULTILINGUAL = [
    "The quick brown fox jumps over the lazy dog.",
    "机器学习是人工智能的一个分支。",
    "東京は日本の首都です。カタカナとひらがな。",
    "안녕하세요, 세계!",
    "مرحبا بالعالم، كيف حالك اليوم؟",
    "नमस्ते दुनिया, यह एक परीक्षण वाक्य है।",
    "Привет, мир! Ёжик в тумане.",
    "👩‍👩‍👧‍👦 family, 🏳️‍🌈 flag, 👍🏽 thumbs, 🇯🇵 flags",
    "def square(x):\n\treturn x ** 2  # square it\n",
    "e\u0301 A\u030a \u200b zero\u200dwidth   \u3000 spaces",
    "<|im_start|>user\nHi<|im_end|>",
]
QWEN_IM_END = 151645


@pytest.fixture(scope="module")
def qwen3(real_tokenizers):
    return os.path.join(real_tokenizers, "qwen3", "models")


@pytest.fixture(scope="module")
def llama3(real_tokenizers):
    return os.path.join(real_tokenizers, "llama3", "models")


def reference_ids(real_tokenizers, directory, texts, tmp_path):
    """@huggingface/tokenizers (pure JavaScript, an independent implementation) on the same files, with the
    tokenizer's own special tokens: the reference the tokenize step's ids are checked against
    (TokenizerParityTest)."""
    lines = tmp_path / "lines.jsonl"
    lines.write_text("".join(json.dumps(t, ensure_ascii=False) + "\n" for t in texts), encoding="utf-8")
    out = subprocess.run(["node", os.path.join(REPO, "workers", "src", "test", "node", "reference.mjs"), "encode",
                          os.path.join(real_tokenizers, "tokenizers-js"), directory, str(lines)],
                         capture_output=True, text=True, timeout=300)
    assert out.returncode == 0, out.stderr
    return [json.loads(line) for line in out.stdout.splitlines() if line]


@pytest.mark.parametrize("name", ["qwen3", "llama3"])
def test_ids_equal_the_independent_implementation_the_tokenize_step_is_checked_against(
        tokenizer_server, real_tokenizers, tmp_path, name):
    directory = os.path.join(real_tokenizers, name, "models")
    texts = MULTILINGUAL + [" ".join(MULTILINGUAL[i:i + 3]) for i in range(len(MULTILINGUAL))]
    with HfTokenizer(directory) as t:
        ids = t.encode_batch(texts, add_special_tokens=True)
        assert t.encode(texts[1], add_special_tokens=True) == ids[1]
    assert ids == reference_ids(real_tokenizers, directory, texts, tmp_path)


def test_multilingual_text_round_trips_through_decode(tokenizer_server, qwen3):
    with HfTokenizer(qwen3) as t:
        ids = t.encode_batch(MULTILINGUAL)
        # Qwen's normalizer is NFC: what comes back is the composed form (e + U+0301 is é).
        assert t.decode_batch(ids) == [unicodedata.normalize("NFC", s) for s in MULTILINGUAL]
        assert t.decode(ids[1]) == MULTILINGUAL[1]
        # The special tokens are single ids; skipping them leaves the text between.
        assert ids[-1][0] == 151644 and QWEN_IM_END in ids[-1]
        assert t.decode(ids[-1], skip_special_tokens=True) == "user\nHi"
        # More texts than one request carries come back complete and in order.
        many = [f"line {i}: {MULTILINGUAL[i % len(MULTILINGUAL)]}" for i in range(1200)]
        assert t.decode_batch(t.encode_batch(many)) == [unicodedata.normalize("NFC", s) for s in many]


def test_a_refused_request_is_an_error_and_the_server_goes_on(tokenizer_server, qwen3):
    with HfTokenizer(qwen3) as t:
        with pytest.raises(ValueError, match=r"ids\[0\]\[1\]: must be a token id"):
            t.decode([1, -5])
        assert t.decode(t.encode("still here")) == "still here"
    with pytest.raises(TokenizerServerError, match="closed"):
        t.encode("after close")


def test_a_dir_without_tokenizer_json_is_refused_by_name(tokenizer_server, tmp_path):
    with pytest.raises(ValueError, match=f"tokenizer server: {tmp_path}: holds no tokenizer.json"):
        HfTokenizer(str(tmp_path))
    with pytest.raises(ValueError, match="no such directory"):
        HfTokenizer(str(tmp_path / "absent"))


def test_without_the_worker_the_trainer_says_how_to_get_a_tokenizer_server(qwen3, monkeypatch):
    monkeypatch.delenv(ENV, raising=False)
    with pytest.raises(ValueError, match="the worker starts the tokenizer server; run the trainer "
                                                   "through the worker, or set TRAINYARD_TOKENIZER_SERVER"):
        HfTokenizer(qwen3)


# ---- evaluate on a checkpoint with the Qwen tokenizer ----

class AnswersParis(torch.nn.Module):
    """A scripted model over the Qwen vocabulary: after the chat prompt's assistant header it writes
    'Paris', then <|im_end|>, then (were generation not stopped) more text."""

    def __init__(self, script, vocab):
        super().__init__()
        self.config = resolve_config({"vocab_size": vocab, "hidden_size": 16, "num_attention_heads": 2,
                                      "num_key_value_heads": 1, "intermediate_size": 32, "num_hidden_layers": 1})
        self.script, self.vocab = script, vocab
        self.prompt_len = None

    def forward(self, ids):
        logits = torch.full((*ids.shape, self.vocab), -30.0)
        for r in range(ids.shape[0]):
            k = ids.shape[1] - self.prompt_len  # tokens generated so far
            logits[r, -1, self.script[min(k, len(self.script) - 1)]] = 30.0
        return logits


def test_chat_exact_match_renders_the_template_stops_at_im_end_and_scores_the_answer(tokenizer_server, qwen3,
                                                                                       tmp_path):
    ckpt_dir = str(tmp_path / "ckpt")
    os.makedirs(ckpt_dir)
    for name in ("tokenizer.json", "tokenizer_config.json"):
        shutil.copy(os.path.join(qwen3, name), ckpt_dir)
    with open(os.path.join(ckpt_dir, "config.json"), "w") as f:  # Qwen's ids: eos <|endoftext|>, pad the same
        json.dump({"model_type": "llama", "eos_token_id": 151643, "pad_token_id": 151643}, f)
    cfg = resolved("evaluate", {"config": {"max_new_tokens": 12}})["config"]
    with HfCheckpointTokenizer(ckpt_dir, chat=True) as t:
        assert {151643, QWEN_IM_END} <= t.stop_ids
        # A text document as the tokenize step packs it: the tokenizer's ids, then tokenizer_config's eos_token.
        assert t.encode("Bonjour 世界", bos=True, eos=True) == t.hf.encode("Bonjour 世界", True) + [QWEN_IM_END]
        prompt = t.encode_prompt("What is the capital of France?")
        assert t.hf.decode(prompt) == "<|im_start|>user\nWhat is the capital of France?<|im_end|>\n" \
                                      "<|im_start|>assistant\n"
        script = t.hf.encode("Paris") + [QWEN_IM_END] + t.hf.encode(" and more")
        model = AnswersParis(script, t.vocab_size)
        model.prompt_len = len(prompt)
        ev = evaluate.Evaluator(model, {"chat": True}, Runtime({"device": "cpu"}), cfg, tokenizer=t)
        em, n, samples = ev.exact_match([{"question": "What is the capital of France?", "answer": "Paris"},
                                         {"question": "What is the capital of France?", "answer": "Lyon"}])
        assert em == {"exact_match": 0.5} and n == 2
        assert samples[0]["got"] == "Paris"  # nothing after <|im_end|>
        # The answer's continuation is the template's: Qwen 3 writes an empty <think> block, then <|im_end|>.
        response = t.encode_response("Paris", "What is the capital of France?")
        assert t.hf.decode(response) == "<think>\n\n</think>\n\nParis<|im_end|>"


@pytest.mark.parametrize("name, prompt, response", [
    ("qwen3", "<|im_start|>user\nHi there?<|im_end|>\n<|im_start|>assistant\n",
     "<think>\n\n</think>\n\nHello!<|im_end|>"),
    # Llama 3's template writes the assistant header even without add_generation_prompt: not the answer's.
    ("llama3", "<|begin_of_text|><|start_header_id|>user<|end_header_id|>\n\nHi there?<|eot_id|>"
               "<|start_header_id|>assistant<|end_header_id|>\n\n", "Hello!<|eot_id|>"),
])
def test_a_chat_answer_is_the_templates_turn_after_the_prompt_up_to_its_end(tokenizer_server, real_tokenizers, name,
                                                                             prompt, response):
    with HfCheckpointTokenizer(os.path.join(real_tokenizers, name, "models"), chat=True) as t:
        assert t.hf.decode(t.encode_prompt("Hi there?")) == prompt
        assert t.hf.decode(t.encode_response("Hello!", "Hi there?")) == response
        assert t.answer(t.hf.encode("Hello!") + [min(t.stop_ids)]) == "Hello!"


@pytest.fixture(scope="module")
def qwen_vocab_model(tmp_path_factory, qwen3):
    """A tiny random model with the Qwen 3 vocabulary, saved as a checkpoint with the real tokenizer files."""
    directory = str(tmp_path_factory.mktemp("qwen-vocab") / "model")
    with open(os.path.join(qwen3, "tokenizer_config.json")) as f:
        template = json.load(f)["chat_template"]
    qwen = tok.Tokenizer("hf", qwen3, tok.sha256_of(os.path.join(qwen3, "tokenizer.json")), None, 151643, 151643,
                         template)
    torch.manual_seed(0)
    config = resolve_config({"vocab_size": 151669, "hidden_size": 16, "num_attention_heads": 2,
                             "num_key_value_heads": 1, "intermediate_size": 32, "num_hidden_layers": 1,
                             "tie_word_embeddings": False, "initializer_range": 0.5})
    model = LlamaForCausalLM(config)
    model.init_weights(torch.Generator().manual_seed(0))
    checkpoint.save_model(model, directory, {"kind": "sft", "chat": True}, tokenizer=qwen)
    return directory


def test_evaluate_runs_end_to_end_on_a_qwen_tokenizer_checkpoint(tokenizer_server, qwen_vocab_model, tmp_path):
    questions = ["What is 2 + 2?", "Name a colour.", "Translate 'chat' into English.", "¿Dónde está la estación?"]
    cfg = resolved("evaluate", {"config": {"max_new_tokens": 6, "device": "cpu"}})["config"]
    model, info = checkpoint.load_model(qwen_vocab_model, text=False)
    with HfCheckpointTokenizer(qwen_vocab_model, chat=True) as t:
        ev = evaluate.Evaluator(model.eval(), info, Runtime({"device": "cpu"}), cfg, tokenizer=t)
        own = ev.generate([ev.prompt_ids(q) for q in questions])
    assert all(a.strip() for a in own) and len(set(own)) == len(own)  # real text, not one repeated token
    # The model's own greedy answers score 1; a changed one 0.
    data = tmp_path / "eval"
    data.mkdir()
    with open(data / "qa.jsonl", "w", encoding="utf-8") as f:
        for i, (q, a) in enumerate(zip(questions, own)):
            f.write(json.dumps({"question": q, "answer": a if i < 3 else a + " (changed)"}, ensure_ascii=False) + "\n")
    with open(data / "mc.jsonl", "w", encoding="utf-8") as f:
        f.write(json.dumps({"question": questions[0], "choices": ["4", "5", "vier"], "answer": 0}) + "\n")
    with open(data / "prefs.jsonl", "w", encoding="utf-8") as f:
        f.write(json.dumps({"prompt": questions[1], "chosen": "Blue.", "rejected": "Seven."}) + "\n")
    (data / "notes.txt").write_text("Le chat est sur la table.\n\n机器学习是人工智能的一个分支。\n", encoding="utf-8")

    work = tmp_path / "w"
    body = {"model": qwen_vocab_model, "data": str(data), "config": {"max_new_tokens": 6, "device": "cpu"},
            "gate": {"metric": "exact_match", "min": 0.75}}
    assert run_step(work, "evaluate", body) == 0
    report = json.load(open(work / "output" / "eval.json"))
    assert report["chat"] is True
    assert report["metrics"]["exact_match"] == 0.75 and report["metrics"]["accuracy"] == 0.75
    assert report["gate"]["passed"] is True
    assert report["tasks"]["qa"]["samples"][0] == {"question": questions[0], "expected": own[0], "got": own[0]}
    assert report["tasks"]["mc"]["metrics"]["multiple_choice"] in (0.0, 1.0)
    assert report["tasks"]["prefs"]["metrics"]["preference_accuracy"] in (0.0, 1.0)
    # A random model over 151,669 ids: perplexity near the vocabulary size, from Qwen's ids (not bytes).
    assert 1e4 < report["tasks"]["notes"]["metrics"]["perplexity"] < 1e6
    # The gate means something: above what the model scores, it fails (exit 3).
    assert run_step(tmp_path / "w2", "evaluate", dict(body, gate={"metric": "exact_match", "min": 0.9})) == 3


def test_a_large_vocabulary_is_scored_in_bounded_memory_with_the_same_next_token_logits(qwen_vocab_model):
    model, info = checkpoint.load_model(qwen_vocab_model, text=False)
    model.eval()
    cfg = resolved("evaluate", {"config": {"device": "cpu"}})["config"]

    class Stub:  # what the evaluator needs of a Hugging Face tokenizer here (no server)
        stop_ids, vocab_size, pad_id = {151643}, 151669, 151643

    ev = evaluate.Evaluator(model, info, Runtime({"device": "cpu"}), cfg, tokenizer=Stub())
    ids = torch.randint(0, 151669, (3, 40), generator=torch.Generator().manual_seed(1))
    with torch.no_grad():
        full = model(ids)[:, -1]
    assert torch.allclose(ev.last_logits(ids), full, atol=1e-5)
    assert model(ids).shape == (3, 40, 151669)  # the head's hook is gone afterwards
    # 32 windows of 256 tokens over 151,669 ids would be 5 GB of logits: a few rows at a time instead.
    assert ev.rows(256) == 1 and ev.rows(40) == 11 and ev.rows(4) == cfg["batch_size"]
    assert evaluate.Evaluator(model, info, Runtime({"device": "cpu"}), cfg).rows(256) == cfg["batch_size"]
