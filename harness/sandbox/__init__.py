"""Running model-written code without letting it harm the machine (docs/sandbox.md)."""

from harness.sandbox.run import Limits, ProcessSandbox, Result, Sandbox

__all__ = ["Limits", "ProcessSandbox", "Result", "Sandbox"]
