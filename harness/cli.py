"""`harness <command> [overrides…]`: a thin dispatcher. Each command lives in its own package and exposes `main(argv)`."""

from __future__ import annotations

import importlib
import sys

from harness.errors import HarnessError

COMMANDS = {
    "run": ("harness.runner.cli", "run every benchmark of a suite N times and leave an evidence pack"),
    "verify": ("harness.verify.cli", "re-run a random subset of an evidence pack and give a PASS/FAIL verdict"),
    "score": ("harness.scoring.cli", "turn verified results and ratings into the phase evaluation's points"),
    "lineage": ("harness.lineage.cli", "test whether a checkpoint was derived from a reference model"),
}

USAGE = "usage: harness <command> [args…] [key=value overrides…]\n\ncommands:\n" + "\n".join(
    f"  {name:<8} {help_}" for name, (_, help_) in COMMANDS.items()
)


def main(argv: list[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else list(argv)
    if not argv or argv[0] in ("-h", "--help", "help"):
        print(USAGE)
        return 0
    command, rest = argv[0], argv[1:]
    if command not in COMMANDS:
        print(f"harness: unknown command {command!r}\n\n{USAGE}", file=sys.stderr)
        return 2
    module = importlib.import_module(COMMANDS[command][0])
    try:
        return int(module.main(rest) or 0)
    except HarnessError as err:
        print(f"harness {command}: error: {err}", file=sys.stderr)
        return err.exit_code


if __name__ == "__main__":
    sys.exit(main())
