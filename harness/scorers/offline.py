"""Offline readiness for scorers that fetch data at import (nltk corpora, spaCy models).

lm-eval's IFEval and the IFBench package call `nltk.download` when imported; offline that fails, or hangs.
The `llama-index-core` wheel ships nltk's punkt_tab and stopwords under `_static/nltk_cache`; we put that on
nltk's path and turn downloads into look-ups that fail with a clear message if a resource is missing.
"""

from __future__ import annotations

import functools
import importlib.util
import os
import sys
import types
from pathlib import Path


def _nltk_cache() -> Path | None:
    spec = importlib.util.find_spec("llama_index")
    for root in (spec.submodule_search_locations or []) if spec else []:
        path = Path(root) / "core" / "_static" / "nltk_cache"
        if path.is_dir():
            return path
    return None


@functools.cache
def prepare_offline_nlp() -> None:
    import nltk

    cache = _nltk_cache()
    if cache is not None and str(cache) not in nltk.data.path:
        nltk.data.path.append(str(cache))
        os.environ.setdefault("NLTK_DATA", str(cache))

    def download(resource: str = "", *args, **kwargs) -> bool:
        for kind in ("tokenizers", "corpora", "taggers"):
            try:
                nltk.data.find(f"{kind}/{resource}")
                return True
            except LookupError:
                continue
        return False  # offline: the checker that needs it fails at use, naming the resource

    nltk.download = download


@functools.cache
def import_ifbench():
    """IFBench imports `spacy.cli.download` only to fetch a model it never loads. Without spaCy installed, a
    stub stands in while the package imports and is removed after (other libraries probe `sys.modules`)."""
    prepare_offline_nlp()
    if importlib.util.find_spec("spacy") is not None:
        from ifbench import evaluation_lib

        return evaluation_lib
    spacy, cli = types.ModuleType("spacy"), types.ModuleType("spacy.cli")
    cli.download = lambda *a, **k: None
    spacy.cli = cli
    sys.modules["spacy"], sys.modules["spacy.cli"] = spacy, cli
    try:
        from ifbench import evaluation_lib
    finally:
        del sys.modules["spacy"], sys.modules["spacy.cli"]
    return evaluation_lib
