# The same commands are used by the README, by CI (.ci/run) and by developers.
PYTHON ?= python3
VENV ?= .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed-stamp

.PHONY: install demo test test-fast lint bench fixtures clean

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -e '.[dev,dask,nle,plot]'
	touch $(STAMP)

# The package's bytecode, as pip writes it when it installs a wheel: an editable install leaves that to the
# first import, which does not write it where PYTHONDONTWRITEBYTECODE is set (this machine), so every run would
# compile syncmm's ~50 modules again (~75 ms).  Only stale files are compiled.
install: $(STAMP)
	@$(PY) -m compileall -q syncmm

demo: install
	@echo "syncmm align fixtures/ref.flac fixtures/other.m4a   (truth: +2.345678 s)"
	@$(VENV)/bin/syncmm align fixtures/ref.flac fixtures/other.m4a

test: install
	$(PY) -m pytest -q

test-fast: install
	$(PY) -m pytest -q -m "not slow"

lint: install
	$(VENV)/bin/ruff check syncmm tests bench fixtures
	$(VENV)/bin/ruff format --check syncmm tests bench fixtures

bench: install
	$(PY) bench/run_all.py

fixtures: install
	$(PY) fixtures/make_fixtures.py

clean:
	rm -rf $(VENV) .pytest_cache .ruff_cache bench/work
