"""An evidence pack's numbers, accepted only through proof: the files match the pack's manifest, a verdict
signed by a key the scoring config accepts names that manifest's sha256 and says PASS, and (when the team
handed one over) the pack matches its submission receipt. Anything else is an error naming the pack, each
verdict file and why it was refused; a file that merely says "PASS" proves nothing."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey

from harness.errors import ConfigError, RecordError
from harness.pack import layout
from harness.pack.hashing import sha256_file
from harness.pack.receipt import receipt_of
from harness.paths import CONFIG_DIR
from harness.points import validate
from harness.points.inputs import PackRef, Score
from harness.points.validate import Where
from harness.signing import keys
from harness.verify.integrity import check_manifest

VERDICT_KIND = "harness-verdict"


@dataclass
class PackEvidence:
    scores: list[Score]
    suite: str
    info: dict[str, Any] = field(default_factory=dict)  # pack, run id, manifest sha256, verdict file and key, receipt


def accepted_keys(entries: list[str], scoring_file: Path) -> dict[str, Ed25519PublicKey]:
    """The scoring config's `accepted_keys`: public key lines, or .pub files (relative to configs/scoring/)."""
    out = {}
    for i, entry in enumerate(entries):
        where = f"accepted_keys.{i}"
        if entry.strip().startswith(keys.PREFIX):
            text, file = entry, scoring_file
        else:
            path = Path(entry) if Path(entry).is_absolute() else CONFIG_DIR / "scoring" / entry
            try:
                text, file = path.read_text(encoding="utf-8"), path
            except OSError as err:
                raise ConfigError(f"cannot read public key file {path} ({err.strerror})", file=scoring_file, field=where) from None
        out[keys.key_id(text)] = keys.parse_public(text, file=file, field=where)
    return out


def _json(path: Path) -> Any:
    try:
        return json.loads(path.read_text(encoding="utf-8"))
    except OSError as err:
        raise RecordError(f"cannot read ({err.strerror})", file=path) from None
    except ValueError as err:
        raise RecordError(f"not valid JSON ({err})", file=path) from None


def _verdicts(pack: Path, manifest_sha: str, accepted: dict[str, Ed25519PublicKey]) -> tuple[list[tuple[str, str, dict]], list[str]]:
    """(created, file, statement) of every verdict that counts, and for every other file why it does not."""
    good, refused = [], []
    for path in sorted((pack / layout.VERIFICATION).glob("*.json")):
        try:
            doc = json.loads(path.read_text(encoding="utf-8"))
        except (OSError, ValueError):
            refused.append(f"{path.name}: not readable JSON")
            continue
        statement, signature = (doc.get("statement"), doc.get("signature")) if isinstance(doc, dict) else (None, None)
        why = keys.check(statement, signature, accepted)
        if why is None and statement.get("kind") != VERDICT_KIND:
            why = f"a signed statement of kind {statement.get('kind')!r}, not a verdict"
        if why is None and statement.get("manifest_sha256") != manifest_sha:
            why = (f"a verdict for another manifest (sha256 {str(statement.get('manifest_sha256'))[:12]}…, the pack's is "
                   f"{manifest_sha[:12]}…): the pack changed after it was verified")
        if why is None and statement.get("verdict") not in ("PASS", "FAIL"):
            why = f"verdict {statement.get('verdict')!r} is neither PASS nor FAIL"
        if why:
            refused.append(f"{path.name}: {why}")
        else:
            good.append((str(statement.get("created", "")), path.name, statement))
    return sorted(good), refused


