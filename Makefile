# CIFAR-10 tutorial: two commands do everything.
#   make run        set up .venv (first time only), then run the seven notebooks (papermill)
#   make test       set up .venv, then the unit tests and the notebooks under nbval (CI profile)
# More:
#   make test-fast  lint, then the unit tests without the slow ones (what to run after each change)
#   make lint       ruff check and ruff format --check (settings in pyproject.toml); make format fixes
#   make notebooks  re-execute the committed notebooks in place with the full profile, so their
#                   outputs and figures/ come from a real run (trains the quick recipe: minutes)
#   make sync-notebooks  after editing notebooks/NN_name.py, update the paired .ipynb (keeps outputs)
#   make frontier   redraw figures/time_accuracy_frontier.png and the budget's table from the run records
#   make peer       the PyTorch peer (its own .venv-peer) and TensorFlow, same network, timed in one run
#   make lock       re-resolve requirements.txt into requirements.lock (the exact versions installed)
#   make clean      delete run outputs and caches (keeps .venv); make distclean also deletes .venv
# Data: set CIFAR10_DATA=/path/to/cifar10 on machines without internet (see README.md).
# Options: PROFILE=ci|full (make run), PIPELINE_ARGS="--only 01,04 -p EPOCHS=2" (a set EPOCHS replaces notebook 4's time budget), PYTEST_ARGS="-x".

PYTHON3 ?= python3
VENV    := .venv
PY      := $(VENV)/bin/python
STAMP   := $(VENV)/.installed
PROFILE ?= $(or $(CIFAR_PROFILE),full)
PIPELINE_ARGS ?=
PYTEST_ARGS ?=

.PHONY: all lock venv run lint format test test-fast test-unit test-notebooks notebooks sync-notebooks frontier peer clean distclean help
.DEFAULT_GOAL := help

help:
	@awk '/^#/ { sub(/^# ?/, ""); print; next } { exit }' Makefile

# The virtual environment is (re)built from the lock file (the exact versions CI tested) when
# requirements.lock or pyproject.toml is newer than the stamp file; otherwise it is left alone.
$(STAMP): requirements.lock pyproject.toml
	test -x $(PY) || $(PYTHON3) -m venv $(VENV)
	$(PY) -m pip install --disable-pip-version-check --quiet -r requirements.lock
	$(PY) -m pip install --disable-pip-version-check --quiet --no-deps -e .
	touch $(STAMP)

# requirements.lock: resolve requirements.txt in a scratch environment and freeze it.
lock:
	rm -rf .venv-lock && $(PYTHON3) -m venv .venv-lock
	.venv-lock/bin/python -m pip install --disable-pip-version-check --quiet -r requirements.txt
	{ echo "# Exact versions that CI tested (pip freeze of a fresh .venv built from requirements.txt)."; \
	  echo "# Regenerate with \`make lock\` after changing requirements.txt."; \
	  .venv-lock/bin/python -m pip freeze --exclude-editable; } > requirements.lock
	rm -rf .venv-lock

venv: $(STAMP)

run: $(STAMP)
	$(PY) -m cifar_lib pipeline --profile $(PROFILE) $(PIPELINE_ARGS)

LINTED := cifar_lib tests benchmarks tools notebooks/[0-9][0-9]_*.py

lint: $(STAMP)
	$(VENV)/bin/ruff check $(LINTED)
	$(VENV)/bin/ruff format --check $(LINTED)

format: $(STAMP)
	$(VENV)/bin/ruff check --fix $(LINTED)
	$(VENV)/bin/ruff format $(LINTED)

test: lint test-unit test-notebooks

test-unit: $(STAMP)
	CIFAR_PROFILE=ci $(PY) -m pytest $(PYTEST_ARGS)

test-fast: lint
	CIFAR_PROFILE=ci $(PY) -m pytest -m "not slow" $(PYTEST_ARGS)

test-notebooks: $(STAMP)
	CIFAR_PROFILE=ci CIFAR_HEADLESS=1 $(PY) -m pytest --nbval-lax notebooks/ $(PYTEST_ARGS)

notebooks: $(STAMP)
	$(PY) -m cifar_lib pipeline --profile full --in-place $(PIPELINE_ARGS)

sync-notebooks: $(STAMP)
	$(VENV)/bin/jupytext --sync notebooks/[0-9][0-9]_*.py

frontier: $(STAMP)
	$(PY) benchmarks/frontier.py

# PyTorch is not a dependency of the tutorial: the peer gets a venv of its own
# (PIP_INDEX_URL=https://download.pytorch.org/whl/cpu gets the CPU-only build of torch)
peer: $(STAMP)
	test -x .venv-peer/bin/python || ($(PYTHON3) -m venv .venv-peer && \
	  .venv-peer/bin/python -m pip install --disable-pip-version-check --quiet torch==2.13.0 numpy)
	$(PY) benchmarks/speed_table.py --repeats 3

clean:
	rm -rf runs/ test-artifacts/ .pytest_cache/ notebooks/.ipynb_checkpoints/
	find . -path ./$(VENV) -prune -o -name __pycache__ -type d -print | xargs rm -rf

distclean: clean
	rm -rf $(VENV) .venv-peer cifar_lib.egg-info/
