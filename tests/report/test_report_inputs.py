"""`harness report` on bad input and on pack data written by us: exit 2 naming file and field before anything is
written, never into a directory it did not make; the browser's flags follow the records."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from harness.cli import main
from harness.records.store import RecordStore
from harness.report.samples import FLAG_NAMES, INCONSISTENT, SANDBOX, WRONG_ALL
from tests.report.conftest import bench_report


@pytest.fixture(scope="module")
def small_pack(tmp_path_factory):
    return bench_report().make_pack(tmp_path_factory.mktemp("small") / "pack", 400, repeats=3)


def _index(site: Path, bench: str) -> dict:
    f = next(site.glob(f"data/*/{bench}/index.js"))
    text = f.read_text(encoding="utf-8")
    return json.loads(text[text.index(",") + 1: text.rindex(")")])


def test_flags_and_means_follow_the_records(small_pack, tmp_path):
    assert main(["report", str(small_pack), f"out={tmp_path / 'site'}", "chunk_size=37"]) == 0
    site = tmp_path / "site"
    for bench, metric in (("gen", "exact_match,none"), ("choice", "acc,none")):
        runs: dict[str, list] = {}
        errors: set[str] = set()
        for rec in RecordStore(small_pack).iter_rows(bench):
            if rec.score_error:
                errors.add(rec.sample_id)
            else:
                runs.setdefault(rec.sample_id, []).append(rec.metrics[metric])
        rows = {r[0]: r for r in _index(site, bench)["rows"]}
        assert set(rows) == set(runs) | errors
        for sid, vs in runs.items():
            flags, mean = rows[sid][1], rows[sid][2]
            assert bool(flags & WRONG_ALL) == all(v == 0 for v in vs), sid
            assert bool(flags & INCONSISTENT) == (len(set(vs)) > 1), sid
            assert mean == pytest.approx(100 * sum(vs) / len(vs))
        for sid in errors:
            assert rows[sid][1] & SANDBOX
        # every sample sits in the chunk its index row names, with all its runs in order
        for sid in list(rows)[::50]:
            c = rows[sid][3]
            text = next(site.glob(f"data/*/{bench}/chunk-{c}.js")).read_text(encoding="utf-8")
            chunk = json.loads(text[text.index(",", text.index(",") + 1) + 1: text.rindex(")")])
            s = next(x for x in chunk if x["id"] == sid)
            assert [r["run"] for r in s["runs"]] == [0, 1, 2]
    report = json.loads((site / "report.json").read_text())
    assert set(report["packs"][0]["sample_flags"]["gen"]) == set(FLAG_NAMES.values())


def test_a_directory_the_report_did_not_write_is_refused_unchanged(small_pack, tmp_path, capsys):
    out = tmp_path / "mine"
    out.mkdir()
    (out / "notes.txt").write_text("keep me")
    assert main(["report", str(small_pack), f"out={out}"]) == 2
    assert "did not write" in capsys.readouterr().err
    assert [p.name for p in out.iterdir()] == ["notes.txt"]
    # its own earlier output is replaced in place
    site = tmp_path / "site"
    assert main(["report", str(small_pack), f"out={site}"]) == 0
    assert main(["report", str(small_pack), f"out={site}"]) == 0


@pytest.mark.parametrize("damage, field", [
    (lambda d: d["benchmarks"]["gen"].pop("ci95"), "benchmarks.gen.ci95"),
    (lambda d: d.pop("benchmarks"), "benchmarks"),
])
def test_a_summary_missing_a_field_is_named_before_anything_is_written(small_pack, tmp_path, capsys, damage, field):
    import shutil

    pack = tmp_path / "pack"
    shutil.copytree(small_pack, pack)
    doc = json.loads((pack / "summary.json").read_text())
    damage(doc)
    (pack / "summary.json").write_text(json.dumps(doc))
    assert main(["report", str(pack), f"out={tmp_path / 'site'}"]) == 2
    err = capsys.readouterr().err
    assert "summary.json" in err and f"field {field}" in err
    assert not (tmp_path / "site").exists()


def test_bad_inputs_exit_2_naming_what(tmp_path, capsys, small_pack):
    assert main(["report", str(tmp_path / "nowhere"), f"out={tmp_path / 's1'}"]) == 2
    assert "nowhere" in capsys.readouterr().err
    (tmp_path / "scores.json").write_text(json.dumps({"table": [], "teams": "x"}))
    assert main(["report", f"scores={tmp_path / 'scores.json'}", f"out={tmp_path / 's2'}"]) == 2
    assert "field teams" in capsys.readouterr().err
    assert main(["report", f"out={tmp_path / 's3'}"]) == 2
    assert "nothing to report" in capsys.readouterr().err
    assert main(["report", str(small_pack), "page_size=0", f"out={tmp_path / 's4'}"]) == 2
    assert "page_size" in capsys.readouterr().err
    for d in ("s1", "s2", "s3", "s4"):
        assert not (tmp_path / d).exists()


def test_a_verdict_file_that_is_not_a_verdict_is_named(small_pack, tmp_path, capsys):
    import shutil

    pack = tmp_path / "pack"
    shutil.copytree(small_pack, pack)
    (pack / "verification").mkdir()
    (pack / "verification" / "20260101T000000Z.json").write_text(json.dumps({"verdict": "MAYBE"}))
    assert main(["report", str(pack), f"out={tmp_path / 'site'}"]) == 2
    err = capsys.readouterr().err
    assert "20260101T000000Z.json" in err and "field verdict" in err


def test_the_report_never_imports_an_engine_or_lm_eval():
    import subprocess
    import sys

    code = ("import sys, harness.report.site, harness.report.samples, harness.report.comparison, harness.report.leaderboard, "
            "harness.report.trend, harness.report.cli; bad = [m for m in ('vllm', 'lm_eval', 'torch', 'transformers') if m in sys.modules]; "
            "print(bad); sys.exit(1 if bad else 0)")
    res = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120)
    assert res.returncode == 0, res.stdout + res.stderr


def test_without_out_the_site_goes_beside_the_packs_under_results(small_pack, tmp_path, monkeypatch, capsys):
    monkeypatch.chdir(tmp_path)
    assert main(["report", str(small_pack)]) == 0
    index = tmp_path / "results" / "reports" / small_pack.name / "index.html"
    assert index.is_file() and f"report: {index}" in capsys.readouterr().out


def test_a_diverged_triple_is_shown_with_its_token_and_margins_and_flags_its_sample(small_pack, tmp_path):
    """A verdict as `harness verify` writes it (report schema 2), with one triple the re-run did not reproduce."""
    import shutil

    pack = tmp_path / "pack"
    shutil.copytree(small_pack, pack)
    from harness.pack.hashing import sha256_file

    triple = {"benchmark": "gen", "sample_id": "gen/7", "run": 1, "score_identical": False,
              "divergence": {"kind": "unexplained", "position": 3, "recorded_token": 1234, "rerun_token": 987,
                             "margin_recorded": 2.5, "margin_rerun": 1.75, "detail": "teacher-forced: log-prob off by 3.1"}}
    same = {"benchmark": "gen", "sample_id": "gen/8", "run": 0, "score_identical": True, "divergence": {"kind": "identical"}}
    verdict = {"schema_version": 2, "created": "2026-12-03T10:00:00+00:00", "verdict": "FAIL", "pack": "p", "reasons": ["1 unexplained"],
               "manifest_sha256": sha256_file(pack / "manifest.json"), "verifier": {"seed": 5, "fraction": 0.05, "samples": None},
               "counts": {"identical": 1, "unexplained": 1}, "triples": [triple, same],
               "signature": {"key_id": "abc123", "public_key": "x"}}
    (pack / "verification").mkdir()
    (pack / "verification" / "20261203T100000Z.json").write_text(json.dumps(verdict))
    assert main(["report", str(pack), f"out={tmp_path / 'site'}"]) == 0
    site = tmp_path / "site"
    html = next(site.glob("pack-*.html")).read_text()
    table = html.split('class="divergences"')[1].split("</table>")[0]
    assert table.count("<tr>") == 2  # the header and the one diverged triple, not the identical one
    for shown in ("gen/7", "unexplained", "1234 → 987", "2.500, 1.750", "changed", "teacher-forced: log-prob off by 3.1"):
        assert shown in table, shown
    assert 'class="badge FAIL" id="verification-status">FAIL<' in html and "abc123" in html
    rows = {r[0]: r[1] for r in _index(site, "gen")["rows"]}
    from harness.report.samples import DIVERGED

    assert rows["gen/7"] & DIVERGED and not rows["gen/8"] & DIVERGED
    assert sum(bool(f & DIVERGED) for f in rows.values()) == 1