def read_pack(ref: PackRef, base: Path, cfg: dict, accepted: dict[str, Ed25519PublicKey], teams_file: Path, field_name: str) -> PackEvidence:
    pack = (base / ref.path).resolve()
    if not pack.is_dir():
        raise RecordError("evidence pack directory not found", file=pack, field=field_name)
    for name in (layout.SUMMARY, layout.MANIFEST):
        if not (pack / name).is_file():
            raise RecordError(f"pack {pack.name}: no {name}; not a finished evidence pack", file=pack / name)
    manifest = _json(pack / layout.MANIFEST)
    manifest_sha = sha256_file(pack / layout.MANIFEST)
    info: dict[str, Any] = {"pack": str(pack), "run_id": manifest.get("run_id"), "manifest_sha256": manifest_sha}
    changed = check_manifest(pack, manifest)  # the files as they are now, against the manifest a verdict names
    if changed:
        raise RecordError(f"pack {pack.name}: {len(changed)} file(s) differ from its manifest, e.g. {changed[0]}; "
                          "its numbers cannot be trusted", file=pack, field="manifest")
    if ref.receipt:
        _check_receipt(pack, base / ref.receipt, field_name)
        info["receipt"] = str(base / ref.receipt)
    good, refused = _verdicts(pack, manifest_sha, accepted)
    if cfg["require_verified"]:
        if not good:
            detail = "; ".join(refused) if refused else "verification/ holds no verdict"
            raise RecordError(f"pack {pack.name} has no verdict signed by an accepted key for its manifest: {detail}. "
                              "Only packs with such a PASS count (scoring.require_verified=false to override)",
                              file=pack, field="verification")
        created, name, statement = good[-1]  # the newest signed verdict for this manifest decides
        if statement["verdict"] != "PASS":
            raise RecordError(f"pack {pack.name}: the newest signed verdict ({name}, {created}) is {statement['verdict']}",
                              file=pack / layout.VERIFICATION / name, field="verdict")
        _check_protocol(pack, name, statement, cfg)
        info["protocol"] = statement.get("protocol")
        info["verdict"] = {"file": name, "created": created, "verdict": "PASS",
                           "key_id": _json(pack / layout.VERIFICATION / name)["signature"]["key_id"]}
        source = f"pack {pack.name} (verified PASS, signed {info['verdict']['key_id']})"
    else:
        info["verdict"] = None
        source = f"pack {pack.name} (unverified: scoring.require_verified=false)"
    info["refused_verdicts"] = refused
    summary_path = pack / layout.SUMMARY
    summary = _json(summary_path)
    suite = validate.suite(summary.get("suite"), Where(summary_path, "suite"))
    scores = []
    for name, b in (summary.get("benchmarks") or {}).items():
        if not b.get("complete"):
            raise RecordError(f"benchmark {name} is incomplete in this pack", file=summary_path, field=f"benchmarks.{name}")
        scores.append(Score(name, validate.score(b.get("mean"), Where(summary_path, f"benchmarks.{name}.mean")), suite, b.get("area"), source, str(pack)))
    if not scores:
        raise RecordError(f"pack {pack.name}: summary.json has no benchmarks", file=summary_path, field="benchmarks")
    validate.not_fractions([s.score for s in scores], Where(summary_path, "benchmarks"))
    return PackEvidence(scores, suite, info)


def _check_protocol(pack: Path, name: str, statement: dict, cfg: dict) -> None:
    """The scoring config's protocol (configs/protocol/) must be the one the verdict checked, with no deviation
    unless the scoring config allows them."""
    wanted = cfg.get("protocol")
    if not wanted:
        return
    where = pack / layout.VERIFICATION / name
    checked = statement.get("protocol") or {}
    if checked.get("name") != wanted:
        raise RecordError(f"pack {pack.name}: its verdict did not check protocol {wanted} (it checked {checked.get('name')!r}); "
                          f"verify again with verify.protocol={wanted}", file=where, field="statement.protocol")
    if checked.get("deviations") and not cfg.get("allow_deviations"):
        raise RecordError(f"pack {pack.name} departs from protocol {wanted}: " + "; ".join(checked["deviations"][:5])
                          + " (scoring.allow_deviations=true to count it anyway)", file=where, field="statement.protocol.deviations")


# What "the same command and settings" means between a team's pack and its target model's: the suite's repeats
# and sample cap, and per benchmark the task, its versions, the metric, the items and the generation settings.
RUN_SETTINGS = ("repeats", "max_samples")
BENCHMARK_SETTINGS = ("task", "task_versions", "metric", "n_samples", "generation")


def same_settings(target_pack: Path, team_pack: Path, benchmark: str, where: Where) -> None:
    """The target's A and the team's B for `benchmark` come from runs with the same settings, or an error
    naming the first setting that differs."""
    docs = []
    for pack in (target_pack, team_pack):
        if not (pack / layout.SPEC).is_file():
            raise where.error(f"{benchmark}: pack {pack.name} has no {layout.SPEC}, so its settings cannot be compared with the "
                              "other run's; A and B must come from runs of the same command and settings")
        docs.append(_json(pack / layout.SPEC))
    a, b = docs
    pairs = [(k, a.get(k), b.get(k)) for k in RUN_SETTINGS]
    ab, bb = (a.get("benchmarks") or {}).get(benchmark, {}), (b.get("benchmarks") or {}).get(benchmark, {})
    pairs += [(f"benchmarks.{benchmark}.{k}", ab.get(k), bb.get(k)) for k in BENCHMARK_SETTINGS]
    for name, x, y in pairs:
        if x != y:
            raise where.error(f"{benchmark}: the target's run and the team's differ in {name} (target {json.dumps(x)[:120]}, "
                              f"team {json.dumps(y)[:120]}); A and B must come from the same command and settings")


def _check_receipt(pack: Path, path: Path, field_name: str) -> None:
    receipt = _json(path)
    now = receipt_of(pack)
    for k in ("run_id", "manifest_sha256", "model"):
        if not isinstance(receipt, dict) or receipt.get(k) != now.get(k):
            got = receipt.get(k) if isinstance(receipt, dict) else None
            raise RecordError(f"pack {pack.name} does not match the team's receipt: {k} is {str(now.get(k))[:80]} in the pack, "
                              f"{str(got)[:80]} in the receipt (the pack changed after submission, or another pack)",
                              file=path, field=k)
