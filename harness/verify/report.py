"""The verdict, written inside the pack under verification/ as JSON and as readable Markdown. The JSON carries
a `statement` (pack, manifest sha256, draw seed, drawn triples, outcome) signed with the verifier's Ed25519
key: `harness score` trusts a verdict by that signature and the manifest it names, never by the file alone."""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path
from typing import Any

from harness.pack import layout

REPORT_SCHEMA_VERSION = 2  # 2: signed statement


def statement(report: dict[str, Any]) -> dict[str, Any]:
    """What the signature covers: enough to bind the verdict to one pack state and to re-derive the draw."""
    v = report["verifier"]
    triples = [[t["benchmark"], t["sample_id"], t["run"]] for t in (report.get("draw") or {}).get("triples", [])]
    return {"kind": "harness-verdict", "version": 1, "created": report["created"], "pack": report["pack"],
            "manifest_sha256": report["manifest_sha256"], "verdict": report["verdict"],
            "draw": {"seed": v["seed"], "fraction": v["fraction"], "samples": v["samples"], "triples": triples},
            "protocol": report.get("protocol"), "receipt": report.get("receipt"), "reasons": report["reasons"][:20]}


def write_report(pack: Path, report: dict[str, Any], key: Any = None) -> Path:
    """`key`: the verifier's Ed25519 private key; None writes an unsigned verdict (verify.unsigned=true only)."""
    from harness.signing.keys import sign

    now = dt.datetime.now(dt.timezone.utc)
    report = {"schema_version": REPORT_SCHEMA_VERSION, "created": now.isoformat(timespec="seconds"), **report}
    report["statement"] = statement(report)
    report["signature"] = sign(report["statement"], key).to_dict() if key is not None else None
    out = pack / layout.VERIFICATION
    out.mkdir(exist_ok=True)
    stem = now.strftime("%Y%m%dT%H%M%SZ")
    n = 0
    while (out / f"{stem}{'-' + str(n) if n else ''}.json").exists():  # never overwrite an earlier verdict
        n += 1
    stem = f"{stem}{'-' + str(n) if n else ''}"
    (out / f"{stem}.json").write_text(json.dumps(report, indent=2, ensure_ascii=False, default=str) + "\n")
    (out / f"{stem}.md").write_text(markdown(report))
    return out / f"{stem}.json"


def _problem(p: dict[str, Any]) -> str:
    return (f"- {p['check']}: `{p['file']}`" + (f" sample {p['sample']}" if p.get("sample") else "")
            + (f" field `{p['field']}`" if p.get("field") else "") + f": {p['message']}")


def _note(d: dict[str, Any]) -> str:
    if d.get("position") is None:
        return d.get("detail", "")
    margins = ", ".join(f"{k} {d[f'margin_{k}']:.3f}" for k in ("recorded", "rerun") if d.get(f"margin_{k}") is not None)
    return (f"first differing token #{d['position']}: {d.get('recorded_token')} → {d.get('rerun_token')}"
            + (f" (top-two margin {margins})" if margins else "") + f"; {d.get('detail', '')}")


def _tolerance(r: dict[str, Any]) -> str:
    t = r.get("tolerance")
    if not t:
        v = r["verifier"]
        return f"; ε = {v['epsilon'] if v['epsilon'] is not None else 'from the setup'}"
    return f"; ε = {t['epsilon']} nats, log-likelihood tolerance {t['ll_tolerance']} ({t['reason']})"


