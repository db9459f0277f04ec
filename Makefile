# The two commands a new machine needs: `make run` and `make test`.
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed
TEST_STAMP := $(VENV)/.installed-test
HOST ?= 127.0.0.1
PORT ?= 8000

.PHONY: run test venv bench-load clean

$(PY):
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip

$(STAMP): requirements.txt | $(PY)
	$(PY) -m pip install --quiet -r requirements.txt
	touch $@

$(TEST_STAMP): requirements.txt requirements-test.txt $(STAMP)
	$(PY) -m pip install --quiet -r requirements-test.txt
	touch $@

venv: $(STAMP)

run: $(STAMP)
	$(VENV)/bin/gunicorn --config gunicorn.conf.py --bind $(HOST):$(PORT) app:app

test: $(TEST_STAMP)
	$(PY) -m pytest

bench-load: $(STAMP)
	$(PY) bench/load.py

clean:
	rm -rf $(VENV) instance .pytest_cache
