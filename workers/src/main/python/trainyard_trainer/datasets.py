"""Small synthetic datasets on which a tiny model shows real learning on a CPU in minutes.

    python -m trainyard_trainer.datasets --out DIR [--seed 0] [--scale 1.0]

The skill is two-digit addition, woven into a general corpus (simple sentences and equations), a
domain corpus (arithmetic only), instruction pairs, preference pairs (right vs. plausibly wrong
answers) and held-out eval sets whose additions appear in no training file.

The bundled recipes (docs/recipes.md) read the same files, plus one-digit instruction pairs (``format``:
the chat format without the two-digit skill) and the held-out general and domain texts as subsets of
their own (``eval-general``, ``eval-domain``) for ``eval_every`` curves and single-file evaluations.
"""

import argparse
import json
import os
import random

SUBJECTS = ["the cat", "a dog", "the old man", "my friend", "the teacher", "a small bird", "the farmer", "our team"]
VERBS = ["sees", "likes", "finds", "carries", "paints", "follows", "counts", "builds"]
OBJECTS = ["a red ball", "the river", "two apples", "a tall tree", "the blue door", "a paper boat", "the hill"]
PLACES = ["in the park", "at home", "by the sea", "after lunch", "in the morning", "near the road"]

MANIFEST = {
    "subsets": {"general": "general.txt", "domain": "domain.txt", "instructions": "instructions.jsonl",
                "preferences": "preferences.jsonl", "eval": "eval", "format": "format.jsonl",
                "eval-general": "eval/general.txt", "eval-domain": "eval/domain.txt"},
    "defaults": {"pretrain": "general", "continual-pretrain": "domain", "replay": "general",
                 "sft": "instructions", "dpo": "preferences", "evaluate": "eval"},
}


def sentence(rng):
    return f"{rng.choice(SUBJECTS)} {rng.choice(VERBS)} {rng.choice(OBJECTS)} {rng.choice(PLACES)}."


def wrong_answer(a, b, rng):
    """A plausible mistake: a dropped carry, an off-by-one, or a tens slip."""
    right = a + b
    options = [right + 1, right - 1, right + 10, right - 10, (a % 10 + b % 10) % 10 + 10 * ((a // 10 + b // 10) % 10)]
    options = [o for o in options if o != right and o >= 0]
    return rng.choice(options)


def question(a, b):
    return f"what is {a}+{b}?"


def generate(out, seed=0, scale=1.0):
    rng = random.Random(seed)
    pairs = [(a, b) for a in range(10, 100) for b in range(10, 100)]
    rng.shuffle(pairs)
    held_out, train = pairs[:300], pairs[300:]
    os.makedirs(os.path.join(out, "eval"), exist_ok=True)

    def n(x):
        return max(1, int(x * scale))

    def write_docs(path, docs):
        with open(path, "w", encoding="utf-8") as f:
            f.write("\n\n".join(docs) + "\n")

    def write_jsonl(path, records):
        with open(path, "w", encoding="utf-8") as f:
            for r in records:
                f.write(json.dumps(r) + "\n")

    def general_doc(source):
        lines = []
        for _ in range(rng.randint(4, 8)):
            r = rng.random()
            a, b = rng.choice(source)
            if r < 0.4:
                lines.append(sentence(rng))
            elif r < 0.8:
                lines.append(f"{a}+{b}={a + b}")
            else:
                lines.append(f"{question(a, b)} {a + b}")
        return "\n".join(lines)

    def domain_doc(source):
        return "\n".join(f"{a}+{b}={a + b}" for a, b in (rng.choice(source) for _ in range(rng.randint(6, 12))))

    write_docs(os.path.join(out, "general.txt"), [general_doc(train) for _ in range(n(4000))])
    write_docs(os.path.join(out, "domain.txt"), [domain_doc(train) for _ in range(n(3000))])
    write_jsonl(os.path.join(out, "instructions.jsonl"),
                [{"prompt": question(a, b), "response": str(a + b)} for a, b in train[: n(6000)]])
    # Every one-digit sum, repeated: an instruction-tuned sibling learns the answer format from these
    # without learning two-digit addition (domain-cpt-merge).
    digits = [(a, b) for a in range(10) for b in range(10)]
    write_jsonl(os.path.join(out, "format.jsonl"),
                [{"prompt": question(a, b), "response": str(a + b)} for a, b in digits * max(1, n(20))])
    write_jsonl(os.path.join(out, "preferences.jsonl"),
                [{"prompt": question(a, b), "chosen": str(a + b), "rejected": str(wrong_answer(a, b, rng))}
                 for a, b in train[: n(3000)]])
    ev = os.path.join(out, "eval")
    write_jsonl(os.path.join(ev, "qa.jsonl"), [{"question": question(a, b), "answer": str(a + b)} for a, b in held_out[:200]])
    mc = []
    for a, b in held_out[:200]:
        choices = sorted({a + b, *(wrong_answer(a, b, rng) for _ in range(6))})[:4]
        if a + b not in choices:
            choices[rng.randrange(4)] = a + b
        mc.append({"question": question(a, b), "choices": [str(c) for c in choices], "answer": choices.index(a + b)})
    write_jsonl(os.path.join(ev, "mc.jsonl"), mc)
    write_jsonl(os.path.join(ev, "preference.jsonl"),
                [{"prompt": question(a, b), "chosen": str(a + b), "rejected": str(wrong_answer(a, b, rng))}
                 for a, b in held_out[200:300]])
    write_docs(os.path.join(ev, "general.txt"), [general_doc(held_out) for _ in range(n(60))])
    write_docs(os.path.join(ev, "domain.txt"), [domain_doc(held_out) for _ in range(n(60))])
    with open(os.path.join(out, "trainyard-datasets.json"), "w", encoding="utf-8") as f:
        json.dump(dict(MANIFEST, seed=seed, scale=scale), f, indent=2, sort_keys=True)
        f.write("\n")
    return out


def generator_main(module, doc, generate, what, argv=None):
    """The command line of a synthetic-data generator (this module's, moe_tasks'): --out (default
    $TRAINYARD_OUTPUT, as a command step gets it), --seed, --scale; then ``generate(out, seed, scale)``."""
    p = argparse.ArgumentParser(prog=f"python -m trainyard_trainer.{module}", description=doc.split("\n")[0])
    p.add_argument("--out", default=os.environ.get("TRAINYARD_OUTPUT"), help="directory to write (default $TRAINYARD_OUTPUT)")
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--scale", type=float, default=1.0, help="multiplies the number of training examples")
    args = p.parse_args(argv)
    if not args.out:
        p.error("--out is required (or set TRAINYARD_OUTPUT)")
    generate(args.out, args.seed, args.scale)
    print(f"wrote {what} to {args.out}")


def main(argv=None):
    generator_main("datasets", __doc__, generate, "synthetic datasets", argv)

if __name__ == "__main__":
    main()
