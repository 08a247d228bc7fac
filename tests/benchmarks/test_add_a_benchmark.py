"""docs/architecture.md's "How to add a benchmark", walked through: its files, taken from the page, added to
a copy of configs/ and tasks/, and both new benchmarks run in the NIA suite on real vLLM."""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys

import pytest

from harness.paths import CONFIG_DIR, REPO_ROOT, TASKS_DIR

pytestmark = pytest.mark.slow
DOC = REPO_ROOT / "docs" / "architecture.md"


def _files_on_the_page() -> dict[str, str]:
    text = DOC.read_text(encoding="utf-8")
    return {m.group(1): m.group(2) for m in re.finditer(r"<!-- file: (\S+) -->\n```\w*\n(.*?)```", text, re.S)}


def _write_jsonl(path, rows):
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text("".join(json.dumps(r, ensure_ascii=False) + "\n" for r in rows), encoding="utf-8")


def test_the_page_names_one_file_for_lm_eval_and_two_plus_a_config_for_a_new_task():
    files = _files_on_the_page()
    assert sorted(files) == ["configs/benchmark/ko_arith.yaml", "configs/benchmark/kobest_boolq.yaml",
                             "tasks/ko_arith/ko_arith.yaml", "tasks/ko_arith/utils.py"]


def test_both_new_benchmarks_run_in_the_nia_suite(tmp_path, tiny_model_dir):
    configs, tasks, mirror = tmp_path / "configs", tmp_path / "tasks", tmp_path / "mirror"
    shutil.copytree(CONFIG_DIR, configs)
    shutil.copytree(TASKS_DIR, tasks, ignore=shutil.ignore_patterns("samples"))
    for rel, body in _files_on_the_page().items():
        target = tmp_path / rel
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_text(body, encoding="utf-8")
    # items written for this test, in each dataset's schema
    boolq = [{"paragraph": "서울은 대한민국의 수도이다.", "question": "서울은 대한민국의 수도인가?", "label": 1},
             {"paragraph": "고래는 포유류이다.", "question": "고래는 어류인가?", "label": 0},
             {"paragraph": "물은 섭씨 100도에서 끓는다.", "question": "물은 섭씨 100도에서 끓는가?", "label": 1}]
    for split in ("train", "validation", "test"):  # a mirror holds every split the task declares
        _write_jsonl(mirror / "skt" / "kobest_v1" / "boolq" / f"{split}.jsonl", boolq)
    _write_jsonl(mirror / "harness-examples" / "ko-arith" / "default" / "test.jsonl", [
        {"question": "사과 3개와 배 4개가 있다. 과일은 모두 몇 개인가?", "answer": "7"},
        {"question": "한 상자에 연필이 12자루 들어 있다. 세 상자에는 몇 자루인가?", "answer": "36"}])

    out = tmp_path / "pack"
    env = {**os.environ, "HARNESS_CONFIG_DIR": str(configs), "HARNESS_TASKS_DIR": str(tasks)}
    res = subprocess.run([sys.executable, "-m", "harness.cli", "run", "suite=nia", "model=tiny", "+suite.only=[kobest_boolq,ko_arith]",
                          f"data.root={mirror}", "run.repeats=2", "run.generation_override.max_tokens=16", f"out={out}"],
                         capture_output=True, text=True, timeout=900, cwd=REPO_ROOT, env=env)
    assert res.returncode == 0, res.stderr[-3000:]
    summary = json.loads((out / "summary.json").read_text())["benchmarks"]
    assert summary["kobest_boolq"]["complete"] and summary["kobest_boolq"]["n_items"] == 3 and summary["kobest_boolq"]["metric"] == "acc,none"
    assert summary["ko_arith"]["complete"] and summary["ko_arith"]["n_items"] == 2 and summary["ko_arith"]["area"] == "math"
    spec = json.loads((out / "spec.json").read_text())["benchmarks"]
    assert spec["ko_arith"]["generation"]["chat_template"] is True  # the reasoning group reached it
