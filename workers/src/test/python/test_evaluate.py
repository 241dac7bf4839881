import json
import math

import pytest
import torch

from trainyard_trainer import checkpoint, evaluate
from trainyard_trainer.model import LlamaForCausalLM, resolve_config
from trainyard_trainer.runtime import Runtime
from trainyard_trainer.tokenizer import EOS, VOCAB_SIZE
from conftest import TINY, resolved, run_step


class Scripted(torch.nn.Module):
    """A stand-in model: uniform next-token odds, except that after '?' it is sure of '2', and after '2' of
    the end — so it answers every question with 2."""

    def __init__(self):
        super().__init__()
        self.config = resolve_config(TINY)

    def forward(self, ids):
        logits = torch.zeros(*ids.shape, VOCAB_SIZE)
        after_question = torch.full((VOCAB_SIZE,), -30.0)
        after_question[ord("2")] = 30.0
        after_two = torch.full((VOCAB_SIZE,), -30.0)
        after_two[EOS] = 30.0
        logits[ids == ord("?")] = after_question
        logits[ids == ord("2")] = after_two
        return logits


def test_metrics_on_a_model_whose_answers_are_known():
    cfg = resolved("evaluate", {"config": {"max_new_tokens": 4}})["config"]
    ev = evaluate.Evaluator(Scripted(), {"chat": False}, Runtime({"device": "cpu"}), cfg)
    em, n, _ = ev.exact_match([{"question": "1+1?", "answer": "2"}, {"question": "1+2?", "answer": "3"}])
    assert em == {"exact_match": 0.5} and n == 2
    mc, _, _ = ev.multiple_choice([{"question": "1+1?", "choices": ["3", "2"], "answer": 1},
                                  {"question": "0+3?", "choices": ["3", "2"], "answer": 0}])
    assert mc == {"multiple_choice": 0.5}
    pref, _, _ = ev.preference([{"prompt": "1+1?", "chosen": "2", "rejected": "7"}])
    assert pref["preference_accuracy"] == 1.0 and pref["preference_margin"] == pytest.approx(60.0, abs=1e-3)
    ppl, _ = ev.perplexity(["hello world, hello world, hello world, hello world, hello world, hello world"])
    assert ppl["perplexity"] == pytest.approx(VOCAB_SIZE, rel=1e-4)


def test_gates_pass_and_fail_on_their_bounds():
    assert evaluate.check_gate({"metric": "accuracy", "min": 0.5}, {"accuracy": 0.5})["passed"]
    failed = evaluate.check_gate({"metric": "perplexity", "max": 10}, {"perplexity": 12.0})
    assert not failed["passed"] and failed["message"] == "gate perplexity = 12.0000 above the maximum 10"
    with pytest.raises(evaluate.GateFailed, match="was not measured"):
        evaluate.check_gate({"metric": "bleu", "min": 1}, {"accuracy": 1.0})


def test_evaluate_step_writes_eval_json_and_a_failed_gate_exits_3(tmp_path, datasets_dir):
    torch.manual_seed(0)
    model = LlamaForCausalLM(resolve_config(TINY))
    model.init_weights()
    checkpoint.save_model(model, str(tmp_path / "ckpt"), {"kind": "pretrain"})
    body = {"model": str(tmp_path / "ckpt"), "data": datasets_dir, "config": {"max_samples": 20, "max_new_tokens": 4}}
    assert run_step(tmp_path / "ok", "evaluate", body) == 0
    report = json.load(open(tmp_path / "ok" / "output" / "eval.json"))
    m = report["metrics"]
    assert {"exact_match", "multiple_choice", "preference_accuracy", "perplexity", "accuracy",
            "qa/exact_match", "general/perplexity"} <= set(m)
    assert m["perplexity"] > 50  # an untrained model is near uniform over 264 tokens
    assert run_step(tmp_path / "gated", "evaluate", dict(body, gate={"metric": "exact_match", "min": 0.9})) == 3
    assert json.load(open(tmp_path / "gated" / "output" / "eval.json"))["gate"]["passed"] is False
