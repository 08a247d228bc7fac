"""Configs compose with Hydra's compose(), and every bad input fails with the file and field named."""

import json
import subprocess
import sys
from pathlib import Path

import pytest

from harness.config.compose import compose
from harness.config.spec import build_run_spec
from harness.models.check import check_model_path
from harness.errors import ConfigError, DataError
from harness.paths import CONFIG_DIR, REPO_ROOT


def spec_for(*overrides):
    cfg = compose("run", list(overrides), return_hydra_config=True)
    return build_run_spec(cfg, dict(cfg.hydra.runtime.choices))


@pytest.mark.parametrize("suite", sorted(p.stem for p in (CONFIG_DIR / "suite").glob("*.yaml")))
def test_every_suite_composes(suite):
    spec = spec_for(f"suite={suite}", "model=tiny")
    assert spec.benchmarks and all(b.task and b.metric for b in spec.benchmarks)


@pytest.mark.parametrize("model", ["vllm", "hf", "openai", "tiny", "default"])
def test_every_model_config_composes(model):
    overrides = [f"model={model}"]
    if model in ("vllm", "hf"):
        overrides.append("model.path=/somewhere/model")
    if model == "openai":
        overrides.append("model.engine_args.model=served-name")
    spec = spec_for(*overrides)
    assert spec.model.engine in ("vllm", "hf", "openai")
    assert spec.model.trust_remote_code is False  # stays off unless a user turns it on


def test_overrides_layer_generation_settings():
    spec = spec_for("model=tiny", "run.generation.temperature=0.3", "+run.per_benchmark.hrm8k_ksm.top_p=0.5")
    gen = {b.name: b.generation for b in spec.benchmarks}
    assert gen["haerae"].temperature == 0.3  # run default where the benchmark sets nothing
    assert gen["hrm8k_ksm"].temperature == 0.8  # the suite's setting for the benchmark wins over the run default
    assert gen["hrm8k_ksm"].top_p == 0.5  # per_benchmark wins over everything
    assert gen["hrm8k_ksm"].max_tokens == 64


def test_run_id_is_stable_and_follows_the_config():
    a, b = spec_for("model=tiny"), spec_for("model=tiny")
    c = spec_for("model=tiny", "run.seed=99")
    assert a.run_id == b.run_id != c.run_id
    assert spec_for("model=tiny", "out=/tmp/x").out_dir == Path("/tmp/x")


def test_repeats_below_one_names_the_run_file():
    with pytest.raises(ConfigError) as err:
        spec_for("model=tiny", "run.repeats=0")
    assert err.value.field == "run.repeats" and err.value.file.endswith("configs/run/default.yaml")


def test_unknown_benchmark_in_selection():
    with pytest.raises(ConfigError) as err:
        spec_for("model=tiny", "+suite.only=[nope]")
    assert err.value.field == "suite.only" and "nope" in str(err.value)


def test_unknown_generation_setting():
    with pytest.raises(ConfigError) as err:
        spec_for("model=tiny", "+suite.benchmarks.haerae.generation.temprature=1")
    assert "temprature" in str(err.value) and err.value.file.endswith("benchmark/haerae.yaml")


def test_missing_model_path_is_named():
    with pytest.raises(ConfigError) as err:
        spec_for("model=vllm")
    assert err.value.field == "model.path"


@pytest.mark.parametrize("layout", ["absent", "no_config", "bad_config", "no_weights"])
def test_model_directory_problems(tmp_path, layout):
    d = tmp_path / "m"
    if layout != "absent":
        d.mkdir()
    if layout == "bad_config":
        (d / "config.json").write_text("{nope")
    if layout == "no_weights":
        (d / "config.json").write_text(json.dumps({"model_type": "llama"}))
    spec = spec_for("model=vllm", f"model.path={d}")
    with pytest.raises(ConfigError) as err:
        check_model_path(spec.model)
    assert err.value.field == "model.path" and err.value.file.endswith("configs/model/vllm.yaml")


