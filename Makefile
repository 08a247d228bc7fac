# Two commands on a fresh machine: `make demo` (set up, run the sample suite on the embedded model, write its report)
# and `make test`.
PY ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

$(STAMP): pyproject.toml scripts/setup_env.sh
	bash scripts/setup_env.sh $(PY) $(VENV)
	touch $(STAMP)

.PHONY: setup demo test docker-gpu
setup: $(STAMP)

demo: $(STAMP)
	$(BIN)/harness run suite=sample model=default out=results/demo
	$(BIN)/harness report results/demo out=results/demo-report

test: $(STAMP)
	$(BIN)/python -m pytest -q

# The GPU image (Dockerfile.gpu): vLLM's CUDA image + the harness, IFBench's rules, the agents environment.
IMAGE ?= harness:gpu
docker-gpu:
	docker build -f Dockerfile.gpu -t $(IMAGE) .
