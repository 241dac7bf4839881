"""Weighted mixtures of training sources, served deterministically and resumably.

Each source serves its examples in its own seeded order (``ExampleOrder`` with seed ``seed + i`` for the
i-th source). How many rows of a batch each source gets is not drawn at random: after T rows in all, source
i (other than the first active one) has given ``floor(T × weight_i)`` rows and the first active source the
rest, so the consumed shares match the weights to within one row per source at every point, and a resumed
run that restores the counters serves exactly the batches the uninterrupted one would. (With the sources
[main, replay] and weights [1 − ratio, ratio] this is the schedule ``config.replay`` always had.)

``max_epochs`` caps how many passes a source serves (a fraction is allowed: 0.5 serves half of it once).
When a source reaches its cap, its weight is redistributed over the sources still serving, in proportion to
their weights, and the shares count again from that row on. Weights are shares of rows: of tokens for packed
pretraining windows (every row is seq_len tokens), of examples for SFT and DPO; the tokens each source
actually gave are counted either way and recorded.
"""

import math

from .data import DataError, ExampleOrder

MAX_SOURCES = 16


class Source:
    """One source's examples (a sequence of items) and what it has served."""

    def __init__(self, name, items, weight, seed, max_epochs=None, describe=None, tokens_of=None):
        if not weight > 0:
            raise DataError(f"source '{name}': weight must be > 0")
        if max_epochs is not None and not max_epochs > 0:
            raise DataError(f"source '{name}': max_epochs must be > 0")
        self.name, self.items, self.weight = name, items, float(weight)
        self.order = ExampleOrder(len(items), seed)
        self.cap = None if max_epochs is None else max(1, math.floor(max_epochs * len(items)))
        self.describe = dict(describe or {})
        self.tokens_of = tokens_of or (lambda item: len(item[0]))
        self.tokens = 0

    @property
    def exhausted(self):
        return self.cap is not None and self.order.consumed >= self.cap

    def take(self, k):
        rows = [self.items[i] for i in self.order.take(k)]
        self.tokens += sum(self.tokens_of(r) for r in rows)
        return rows


def normalised(weights):
    total = sum(weights)
    # A sum that is 1 already is left alone: dividing by a float sum of 0.8 + 0.2 could move a share by an ulp.
    return list(weights) if abs(total - 1.0) < 1e-12 else [w / total for w in weights]


class Mixture:
    def __init__(self, sources, state=None):
        if not 1 <= len(sources) <= MAX_SOURCES:
            raise DataError(f"a mixture has 1 to {MAX_SOURCES} sources, got {len(sources)}")
        self.sources = sources
        # Rows served in all, and where the current share regime began (moved when a source runs out).
        self.rows, self.base_rows, self.base_taken = 0, 0, [0] * len(sources)
        if state:
            self._restore(state)

    def capacity(self):
        """Rows the mixture can serve, or None when some source is uncapped."""
        if any(s.cap is None for s in self.sources):
            return None
        return sum(s.cap for s in self.sources)

    def take(self, n):
        """The next ``n`` rows, grouped by source in source order."""
        picked = [[] for _ in self.sources]
        need = n
        while need:
            active = [i for i, s in enumerate(self.sources) if not s.exhausted]
            if not active:
                raise DataError(f"every source reached its max_epochs after {self.rows} rows")
            weights = dict(zip(active, normalised([self.sources[i].weight for i in active])))
            target_rows = self.rows - self.base_rows + need
            quota = {}
            for i in active[1:]:
                served = self.sources[i].order.consumed - self.base_taken[i]
                quota[i] = max(0, math.floor(target_rows * weights[i]) - served)
            over = sum(quota.values()) - need
            for i in reversed(active[1:]):  # only possible with many sources; the next batches catch up
                cut = min(over, quota[i]) if over > 0 else 0
                quota[i] -= cut
                over -= cut
            quota[active[0]] = need - sum(quota.values())
            ran_out = False
            for i in active:
                s = self.sources[i]
                k = quota[i] if s.cap is None else min(quota[i], s.cap - s.order.consumed)
                ran_out |= k < quota[i]
                picked[i] += s.take(k)
                self.rows += k
                need -= k
            if ran_out:
                self.base_rows, self.base_taken = self.rows, [s.order.consumed for s in self.sources]
        return [row for rows in picked for row in rows]

    def state(self):
        return {"rows": self.rows, "base_rows": self.base_rows, "base_taken": list(self.base_taken),
                "sources": [{"name": s.name, "consumed": s.order.consumed, "tokens": s.tokens}
                            for s in self.sources]}

    def _restore(self, state):
        if "sources" not in state:
            # Written before mixtures: {"main": n, "replay": n, "calls": n}, the sources [main, replay].
            consumed = [state.get("main", 0), state.get("replay", 0)][:len(self.sources)]
            state = {"rows": sum(consumed), "base_rows": 0, "base_taken": [0] * len(self.sources),
                     "sources": [{"name": s.name, "consumed": c, "tokens": None}
                                 for s, c in zip(self.sources, consumed)]}
        names = [s["name"] for s in state["sources"]]
        if names != [s.name for s in self.sources]:
            raise DataError(f"the resume state was written for the sources {names}, not "
                            f"{[s.name for s in self.sources]}")
        self.rows, self.base_rows, self.base_taken = state["rows"], state["base_rows"], list(state["base_taken"])
        for s, saved in zip(self.sources, state["sources"]):
            s.order.consumed = saved["consumed"]
            s.tokens = saved["tokens"] if saved["tokens"] is not None else 0

    def consumed(self):
        """Per source what it served: the metrics and the lineage fact of the step."""
        total = sum(s.tokens for s in self.sources) or 1
        weights = normalised([s.weight for s in self.sources])
        return [dict(s.describe, name=s.name, weight=w, tokens=s.tokens, sequences=s.order.consumed,
                     epochs=s.order.consumed / len(s.items), share=s.tokens / total)
                for s, w in zip(self.sources, weights)]
