"""`harness <command> [overrides…]`: a thin dispatcher and the one error boundary of every command.

Each command lives in its own package and exposes `main(argv)`. Bad input (a HarnessError) prints its file
and field and exits 2; anything else prints one paragraph (what failed, the likely cause, where the
traceback went) and exits 1; Ctrl-C exits 130.
"""

from __future__ import annotations

import importlib
import sys

from harness.errors import HarnessError

COMMANDS = {
    "run": ("harness.runner.cli", "run every benchmark of a suite N times and leave an evidence pack"),
    "verify": ("harness.verify.cli", "re-run a random subset of an evidence pack and give a PASS/FAIL verdict"),
    "score": ("harness.points.cli", "turn verified results and ratings into the phase evaluation's points"),
    "lineage": ("harness.lineage.cli", "test whether a checkpoint was derived from a reference model"),
    "keys": ("harness.signing.cli", "make a verifier's Ed25519 key pair (keys new): verdicts are signed with it"),
    "report": ("harness.report.cli", "write a static site of packs, their comparison, the leaderboard and trends"),
    "receipt": ("harness.pack.receipt", "print a pack's submission receipt: run id, manifest sha256, model hashes"),
    "history": ("harness.history.cli", "keep packs in a history (add, list, show): scores per night, for trends and baselines"),
    "nightly": ("harness.nightly.cli", "run the suite on the newest checkpoint, add it to the history, exit 1 on a regression"),
    "compare": ("harness.compare.cli", "compare two packs per benchmark: paired difference, 95% CI, improved/unchanged/regressed"),
    "merge": ("harness.merge.cli", "join the parts of a sharded job (run.shard=K/N) into one evidence pack"),
}

USAGE = "usage: harness <command> [args…] [key=value overrides…]\n\ncommands:\n" + "\n".join(
    f"  {name:<8} {help_}" for name, (_, help_) in COMMANDS.items()
) + "\n\n`harness <command> --help` lists a command's groups, keys and an example."


def main(argv: list[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else list(argv)
    if not argv or argv[0] in ("-h", "--help", "help"):
        print(USAGE)
        return 0
    command, rest = argv[0], argv[1:]
    if command not in COMMANDS:
        print(f"harness: unknown command {command!r}\n\n{USAGE}", file=sys.stderr)
        return 2
    try:
        if any(a in ("-h", "--help") for a in rest):
            from harness.console.help import render

            print(render(command))
            return 0
        module = importlib.import_module(COMMANDS[command][0])
        return int(module.main(rest) or 0)
    except HarnessError as err:
        print(f"harness {command}: error: {err}", file=sys.stderr)
        return err.exit_code
    except KeyboardInterrupt:
        print(f"\nharness {command}: interrupted", file=sys.stderr)
        return 130
    except Exception as err:  # not the user's input: one paragraph, the traceback in a log file
        from harness.console.crash import crash_paragraph

        print(crash_paragraph(command, err, None), file=sys.stderr)
        return 1


if __name__ == "__main__":
    sys.exit(main())
