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


def write_report(directory, metrics):
    directory.mkdir(parents=True)
    (directory / "eval.json").write_text(json.dumps({"metrics": metrics}))
    return str(directory)


def gate(**settings):
    """A gate as the planner writes it: the kind's defaults (mode max, margin 0) filled in."""
    return dict({"mode": "max", "margin": 0.0}, **settings)


def test_a_relative_gate_passes_at_the_best_referenced_value_and_fails_below_it(tmp_path):
    a = write_report(tmp_path / "eval-0.report", {"exact_match": 0.4, "loss": 2.0})
    b = write_report(tmp_path / "eval-1.report", {"exact_match": 0.6, "loss": 1.5})
    tie = evaluate.check_gate(gate(metric="exact_match", beat=[a, b]), {"exact_match": 0.6})
    assert tie["passed"] and tie["beat"]["best"] == 0.6 and tie["beat"]["bound"] == 0.6
    assert tie["beat"]["best_index"] == 1
    assert tie["beat"]["reports"] == [{"report": "eval-0.report", "value": 0.4},
                                      {"report": "eval-1.report", "value": 0.6}]
    short = evaluate.check_gate(gate(metric="exact_match", beat=[a, b], margin=0.05), {"exact_match": 0.6})
    assert not short["passed"]
    assert short["message"] == ("gate exact_match = 0.6000 below 0.6500, the best referenced report's "
                                "0.6000 + margin 0.05")
    # Lower is better: the bound is the lowest referenced loss, minus the margin.
    assert evaluate.check_gate(gate(metric="loss", beat=[a, b], mode="min"), {"loss": 1.4})["passed"]
    worse = evaluate.check_gate(gate(metric="loss", beat=[a, b], mode="min"), {"loss": 1.6})
    assert not worse["passed"] and worse["beat"]["bound"] == 1.5
    # Absolute and relative bounds both hold.
    both = evaluate.check_gate(gate(metric="exact_match", min=0.9, beat=[a]), {"exact_match": 0.5})
    assert not both["passed"] and "below the minimum 0.9" in both["message"]


def test_a_referenced_report_without_the_metric_is_bad_input_naming_it(tmp_path):
    a = write_report(tmp_path / "eval-0.report", {"exact_match": 0.4})
    b = write_report(tmp_path / "eval-1.report", {"loss": 1.0})
    with pytest.raises(ValueError, match=r"gate.beat\[1\]: the report has no metric 'exact_match' to beat; "
                                         r"it has: \['loss'\]"):
        evaluate.check_gate(gate(metric="exact_match", beat=[a, b]), {"exact_match": 1.0})
    with pytest.raises(ValueError, match=r"gate.beat\[0\]: .* is not an evaluate report"):
        evaluate.check_gate(gate(metric="exact_match", beat=[str(tmp_path)]), {"exact_match": 1.0})


def test_an_evaluate_step_with_a_relative_gate_records_the_bound_and_exits_3_or_2(tmp_path, datasets_dir):
    torch.manual_seed(0)
    model = LlamaForCausalLM(resolve_config(TINY))
    model.init_weights()
    checkpoint.save_model(model, str(tmp_path / "ckpt"), {"kind": "pretrain"})
    body = {"model": str(tmp_path / "ckpt"), "data": datasets_dir, "tasks": ["perplexity"],
            "config": {"max_samples": 20}}
    assert run_step(tmp_path / "first", "evaluate", body) == 0
    first = str(tmp_path / "first" / "output")
    same = dict(body, gate=gate(metric="perplexity", beat=[first], mode="min"))
    assert run_step(tmp_path / "same", "evaluate", same) == 0
    recorded = json.load(open(tmp_path / "same" / "output" / "eval.json"))["gate"]
    assert recorded["passed"] and recorded["beat"]["mode"] == "min"
    assert recorded["beat"]["best"] == pytest.approx(recorded["value"])  # the same model scores the same
    stricter = dict(body, gate=gate(metric="perplexity", beat=[first], mode="min", margin=1.0))
    assert run_step(tmp_path / "stricter", "evaluate", stricter) == 3
    assert json.load(open(tmp_path / "stricter" / "output" / "eval.json"))["gate"]["passed"] is False
    missing = dict(body, gate=gate(metric="perplexity", beat=[write_report(tmp_path / "other", {"accuracy": 1})]))
    assert run_step(tmp_path / "missing", "evaluate", missing) == 2
    assert not (tmp_path / "missing" / "output" / "eval.json").exists()
