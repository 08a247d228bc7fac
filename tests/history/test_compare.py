"""`compare_packs` and `harness compare` on packs written through the harness's own store: verdicts,
shared items, refusals naming each difference, and the CLI's exit codes."""

from __future__ import annotations

import json

import numpy as np
import pytest

from harness.cli import main
from harness.compare import compare_packs
from harness.errors import RecordError


def _base(n=60, runs=3, seed=0, p=0.6):
    rng = np.random.default_rng(seed)
    return (rng.random((n, runs)) < p).astype(float)


def test_same_scores_are_unchanged_and_a_real_drop_is_regressed(make_pack):
    base = _base()
    worse = base.copy()
    worse[:20] = 0  # 20 of 60 items lost: a drop of up to 33 points, on many items
    a, same, bad = make_pack("a", {"kb": base}), make_pack("same", {"kb": base}), make_pack("bad", {"kb": worse})
    c = compare_packs(a, same)
    assert c.differences == [] and [x.verdict for x in c.benchmarks] == ["unchanged"] and c.verdict == "unchanged"
    assert c.benchmarks[0].stats.diff == 0 and c.benchmarks[0].n_shared == 60
    r = compare_packs(a, bad)
    (kb,) = r.benchmarks
    assert kb.verdict == "regressed" and r.verdict == "regressed" and r.regressed == ["kb"]
    assert kb.stats.diff == pytest.approx((worse.mean() - base.mean()) * 100)
    assert kb.stats.significant and kb.stats.ci95[1] < 0
    assert kb.n_flipped == len(kb.flipped) > 0
    assert all(f["a_mean"] >= 50 > f["b_mean"] for f in kb.flipped)
    back = compare_packs(bad, a)
    assert back.benchmarks[0].verdict == "improved"
    doc = json.loads(json.dumps(r.to_dict(), allow_nan=False))
    assert doc["benchmarks"][0]["verdict"] == "regressed" and doc["a"] == str(a) and doc["b"] == str(bad)


def test_a_significant_drop_below_the_threshold_is_unchanged(make_pack):
    base = np.ones((400, 2))
    worse = base.copy()
    worse[:8] = 0  # -2 points, every changed item the same way: significant
    a, b = make_pack("a", {"kb": base}), make_pack("b", {"kb": worse})
    assert compare_packs(a, b, threshold=1.0).benchmarks[0].verdict == "regressed"
    low = compare_packs(a, b, threshold=5.0).benchmarks[0]
    assert low.stats.significant and low.verdict == "unchanged"


def test_noise_between_runs_is_not_a_regression(make_pack):
    a, b = make_pack("a", {"kb": _base(seed=1, p=0.5)}), make_pack("b", {"kb": _base(seed=2, p=0.5)})
    kb = compare_packs(a, b).benchmarks[0]
    assert kb.verdict == "unchanged" and kb.stats.ci95[0] < 0 < kb.stats.ci95[1]


def test_only_shared_items_are_paired(make_pack):
    base = _base(n=40)
    a = make_pack("a", {"kb": base, "only_here": base})
    b = make_pack("b", {"kb": base[:30]}, score_errors={("kb", 3, 1)})
    c = compare_packs(a, b)
    (kb,) = c.benchmarks
    assert (kb.n_shared, kb.only_a, kb.only_b) == (29, 11, 0)  # item 3 is unscored in b: left out, counted
    assert c.only_in_a == ["only_here"] and c.only_in_b == []


@pytest.mark.parametrize("kw, expected", [
    ({"prompt": "Other template: "}, "kb: 50 of 50 shared items have other prompts (first: kb/0)"),
    ({"revision": "r2"}, "dataset synthetic/items: revision 'r1' vs 'r2'"),
    ({"generation": {"temperature": 0.7}}, "kb: generation.temperature None vs 0.7"),
])
def test_packs_run_differently_are_refused_listing_what_differs(make_pack, kw, expected):
    a, b = make_pack("a", {"kb": _base(n=50)}), make_pack("b", {"kb": _base(n=50)}, **kw)
    with pytest.raises(RecordError) as err:
        compare_packs(a, b)
    assert expected in str(err.value) and err.value.exit_code == 2 and err.value.file == str(b)
    allowed = compare_packs(a, b, allow_differences=True)
    assert allowed.differences == [expected] and allowed.benchmarks[0].n_shared == 50


