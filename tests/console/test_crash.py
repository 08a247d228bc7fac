"""Anything that is not bad input reaches the user as one paragraph with the likely cause and the log's path."""

from __future__ import annotations

import subprocess
import sys

from harness.console.crash import crash_paragraph, likely_cause
from harness.paths import REPO_ROOT


def _raised(exc):
    try:
        raise exc
    except Exception as err:  # noqa: BLE001 - a real traceback, as the boundary sees it
        return err


def test_known_causes_name_the_setting_to_change():
    assert "kv_cache_memory_bytes" in likely_cause(ValueError("desired CPU memory utilization (0.9, 7.62 GiB)"))
    assert "tensor_parallel_size" in likely_cause(RuntimeError("CUDA out of memory. Tried to allocate 2.00 GiB"))
    assert "base_url" in likely_cause(ConnectionError("[Errno 111] Connection refused"))
    assert likely_cause(ZeroDivisionError("division by zero")) is None


def test_a_worker_root_cause_is_read_from_the_log(tmp_path):
    log = tmp_path / "run.log"
    log.write_text("INFO starting\n(VllmWorker pid=1) ERROR ValueError: Available memory on node 0 is less than desired "
                   "CPU memory utilization (0.9)\nRuntimeError: Engine core initialization failed. See root cause above.\n")
    text = crash_paragraph("run", _raised(RuntimeError("Engine core initialization failed. See root cause above.")), log)
    assert "Root cause, from the log: ValueError: Available memory" in text
    assert "kv_cache_memory_bytes" in text and str(log) in text
    assert "Traceback" in log.read_text()  # the traceback went to the file, not the terminal
    assert "\n" not in text


def test_an_unexpected_engine_error_is_one_paragraph_and_exit_1(tmp_path, tiny_model_dir):
    """A real failure inside vLLM (an engine argument it does not know), through the real CLI."""
    out = tmp_path / "pack"
    res = subprocess.run([sys.executable, "-m", "harness.cli", "run", "model=tiny", "run.repeats=1", "run.max_samples=1",
                          "+model.engine_args.no_such_engine_argument=1", f"out={out}"],
                         capture_output=True, text=True, timeout=600, cwd=REPO_ROOT)
    assert res.returncode == 1, res.stderr[-3000:]
    assert "Traceback" not in res.stderr and "Traceback" not in res.stdout
    failed = [ln for ln in res.stderr.splitlines() if "harness run: failed:" in ln]
    assert len(failed) == 1 and "no_such_engine_argument" in failed[0]
    logs = list((out / "logs").glob("run-*.log"))
    assert len(logs) == 1 and str(logs[0]) in failed[0]
    assert "Traceback" in logs[0].read_text()