def markdown(r: dict[str, Any]) -> str:
    lines = [f"# Verification of `{r['pack']}`: **{r['verdict']}**", "",
             f"Created {r['created']}. Manifest sha256 `{r.get('manifest_sha256')}` (hand this to whoever relies on the verdict).", "",
             (f"Signed with Ed25519 key `{r['signature']['key_id']}` (`{r['signature']['public_key']}`)." if r.get("signature")
              else "**Unsigned** (verify.unsigned=true): `harness score` does not accept this verdict."), ""]
    lines += ["## Why", ""] + [f"- {x}" for x in r["reasons"]] + [""]
    v, run = r["verifier"], r.get("run") or {}
    lines += ["## Settings", "", f"Seed {v['seed']}, " + (f"{v['samples']} triples" if v.get("samples") else f"fraction {v['fraction']}")
              + _tolerance(r) + ". Policy: "
              + ", ".join(f"{k} = {x}" for k, x in v["policy"].items()) + ".", "",
              f"Batch-invariant mode (VLLM_BATCH_INVARIANT): run {run.get('batch_invariant')}, re-run {v['batch_invariant']}"
              + (f" (environment at re-run: {r['batch_invariant_env']!r})" if "batch_invariant_env" in r else "") + ".", ""]
    integ = r["integrity"]
    lines += ["## Integrity", ""] + ([_problem(p) for p in integ["problems"]] or
                                      ["All files, records, seeds, settings, scores" + (" and model hashes" if integ.get("model_checked") else "") + " check out."])
    if not integ.get("model_checked"):
        lines.append("- The model was not hashed: the engine has no local model path (a server).")
    if integ.get("diagnosis_error"):
        lines.append(f"- Changed fields could not be named: {integ['diagnosis_error']}")
    lines.append("")
    if r.get("protocol"):
        pr = r["protocol"]
        lines += ["## Protocol", "", f"`{pr['name']}`: " + ("followed." if not pr["deviations"] else f"{len(pr['deviations'])} deviation(s):")]
        lines += [f"- {d}" for d in pr["deviations"]] + [""]
    if r.get("config_binding"):
        lines += [f"Config: {r['config_binding']}.", ""]
    if r.get("receipt", {}).get("manifest_sha256"):
        rc = r["receipt"]
        lines += [f"Receipt: manifest `{rc['manifest_sha256']}` received {rc.get('received_at') or '(time not given)'}, seed {rc['seed']} drawn after it; "
                  + ("the pack is unchanged since." if rc["matches"] else "**the pack changed since**."), ""]
    if r.get("rescore"):
        rs = r["rescore"]
        lines += ["## Re-scored from the recorded outputs", "", ", ".join(f"{b}: {n} records" for b, n in rs["records"].items())
                  + (f"; not re-scored (interactive episodes): {', '.join(rs['not_rescored'])}" if rs["not_rescored"] else "") + "."]
        lines += [_problem(p) for p in rs["problems"][:50]] + [""]
        if rs.get("notes_total"):
            lines += [f"{rs['notes_total']} extracted answer(s) differ from what this harness extracts, with the same metrics "
                      "(another harness version's filter; not a score difference), e.g.:", _problem(rs["notes"][0]), ""]
    if r.get("prompts"):
        lines += ["## Prompts", ""] + ([_problem(p) for p in r["prompts"]["problems"]] or
                                        [f"Every record's prompts are the task's own rendering ({', '.join(r['prompts']['checked'])})."]) + [""]
    if r.get("engine"):
        e = r["engine"]
        lines += ["## Engine", "", f"{e.get('engine')} " + (f"{e['vllm_version']} " if e.get("vllm_version") else "")
                  + f"on `{e.get('path')}`; engine arguments `{json.dumps(e.get('engine_args'), default=str)}`.", ""]
    if r.get("setup_differences"):
        lines += ["## Setup differences from the run", ""] + [f"- {d}" for d in r["setup_differences"]] + [""]
    if "triples" in r:
        c = r["counts"]
        lines += ["## Re-run", "", f"{len(r['triples'])} triples: {c.get('identical', 0)} identical, {c.get('numeric-tie', 0)} numeric ties, "
                  f"{c.get('unexplained', 0)} unexplained; {c.get('score_changed', 0)} with a changed score.", ""]
        s = r["subset"]
        tf = r.get("teacher_forced")
        if isinstance(tf, dict):
            lines += [f"Teacher-forced: {tf['outputs']} recorded outputs scored under the model, {tf['inconsistent']} inconsistent; "
                      f"largest log-prob difference {tf['max_logprob_delta']:.2e} nats (tolerance {tf['tolerance']}).", ""]
        elif tf:
            lines += [f"Teacher-forced: {tf}.", ""]
        lines += [f"{c.get('tie_changed_score', 0)} numeric tie(s) changed a score; each counts against its own benchmark's tolerance.", ""]
        if r.get("per_benchmark"):
            lines += ["| benchmark | drawn | recorded | re-run | difference |", "|---|---|---|---|---|"]
            lines += [f"| {b} | {x['n']} | {x['recorded_mean']:.2f} | {x['rerun_mean']:.2f} | {x['mean_difference']:+.2f} |" for b, x in r["per_benchmark"].items()]
            lines.append("")
        lines += [f"Subset mean: recorded {s['recorded_mean']:.2f}, re-run {s['rerun_mean']:.2f}; difference {s['mean_difference']:+.2f} "
                  f"(95% CI {s['ci95'][0]:+.2f} … {s['ci95'][1]:+.2f}, {s['test']} p = {s['p_value']:.3g}).", ""]
        lines += ["| benchmark | sample | run | output | score recorded → re-run | note |", "|---|---|---|---|---|---|"]
        for t in r["triples"]:
            d = t["divergence"]
            lines.append(f"| {t['benchmark']} | {t['sample_id']} | {t['run']} | {d['kind']} | {t['recorded_score']} → {t['rerun_score']} | {_note(d)} |")
        lines.append("")
        lines += [_problem(p) for p in r.get("prompt_notes") or []]
        lines += [f"- {t['benchmark']} {t['sample_id']} run {t['run']}: not re-run ({t['reason']})" for t in r.get("not_rerun") or []]
        lines.append("")
    if r.get("draw"):
        lines += ["## The draw", "", f"Re-derive with `harness verify <pack> verify.seed={v['seed']}` and the same "
                  + ("`verify.samples`" if v.get("samples") else "`verify.fraction`") + " (the generator is seeded from the seed and the run id): "
                  + ", ".join(f"{b}: {n}" for b, n in r["draw"]["per_benchmark"].items()) + ". The triples are listed in the JSON report.", ""]
    return "\n".join(lines)
