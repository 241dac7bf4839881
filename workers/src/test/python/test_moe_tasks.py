"""The two-task data of the MoE recipes: held-out examples never appear in training text, each task's file
holds only that task, and the manifest's subsets resolve."""

import json
import os

from trainyard_trainer import data as D
from trainyard_trainer import moe_tasks


def test_the_eval_sets_are_held_out_and_the_task_files_are_pure(tmp_path):
    out = moe_tasks.generate(str(tmp_path), seed=3, scale=0.05)
    train = set(open(os.path.join(out, "train.txt")).read().split())
    for task in ("a", "b"):
        records = [json.loads(line) for line in open(os.path.join(out, "eval", f"task_{task}.jsonl"))]
        assert len(records) == 200
        # A training line is question+answer with no space after '='; none equals a held-out example.
        assert not {(r["question"] + r["answer"]).split()[-1] for r in records} & train
        heldout = open(os.path.join(out, "eval", f"heldout_{task}.txt")).read().split("\n")[:-1]
        assert heldout == [r["question"] + r["answer"] for r in records]
    a_lines = open(os.path.join(out, "task_a.txt")).read().split()
    b_lines = open(os.path.join(out, "task_b.txt")).read().split("\n")
    assert a_lines and all("+" in line and "rev" not in line for line in a_lines)
    assert all(line.startswith("rev ") for line in b_lines if line)
    assert D.resolve_files(out, "eval_a") == [os.path.join(out, "eval", "task_a.jsonl")]
    assert D.resolve_files(out, None, "route-stats") == [os.path.join(out, "task_a.txt")]


def test_answers_are_right():
    q, a = moe_tasks.add_example(37, 45)
    assert (q, a) == ("37+45=", "82")
    assert moe_tasks.rev_example("stone") == ("rev stone=", "enots")
