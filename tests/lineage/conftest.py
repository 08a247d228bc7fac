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

from zoo_spec import BASE, INDEPENDENT, MOE, STEPS, VOCAB  # noqa: E402  (a module of its own: "conftest" names several)


class Zoo:
    def __init__(self, root: Path):
        self.root = root
        self.tokenizer, self.texts = tinylm.zoo_corpus(VOCAB)
        self.configs: dict[str, dict] = {}
        self.states: dict[str, dict] = {}
        self._saved: dict[str, Path] = {}

    def train_all(self) -> None:
        jobs = [("ref", BASE, 0, 0, None, STEPS, 3e-3), ("moe_ref", MOE, 20, 0, None, STEPS, 3e-3), ("moe_ind", MOE, 21, 1, None, STEPS, 3e-3)]
        jobs += [(n, dict(BASE, **change), seed, lang, None, STEPS, 3e-3) for n, (change, seed, lang) in INDEPENDENT.items()]
        for name, c, *_ in jobs:
            self.configs[name] = c
        with ProcessPoolExecutor(2, mp_context=get_context("spawn")) as pool:
            # the job function lives in tinylm, a module spawned workers import by its own name
            self.states.update(dict(pool.map(tinylm.zoo_train_job, [(*j, VOCAB) for j in jobs])))
            # continued training of the reference, on other data: the base of every disguise
            self.configs["ft"] = BASE
            self.states.update(dict(pool.map(tinylm.zoo_train_job, [("ft", BASE, 99, 1, self.states["ref"], 60, 1e-3, VOCAB)])))

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