def test_not_a_pack_is_bad_input(tmp_path, make_pack):
    a = make_pack("a", {"kb": _base()})
    (tmp_path / "empty").mkdir()
    with pytest.raises(RecordError, match="manifest.json is missing"):
        compare_packs(a, tmp_path / "empty")
    with pytest.raises(RecordError, match="not found"):
        compare_packs(a, tmp_path / "nowhere")


def test_cli_exit_codes_and_compare_json(make_pack, tmp_path, capsys):
    base = _base()
    worse = base.copy()
    worse[:20] = 0
    a, same, bad = make_pack("a", {"kb": base}), make_pack("same", {"kb": base}), make_pack("bad", {"kb": worse})
    other = make_pack("other", {"kb": base}, prompt="changed")
    assert main(["compare", str(a), str(same)]) == 0
    assert "unchanged" in capsys.readouterr().out
    out = tmp_path / "c.json"
    assert main(["compare", str(a), str(bad), f"compare.out={out}"]) == 1
    printed = capsys.readouterr().out
    assert "regressed" in printed and "kb" in printed
    assert json.loads(out.read_text())["verdict"] == "regressed"
    assert main(["compare", str(a), str(other)]) == 2
    assert "other prompts" in capsys.readouterr().err
    assert main(["compare", str(a), str(other), "compare.allow_differences=true"]) == 0
    assert main(["compare", str(a)]) == 2


def test_compare_never_imports_an_engine_or_lm_eval(make_pack):
    import subprocess
    import sys

    a = make_pack("a", {"kb": _base()})
    code = ("import sys; from harness.compare import compare_packs; compare_packs(sys.argv[1], sys.argv[1]); "
            "bad = [m for m in ('vllm', 'lm_eval', 'torch', 'transformers') if m in sys.modules]; print(bad); sys.exit(bool(bad))")
    res = subprocess.run([sys.executable, "-c", code, str(a)], capture_output=True, text=True, timeout=120)
    assert res.returncode == 0, res.stdout + res.stderr


def _task_config(pack, doc_to_text):
    spec = json.loads((pack / "spec.json").read_text())
    spec["benchmarks"]["kb"]["lmeval"] = {"tasks": {"kb": {"num_fewshot": 0, "config": {"task": "kb", "doc_to_text": doc_to_text}}}}
    (pack / "spec.json").write_text(json.dumps(spec))


def test_a_task_function_is_compared_by_name_not_by_its_address_in_that_process(make_pack):
    """Packs written before stable_repr named a task's functions with their address in that process."""
    base = _base()
    a, b, c = make_pack("a", {"kb": base}), make_pack("b", {"kb": base}), make_pack("c", {"kb": base})
    _task_config(a, "<function doc_to_text at 0x7f90e4c3380>")
    _task_config(b, "<function utils.doc_to_text>")  # the same function as written now
    _task_config(c, "<function utils.doc_to_text_cot>")  # another function
    assert compare_packs(a, b).differences == []
    with pytest.raises(RecordError) as err:
        compare_packs(a, c)
    assert "task kb config differs in doc_to_text" in str(err.value)


def test_task_configs_are_recorded_the_same_in_every_process():
    import subprocess
    import sys

    code = ("import json; from harness.benchmarks.lmeval import stable_repr; import harness.scorers.answers as m; "
            "print(json.dumps({'f': m.__dict__[sorted(k for k, v in m.__dict__.items() if callable(v) and hasattr(v, '__qualname__'))[0]], "
            "'g': json.dumps}, default=stable_repr))")
    outs = {subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout for _ in range(2)}
    assert len(outs) == 1 and " at 0x" not in outs.pop()
