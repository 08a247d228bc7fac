"""The history: idempotent adds, refused changed packs, failed nights, trends, the CLI, and the same code
through a database URL (SQLAlchemy)."""

from __future__ import annotations

import json

import numpy as np
import pytest

from harness.cli import main
from harness.errors import ConfigError, RecordError
from harness.history import History, entry_id_of


def _scores(n=20, runs=3, seed=0):
    return (np.random.default_rng(seed).random((n, runs)) < 0.6).astype(float)


def test_adding_twice_is_one_entry_and_keeps_every_sample_run(make_pack, tmp_path):
    pack = make_pack("step-100", {"kb": _scores(), "math": _scores(n=5, seed=1)}, score_errors={("kb", 2, 1)})
    with History.open(tmp_path / "h.sqlite") as h:
        first = h.add(pack)
        assert h.add(pack) == first == entry_id_of("step-100")
        (e,) = h.entries()
        assert (e["entry_id"], e["run_id"], e["status"], e["suite"], e["model"], e["reason"]) == (first, "step-100", "ok", "synthetic", "synthetic", None)
        assert e["step"] == 100 and e["checkpoint"] == "/ckpt/step-100" and e["pack"] == str(pack.resolve()) and e["data_revisions"][0]["revision"] == "r1"
        assert h.n_samples(first) == 20 * 3 + 5 * 3
        summary = json.loads((pack / "summary.json").read_text())["benchmarks"]
        shown = {b["benchmark"]: b for b in h.entry(first[:6])["benchmarks"]}
        assert shown["kb"]["mean"] == summary["kb"]["mean"] and shown["kb"]["n_items"] == 19  # item 2 left out, as the summary does
        assert shown["math"]["ci_low"] == summary["math"]["ci95"][0] and shown["math"]["run_scores"] == summary["math"]["run_scores"]


def test_a_pack_whose_manifest_changed_is_refused(make_pack, tmp_path):
    pack = make_pack("night", {"kb": _scores()})
    with History.open(tmp_path / "h.sqlite") as h:
        h.add(pack)
        manifest = json.loads((pack / "manifest.json").read_text())
        (pack / "manifest.json").write_text(json.dumps({**manifest, "created": "2027-01-01T00:00:00+00:00"}))
        with pytest.raises(RecordError, match="changed after it was added") as err:
            h.add(pack)
        assert err.value.exit_code == 2 and err.value.field == "manifest_sha256"
        assert len(h.entries()) == 1


def test_failed_nights_are_entries_and_a_finished_run_replaces_its_failure(make_pack, tmp_path):
    with History.open(tmp_path / "h.sqlite") as h:
        failed = h.add_failed("night", "RuntimeError: weights file truncated", checkpoint="/ckpt/step-300", suite="synthetic")
        (e,) = h.entries()
        assert (e["status"], e["reason"], e["step"]) == ("failed", "RuntimeError: weights file truncated", 300)
        assert h.trend() == [{"entry_id": failed, "added_at": e["added_at"], "checkpoint": "/ckpt/step-300", "step": 300, "benchmark": None,
                              "mean": None, "ci_low": None, "ci_high": None, "n_items": None, "status": "failed"}]
        pack = make_pack("night", {"kb": _scores()})
        assert h.add(pack) == failed
        assert [x["status"] for x in h.entries()] == ["ok"]
        assert h.add_failed("night", "again") == failed and h.entries()[0]["status"] == "ok"  # a finished run stays finished


def test_trend_is_per_benchmark_in_time_order_and_by_suite(make_pack, tmp_path):
    with History.open(tmp_path / "h.sqlite") as h:
        ids = [h.add(make_pack(f"step-{s}", {"kb": _scores(seed=s), "math": _scores(seed=s + 1)})) for s in (1, 2, 3)]
        rows = h.trend("synthetic")
        assert [(r["entry_id"], r["benchmark"]) for r in rows] == [(i, b) for i in ids for b in ("kb", "math")]
        assert [r["step"] for r in rows] == [1, 1, 2, 2, 3, 3] and all(r["ci_low"] <= r["mean"] <= r["ci_high"] for r in rows)
        assert h.trend("other") == []
        assert h.latest()["entry_id"] == ids[-1] and h.latest(exclude=ids[-1])["entry_id"] == ids[1]


def test_the_same_history_through_a_database_url(make_pack, tmp_path):
    pytest.importorskip("sqlalchemy")  # the server route: any SQLAlchemy URL, tested here on SQLite
    url = f"sqlite:///{tmp_path / 'shared.sqlite'}"
    pack = make_pack("step-7", {"kb": _scores()})
    with History.open(url) as h:
        entry_id = h.add(pack)
        assert h.add(pack) == entry_id and h.n_samples(entry_id) == 60
        h.add_failed("other", "crashed")
    with History.open(tmp_path / "shared.sqlite") as h:  # the same file read as the embedded default
        assert [e["status"] for e in h.entries()] == ["ok", "failed"] and len(h.trend()) == 2


def test_a_file_that_is_not_a_history_is_left_alone(tmp_path):
    notes = tmp_path / "notes.sqlite"
    notes.write_text("my notes\n")
    with pytest.raises(ConfigError, match="not a history database"):
        History.open(notes)
    assert notes.read_text() == "my notes\n"


def test_cli_add_list_show(make_pack, tmp_path, capsys):
    loc = f"history.location={tmp_path / 'h.sqlite'}"
    assert main(["history", "list", loc]) == 0 and "no history" in capsys.readouterr().out
    assert main(["history", "show", "x", loc]) == 2
    assert not (tmp_path / "h.sqlite").exists()  # reading made no file
    a, b = make_pack("step-1", {"kb": _scores()}), make_pack("step-2", {"kb": _scores(seed=5)})
    assert main(["history", "add", str(a), str(b), loc]) == 0
    assert main(["history", "add", str(a), loc]) == 0
    out = capsys.readouterr().out
    assert f"added as {entry_id_of('step-1')}" in out and f"already in the history as {entry_id_of('step-1')}" in out
    assert main(["history", "list", loc]) == 0
    listed = capsys.readouterr().out
    assert entry_id_of("step-1") in listed and entry_id_of("step-2") in listed
    assert main(["history", "show", "step-2", loc]) == 0
    assert "kb" in capsys.readouterr().out
    assert main(["history", "show", "nope", loc]) == 2
    assert main(["history", "add", str(tmp_path / "missing"), loc]) == 2
    assert main(["history", "frobnicate", loc]) == 2
    assert main(["compare", entry_id_of("step-1"), entry_id_of("step-2"), loc]) in (0, 1)  # entries resolve to their packs
