"""Two synthetic tasks in disjoint parts of the byte vocabulary, so a small mixture of experts can learn
them with different experts: the data of the MoE recipes (moe-expert-pruning, moe-merge-compress).

    python -m trainyard_trainer.moe_tasks --out DIR [--seed 0] [--scale 1.0]

Task A (``add``): two-digit addition written ``37+45=82``. Task B (``rev``): reversing a word of four to six
lowercase letters, written ``rev stone=enots``. The training corpus interleaves both, one example per line;
each task also has its own text file (what ``route-stats`` profiles) and held-out examples, which appear
in no training file, both as an exact-match set (``eval/task_a.jsonl``) and as text scored by perplexity
(``eval/heldout_a.txt``).
"""

import json
import os
import random

LETTERS = "abcdefghijklmnopqrstuvwxyz"

MANIFEST = {
    "subsets": {"train": "train.txt", "task_a": "task_a.txt", "task_b": "task_b.txt",
                "eval_a": "eval/task_a.jsonl", "eval_b": "eval/task_b.jsonl", "eval": "eval"},
    "defaults": {"pretrain": "train", "continual-pretrain": "train", "route-stats": "task_a",
                 "evaluate": "eval"},
}


def add_example(a, b):
    return f"{a}+{b}=", str(a + b)


def rev_example(word):
    return f"rev {word}=", word[::-1]


def generate(out, seed=0, scale=1.0):
    rng = random.Random(seed)
    pairs = [(a, b) for a in range(10, 100) for b in range(10, 100)]
    rng.shuffle(pairs)
    words = sorted({"".join(rng.choice(LETTERS) for _ in range(rng.randint(4, 6))) for _ in range(12000)})
    rng.shuffle(words)
    held_pairs, train_pairs = pairs[:200], pairs[200:]
    held_words, train_words = words[:200], words[200:]
    n = max(1, int(4000 * scale))

    def doc(examples):
        return "\n".join(q + a for q, a in examples)

    a_docs = [doc(add_example(*rng.choice(train_pairs)) for _ in range(8)) for _ in range(n)]
    b_docs = [doc(rev_example(rng.choice(train_words)) for _ in range(8)) for _ in range(n)]
    mixed = a_docs + b_docs
    rng.shuffle(mixed)
    os.makedirs(os.path.join(out, "eval"), exist_ok=True)
    for name, docs in (("train.txt", mixed), ("task_a.txt", a_docs[: max(1, n // 10)]),
                       ("task_b.txt", b_docs[: max(1, n // 10)])):
        with open(os.path.join(out, name), "w", encoding="utf-8") as f:
            f.write("\n\n".join(docs) + "\n")
    for name, examples in (("task_a.jsonl", [add_example(a, b) for a, b in held_pairs]),
                           ("task_b.jsonl", [rev_example(w) for w in held_words])):
        with open(os.path.join(out, "eval", name), "w", encoding="utf-8") as f:
            for q, a in examples:
                f.write(json.dumps({"question": q, "answer": a}) + "\n")
    # The same held-out examples as text, scored by perplexity: a finer measure than exact match of how
    # much of a task a compressed model keeps.
    for name, examples in (("heldout_a.txt", [add_example(a, b) for a, b in held_pairs]),
                           ("heldout_b.txt", [rev_example(w) for w in held_words])):
        with open(os.path.join(out, "eval", name), "w", encoding="utf-8") as f:
            f.write("\n".join(q + a for q, a in examples) + "\n")
    with open(os.path.join(out, "trainyard-datasets.json"), "w", encoding="utf-8") as f:
        json.dump(dict(MANIFEST, seed=seed, scale=scale), f, indent=2, sort_keys=True)
        f.write("\n")
    return out


def main(argv=None):
    from trainyard_trainer.datasets import generator_main
    generator_main("moe_tasks", __doc__, generate, "the two MoE tasks", argv)

if __name__ == "__main__":
    main()
