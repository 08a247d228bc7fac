"""Session fixtures: a family of small models that were really trained, built once per test session (two
worker processes, one thread each) and saved on demand under a session temp dir.

- `ref`: the reference (Llama shape with GQA), trained on language 0;
- `ft`: the reference trained further on language 1 (what disguises are applied to);
- `ind*`: twelve independently initialised models — different seeds, languages (data) and widths (MLP width,
  residual width, depth); the calibration set;
- `moe_ref`, `moe_ind`: a Mixtral-style mixture of experts and an independent one.
"""

from __future__ import annotations

import sys
from concurrent.futures import ProcessPoolExecutor
from multiprocessing import get_context
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).parent))

import tinylm  # noqa: E402

VOCAB = 512
BASE = dict(vocab=VOCAB, d=64, layers=2, heads=4, kv_heads=2, ff=176)
STEPS = 200
# name: (config changes, seed, language)
INDEPENDENT = {
    "ind1": ({}, 1, 0), "ind2": ({}, 2, 0), "ind3": ({}, 3, 1), "ind4": ({}, 4, 2),
    "ind5": ({"ff": 128}, 5, 0), "ind6": ({"ff": 240}, 6, 1), "ind7": ({"layers": 3}, 7, 0), "ind8": ({"kv_heads": 4}, 8, 2),
    "ind9": ({"d": 96, "ff": 256}, 9, 0), "ind10": ({"d": 96, "ff": 256, "heads": 6, "kv_heads": 3}, 10, 1),
    "ind11": ({"ff": 176}, 11, 1), "ind12": ({"layers": 3, "ff": 128}, 12, 2),
}
MOE = dict(BASE, experts=4, ff=96)


def _corpus():
    texts = {lang: tinylm.language_texts(lang, 0, 500) for lang in (0, 1, 2)}
    tok = tinylm.train_tokenizer(texts[0] + texts[1] + texts[2], VOCAB)
    return tok, texts


def _train_job(job):
    name, c, seed, lang, init, steps, lr = job
    tok, texts = _corpus()
    return name, tinylm.train(c, tinylm.token_batches(tok, texts[lang]), seed, steps=steps, lr=lr, init=init)


class Zoo:
    def __init__(self, root: Path):
        self.root = root
        self.tokenizer, self.texts = _corpus()
        self.configs: dict[str, dict] = {}
        self.states: dict[str, dict] = {}
        self._saved: dict[str, Path] = {}

    def train_all(self) -> None:
        jobs = [("ref", BASE, 0, 0, None, STEPS, 3e-3), ("moe_ref", MOE, 20, 0, None, STEPS, 3e-3), ("moe_ind", MOE, 21, 1, None, STEPS, 3e-3)]
        jobs += [(n, dict(BASE, **change), seed, lang, None, STEPS, 3e-3) for n, (change, seed, lang) in INDEPENDENT.items()]
        for name, c, *_ in jobs:
            self.configs[name] = c
        with ProcessPoolExecutor(2, mp_context=get_context("spawn")) as pool:
            self.states.update(dict(pool.map(_train_job, jobs)))
            # continued training of the reference, on other data: the base of every disguise
            self.configs["ft"] = BASE
            self.states.update(dict(pool.map(_train_job, [("ft", BASE, 99, 1, self.states["ref"], 60, 1e-3)])))

    def save(self, name: str, state: dict | None = None, config: dict | None = None, tokenizer=True, **kw) -> Path:
        """A checkpoint directory for a fixture model, or for any state dict under a new name (cached)."""
        if name in self._saved:
            return self._saved[name]
        c = config or self.configs.get(name, BASE)
        cfg = tinylm.hf_config(c) if config is not False else None
        path = tinylm.save(state if state is not None else self.states[name], self.root / name, cfg,
                           self.tokenizer if tokenizer is True else tokenizer or None, **kw)
        self._saved[name] = path
        return path


@pytest.fixture(scope="session")
def zoo(tmp_path_factory) -> Zoo:
    z = Zoo(tmp_path_factory.mktemp("lineage-zoo"))
    z.train_all()
    return z
