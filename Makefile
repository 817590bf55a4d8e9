# CIFAR-10 tutorial: two commands do everything.
#   make run        set up .venv (first time only), then run the five notebooks (papermill)
#   make test       set up .venv, then the unit tests and the notebooks under nbval (CI profile)
# More:
#   make notebooks  re-execute the committed notebooks in place with the full profile, so their
#                   outputs and figures/ come from a real run (long on a CPU: it trains the model)
#   make clean      delete run outputs and caches (keeps .venv); make distclean also deletes .venv
# Data: set CIFAR10_DATA=/path/to/cifar10 on machines without internet (see README.md).
# Options: PROFILE=ci|full (make run), PIPELINE_ARGS="--only 01,03 -p EPOCHS=2", PYTEST_ARGS="-x".

PYTHON3 ?= python3
VENV    := .venv
PY      := $(VENV)/bin/python
STAMP   := $(VENV)/.installed
PROFILE ?= $(or $(CIFAR_PROFILE),full)
PIPELINE_ARGS ?=
PYTEST_ARGS ?=

.PHONY: all venv run test test-unit test-notebooks notebooks clean distclean help
.DEFAULT_GOAL := help

help:
	@awk '/^#/ { sub(/^# ?/, ""); print; next } { exit }' Makefile

# The virtual environment is (re)built when requirements.txt or pyproject.toml is newer than
# the stamp file; otherwise it is left alone.
$(STAMP): requirements.txt pyproject.toml
	test -x $(PY) || $(PYTHON3) -m venv $(VENV)
	$(PY) -m pip install --disable-pip-version-check --quiet -r requirements.txt
	$(PY) -m pip install --disable-pip-version-check --quiet --no-deps -e .
	touch $(STAMP)

venv: $(STAMP)

run: $(STAMP)
	$(PY) -m cifar_lib pipeline --profile $(PROFILE) $(PIPELINE_ARGS)

test: test-unit test-notebooks

test-unit: $(STAMP)
	CIFAR_PROFILE=ci $(PY) -m pytest $(PYTEST_ARGS)

test-notebooks: $(STAMP)
	CIFAR_PROFILE=ci $(PY) -m pytest --nbval-lax notebooks/ $(PYTEST_ARGS)

notebooks: $(STAMP)
	$(PY) -m cifar_lib pipeline --profile full --in-place $(PIPELINE_ARGS)

clean:
	rm -rf runs/ test-artifacts/ .pytest_cache/ notebooks/.ipynb_checkpoints/
	find . -path ./$(VENV) -prune -o -name __pycache__ -type d -print | xargs rm -rf

distclean: clean
	rm -rf $(VENV) cifar_lib.egg-info/
