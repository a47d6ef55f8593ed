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

# The oldest Airflow the provider supports (pyproject's floor: the task state store arrived in 3.3.0),
# in an environment of its own, with the tests that keep state across retries and defer through
# `dag.test()`. Not from uv.lock, which holds the newest Airflow: everything else resolves afresh.
FLOOR_AIRFLOW := 3.3.0
FLOOR_VENV := .venv-floor
FLOOR_STAMP := $(FLOOR_VENV)/.synced
FLOOR_TESTS := tests/test_provider.py tests/batch/test_reattach.py tests/operators/test_batch_operator.py \
	tests/operators/test_fine_tuning_operator.py tests/sensors/test_fine_tuning_sensor.py \
	tests/operators/test_example_dag.py

.PHONY: test-floor

$(FLOOR_STAMP): $(UV) pyproject.toml Makefile
	rm -rf $(FLOOR_VENV)
	$(UV) venv --quiet --python $(PYTHON) $(FLOOR_VENV)
	VIRTUAL_ENV=$(FLOOR_VENV) $(UV) pip install --quiet -e . --group dev "apache-airflow==$(FLOOR_AIRFLOW)"
	touch $(FLOOR_STAMP)

test-floor: $(FLOOR_STAMP)
	$(FLOOR_VENV)/bin/python -c 'import airflow; assert airflow.__version__ == "$(FLOOR_AIRFLOW)", airflow.__version__'
	$(FLOOR_VENV)/bin/python -m pytest $(FLOOR_TESTS)

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
	$(VENV)/bin/python benchmarks/direct_calls.py

bench-upload: $(STAMP)
	$(VENV)/bin/python benchmarks/upload_throughput.py

clean:
	rm -rf $(VENV) $(TOOLS) $(FLOOR_VENV)
