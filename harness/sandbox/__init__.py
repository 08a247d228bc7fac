"""Running model-written code without letting it harm the machine, and scoring code tasks (docs/sandbox.md)."""

from harness.sandbox.contract import DEFAULT_LIMITS, Limits, Result, Sandbox, Status
from harness.sandbox.process_sandbox import ProcessSandbox

__all__ = ["DEFAULT_LIMITS", "Limits", "ProcessSandbox", "Result", "Sandbox", "Status"]
