# Everything runs inside .venv, built from uv.lock by a uv that lives in .tools/.
PYTHON ?= python3
TOOLS := .tools
UV := $(TOOLS)/bin/uv
VENV := .venv
STAMP := $(VENV)/.synced

.PHONY: demo test e2e lint bench bench-upload clean

$(UV):
	$(PYTHON) -m venv $(TOOLS)
	$(TOOLS)/bin/pip install --quiet --disable-pip-version-check "uv==0.13.9"

$(STAMP): $(UV) pyproject.toml uv.lock
	UV_PROJECT_ENVIRONMENT=$(VENV) $(UV) sync --frozen --quiet
	touch $(STAMP)

demo: $(STAMP)
	$(VENV)/bin/python -m airflow_openai.demo

test: $(STAMP)
	$(VENV)/bin/python -m pytest

# A real deployment (emulator, api-server, scheduler, dag-processor, triggerer) on a temporary
# AIRFLOW_HOME, driven through the REST API; a few minutes. `timeout` only guards against a hang.
e2e: $(STAMP)
	timeout --signal=TERM --kill-after=60 900 $(VENV)/bin/python -m pytest tests/e2e -m e2e -v

lint: $(STAMP)
	$(VENV)/bin/ruff check src tests benchmarks
	$(VENV)/bin/mypy

bench: $(STAMP)
	$(VENV)/bin/python benchmarks/import_cost.py
	$(VENV)/bin/python benchmarks/triggerer.py
	$(VENV)/bin/python benchmarks/batch_results.py
	$(VENV)/bin/python benchmarks/vector_store_sync.py

bench-upload: $(STAMP)
	$(VENV)/bin/python benchmarks/upload_throughput.py

clean:
	rm -rf $(VENV) $(TOOLS)
