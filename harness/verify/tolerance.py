"""How close a re-run must come, from how its setup differs from the run's.

The same hardware, engine, packages and engine arguments (batch-invariant mode alike on both sides) must
reproduce a run exactly: no tie explains a differing token, log-likelihoods must be equal. Any other
setup moves log-probs by about the model dtype's resolution, so a differing token is a tie only when the
top two were that close: bf16 keeps 8 significant bits (log-probs in [-16, 0] on a 1/16 grid; on an H100
every first differing token of a batch-composition change had a top-two margin ≤ 0.125 nats, so ε = 0.25),
fp16 keeps 11 bits, fp32 24. A verifier may set ε itself (`verify.epsilon`); the verdict records which
applied and why.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass

# nats: ε for a differing token's top-two margin, and the log-likelihood tolerance, per model dtype
_BY_DTYPE = {"bfloat16": (0.25, 0.25), "float16": (0.03125, 0.03125), "float32": (1e-3, 1e-3)}
# nats: a recorded log-prob against the same token scored by one prefill (teacher forcing). Even on the
# run's own setup a prefill sums in another order than the decode step that chose the token.
_FORCED = {"bfloat16": 0.5, "float16": 0.0625, "float32": 0.01}
_ALIASES = {"bf16": "bfloat16", "half": "float16", "fp16": "float16", "float": "float32", "fp32": "float32"}


@dataclass(frozen=True)
class Tolerance:
    epsilon: float
    ll_tolerance: float
    exact: bool
    dtype: str | None
    reason: str
    forced: float = _FORCED["bfloat16"]  # teacher-forced log-prob tolerance (harness.verify.forced)

    def to_dict(self) -> dict:
        return asdict(self)


def dtype_name(value: object) -> str | None:
    """'torch.bfloat16', 'bf16', 'bfloat16' → 'bfloat16'; 'auto' and unknowns → None."""
    if value is None:
        return None
    name = str(value).removeprefix("torch.").lower()
    name = _ALIASES.get(name, name)
    return name if name in _BY_DTYPE else None


def tolerance(setup_differences: list[str], dtype: object, epsilon: float | None = None,
              ll_tolerance: float | None = None) -> Tolerance:
    """The tolerance for one verification; explicit settings win over the derived ones."""
    name = dtype_name(dtype)
    tol = _tolerance(setup_differences, name, epsilon, ll_tolerance)
    return Tolerance(tol.epsilon, tol.ll_tolerance, tol.exact, tol.dtype, tol.reason, _FORCED.get(name or "bfloat16"))


def _tolerance(setup_differences: list[str], name: str | None, epsilon: float | None, ll_tolerance: float | None) -> Tolerance:
    if epsilon is not None or ll_tolerance is not None:
        eps_d, ll_d = _BY_DTYPE.get(name or "bfloat16")
        return Tolerance(eps_d if epsilon is None else float(epsilon), ll_d if ll_tolerance is None else float(ll_tolerance),
                         False, name, "set by the verifier (verify.epsilon / verify.ll_tolerance)")
    if not setup_differences:
        return Tolerance(0.0, 0.0, True, name, "same hardware, engine, packages and engine arguments as the run: "
                                                "a re-run must reproduce every token and log-likelihood exactly")
    if name is None:
        eps, ll = _BY_DTYPE["bfloat16"]
        return Tolerance(eps, ll, False, None, f"setup differs ({setup_differences[0]}"
                         f"{f' and {len(setup_differences) - 1} more' if len(setup_differences) > 1 else ''}); "
                         "model dtype unknown, so the widest (bf16) tolerance")
    eps, ll = _BY_DTYPE[name]
    return Tolerance(eps, ll, False, name, f"setup differs ({setup_differences[0]}"
                     f"{f' and {len(setup_differences) - 1} more' if len(setup_differences) > 1 else ''}); "
                     f"{name} resolution")
