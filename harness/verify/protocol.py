"""Protocol conformance: whether a pack follows a named protocol (configs/protocol/<name>.yaml) — its
runs, its items, and every benchmark as the shipped configs give it (task, metric, few-shot, the effective
generation settings, the dataset revisions). An honest pack run with `run.max_samples=2` or another
temperature verifies, but is not the protocol's: the verdict lists each deviation, and `harness score`
refuses such a pack unless its scoring config allows deviations. Reads the pack's config and spec.json and
the shipped configs; no model.
"""

from __future__ import annotations

from dataclasses import asdict
from functools import lru_cache
from typing import Any

import yaml
from pydantic import BaseModel, ConfigDict, ValidationError

from harness.errors import ConfigError
from harness.paths import CONFIG_DIR


class ProtocolCfg(BaseModel):
    model_config = ConfigDict(extra="forbid")

    name: str
    repeats: int
    max_samples: int | None = None
    suites: list[str]
    whole_sections: list[str] = []
    reference: str = "shipped"


def load_protocol(name: str) -> ProtocolCfg:
    path = CONFIG_DIR / "protocol" / f"{name}.yaml"
    if not path.is_file():
        have = sorted(p.stem for p in (CONFIG_DIR / "protocol").glob("*.yaml"))
        raise ConfigError(f"no protocol {name!r} (have {have})", file=path, field="verify.protocol")
    try:
        return ProtocolCfg.model_validate(yaml.safe_load(path.read_text()))
    except ValidationError as err:
        first = err.errors()[0]
        raise ConfigError(first["msg"], file=path, field=".".join(map(str, first["loc"]))) from None


@lru_cache(maxsize=1)
def _shipped() -> dict[str, Any]:
    """Every shipped benchmark config, composed and resolved as a run would (effective generation settings)."""
    from harness.config.catalog import benchmarks_in_section
    from harness.config.compose import compose
    from harness.config.spec import build_run_spec

    names = sorted({n for sec in ("nia", "global_common", "individual") for n in benchmarks_in_section(sec)})
    cfg = compose("run", ["suite=nia", "model=tiny"] + [f"+benchmark@suite.benchmarks.{n}={n}" for n in names if n not in benchmarks_in_section("nia")])
    return {b.name: b for b in build_run_spec(cfg).benchmarks}


def _reference(b: Any) -> dict[str, Any]:
    return {"task": b.task, "metric": b.metric, "num_fewshot": b.num_fewshot, "generation": asdict(b.generation),
            "revisions": {d.id: d.revision for d in b.datasets}}


def deviations(config: dict[str, Any], spec_doc: dict[str, Any], protocol: ProtocolCfg) -> list[str]:
    """Every way the pack departs from the protocol, in words a verifier can act on (empty: it follows it)."""
    from harness.config.catalog import benchmarks_in_section

    out = []
    if int(spec_doc.get("repeats", -1)) != protocol.repeats:
        out.append(f"{spec_doc.get('repeats')} runs, the protocol asks {protocol.repeats} (run.repeats)")
    if spec_doc.get("max_samples") != protocol.max_samples:
        out.append(f"a sample limit of {spec_doc.get('max_samples')} (run.max_samples), the protocol has {protocol.max_samples}")
    suite = spec_doc.get("suite")
    if suite not in protocol.suites:
        out.append(f"suite {suite!r} is not one of the protocol's {protocol.suites}")
    if suite in protocol.whole_sections:
        missing = sorted(set(benchmarks_in_section(suite)) - set(spec_doc["benchmarks"]))
        if missing:
            out.append(f"suite {suite} without {missing} (suite.only)")
    per_benchmark = ((config.get("run") or {}).get("per_benchmark")) or {}
    if per_benchmark:
        out.append(f"generation overridden per benchmark (run.per_benchmark: {sorted(per_benchmark)})")
    shipped = _shipped()
    ran = ((config.get("suite") or {}).get("benchmarks")) or {}
    for name, meta in sorted(spec_doc["benchmarks"].items()):
        if name not in shipped:
            out.append(f"{name}: not a benchmark the protocol knows (no shipped config)")
            continue
        ref = _reference(shipped[name])
        got = {"task": meta.get("task"), "metric": meta.get("metric"), "generation": meta.get("generation") or {},
               "num_fewshot": (ran.get(name) or {}).get("num_fewshot", ref["num_fewshot"]),
               "revisions": {d.get("id"): d.get("revision") for d in (ran.get(name) or {}).get("datasets") or []} or ref["revisions"]}
        for key in ("task", "metric", "num_fewshot"):
            if got[key] != ref[key]:
                out.append(f"{name}: {key} {got[key]!r}, the shipped config has {ref[key]!r}")
        for key in sorted(set(ref["generation"]) | set(got["generation"])):
            if got["generation"].get(key) != ref["generation"].get(key):
                out.append(f"{name}: generation {key} {got['generation'].get(key)!r}, the shipped config has {ref['generation'].get(key)!r}")
        for ds, rev in ref["revisions"].items():
            if got["revisions"].get(ds, rev) != rev:
                out.append(f"{name}: dataset {ds} at revision {got['revisions'].get(ds)!r}, the shipped config pins {rev!r}")
    return out
