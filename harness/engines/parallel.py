"""How one model is spread over GPUs and nodes: vLLM's own tensor, pipeline and data parallelism and the
executor that runs them (`ray` across nodes). They pass through `model.engine_args` unchanged; this names
them for the manifest (`settings.parallelism`), where a verifier reads the setup it is comparing against
(a smaller one changes reduction order, hence near-ties: docs/verify.md, docs/cluster.md)."""

from __future__ import annotations

from typing import Any

PARALLEL_KEYS = ("tensor_parallel_size", "pipeline_parallel_size", "data_parallel_size", "distributed_executor_backend")
_DEFAULTS = {"tensor_parallel_size": 1, "pipeline_parallel_size": 1, "data_parallel_size": 1, "distributed_executor_backend": None}


def parallelism(model: Any) -> dict[str, Any]:
    """The parallel layout a model spec asks its engine for (vLLM's defaults where unset); GPUs = TP × PP × DP."""
    args = dict(getattr(model, "engine_args", None) or {})
    out = {k: args.get(k, _DEFAULTS[k]) for k in PARALLEL_KEYS}
    sizes = [out[k] for k in PARALLEL_KEYS[:3]]
    out["gpus"] = int(sizes[0] or 1) * int(sizes[1] or 1) * int(sizes[2] or 1)
    return out