def test_unknown_task_and_unknown_metric_fail_before_any_model(tmp_path):
    from harness.benchmarks.factory import load_benchmark
    from harness.benchmarks.data import DatasetResolver

    spec = spec_for("model=tiny", "suite.benchmarks.haerae.task=no_such_task")
    bench = next(b for b in spec.benchmarks if b.name == "haerae")
    with pytest.raises(ConfigError) as err:
        load_benchmark(bench, DatasetResolver(spec.data, {}))
    assert err.value.field == "suite.benchmarks.haerae.task" and err.value.file.endswith("benchmark/haerae.yaml")

    spec = spec_for("model=tiny", "suite.benchmarks.haerae.metric=f1")
    bench = next(b for b in spec.benchmarks if b.name == "haerae")
    with pytest.raises(ConfigError, match="unknown metric 'f1'") as err:
        load_benchmark(bench, DatasetResolver(spec.data, {}))
    assert err.value.field == "suite.benchmarks.haerae.metric"


def test_malformed_sample_data_names_file_and_line(tmp_path):
    from harness.benchmarks.factory import load_benchmark
    from harness.benchmarks.data import DatasetResolver

    root = tmp_path / "mirror"
    d = root / "HAERAE-HUB" / "HRM8K" / "KSM"
    d.mkdir(parents=True)
    (d / "test.jsonl").write_text('{"question": "1+1?", "answer": "2"}\n{"question": "broken"\n')
    spec = spec_for("model=tiny", "data=default", f"data.root={root}", "data.source=mirror", "+suite.only=[hrm8k_ksm]")
    with pytest.raises(DataError) as err:
        load_benchmark(spec.benchmarks[0], DatasetResolver(spec.data, {}))
    assert err.value.file == str(d / "test.jsonl") and "line 2" in str(err.value)


def _cli(*args, timeout=120):
    return subprocess.run(
        [sys.executable, "-m", "harness.cli", "run", *args], capture_output=True, text=True, timeout=timeout, cwd=REPO_ROOT
    )


@pytest.mark.parametrize(
    "args, needle",
    [
        (["model=tiny", "run.repeats=0"], "run.repeats"),
        (["model=vllm", "model.path=/no/such/model"], "model.path"),
        (["model=tiny", "suite.benchmarks.haerae.task=no_such_task"], "suite.benchmarks.haerae.task"),
        (["model=tiny", "suite.benchmarks.hrm8k_ksm.metric=bleu"], "suite.benchmarks.hrm8k_ksm.metric"),
        (["suite=no_such_suite"], "suite"),
    ],
)
def test_cli_exits_2_with_the_field_named_and_loads_no_model(tmp_path, tiny_model_dir, args, needle):
    out = tmp_path / "pack"
    res = _cli(*args, f"out={out}")
    assert res.returncode == 2, res.stderr[-2000:]
    assert needle in res.stderr
    assert "vllm" not in res.stderr.lower() or "Initializing" not in res.stderr  # no engine started
    assert not (out / "records").exists()


def test_stop_strings_are_a_setting_per_benchmark():
    """mmlu_pro's config drops lm-eval's "Question:" stop string (it cuts thinking traces); `stop` set per benchmark
    replaces the task's `until`, and unset keeps it."""
    from harness.benchmarks.data import DatasetResolver
    from harness.benchmarks.factory import build_samples, load_benchmarks
    from harness.benchmarks.requests import generation_request

    def stops(*overrides):
        spec = spec_for("suite=global_common", "data=sample", "model=tiny", "+suite.only=[mmlu_pro]", *overrides)
        bench = spec.benchmarks[0]
        sample = build_samples(load_benchmarks(spec.benchmarks, DatasetResolver(spec.data, {})), None, 1)["mmlu_pro"][0]
        task_until = sample.requests[0].gen_kwargs.get("until")
        return task_until, generation_request(sample.requests[0].prompt, sample.requests[0].gen_kwargs, bench.generation, 1, 0).stop

    until, stop = stops()
    assert until == ["Question:"] and stop == ()
    assert stops("+run.per_benchmark.mmlu_pro.stop=[Q:]")[1] == ("Q:",)
    _, kept = stops("suite.benchmarks.mmlu_pro.generation.stop=null")
    assert kept == tuple(until)
