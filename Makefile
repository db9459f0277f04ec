# The two commands a new machine needs: `make run` and `make test`.
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed
TEST_STAMP := $(VENV)/.installed-test
HOST ?= 127.0.0.1
PORT ?= 8000

.PHONY: run test venv speedups bench-load clean

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

# The compiled retrieval and alignment (compliance/matching/_speedups.c): rebuilt when its source changes.
# Without a C compiler `make run` goes on, on the Python path (the same results, slower).
speedups: $(STAMP)
	$(PY) scripts/build_speedups.py --check

# Batch jobs are worked on inside the service, one worker per core, unless the environment
# says otherwise (COMPLIANCE_BATCH_WORKERS=0, and `python -m compliance worker` elsewhere).
run: $(STAMP)
	@$(PY) scripts/build_speedups.py --check || echo "make run: the compiled retrieval and alignment did not build;" \
	    "screening runs on the Python path (the same results, slower)" >&2
	$(PY) -m compliance keys bootstrap
	COMPLIANCE_BATCH_WORKERS=$${COMPLIANCE_BATCH_WORKERS:-auto} \
	    $(VENV)/bin/gunicorn --config gunicorn.conf.py --bind $(HOST):$(PORT) app:app

test: $(TEST_STAMP) speedups
	$(PY) -m pytest

bench-load: $(STAMP) speedups
	$(PY) bench/load.py

clean:
	rm -rf $(VENV) instance .pytest_cache compliance/matching/_speedups.*.so

# Quality benchmark (bench/quality.py, bench/calibrate.py, bench/make_negatives.py) in its own
# venv: the peers (nomenklatura, sanctions-screening-benchmark) never enter requirements.txt.
# Pass options with BENCH_ARGS, e.g. `make bench-quality BENCH_ARGS="--limit 300"`.
BENCH_VENV := .venv-bench
BENCH_PY := $(BENCH_VENV)/bin/python
BENCH_STAMP := $(BENCH_VENV)/.installed
BENCH_ARGS ?=

.PHONY: bench-venv bench-quality bench-calibrate bench-negatives clean-bench

$(BENCH_PY):
	$(PYTHON) -m venv $(BENCH_VENV)
	$(BENCH_PY) -m pip install --quiet --upgrade pip

$(BENCH_STAMP): requirements.txt bench/requirements-bench.txt | $(BENCH_PY)
	$(BENCH_PY) -m pip install --quiet -r requirements.txt -r bench/requirements-bench.txt
	touch $@

bench-venv: $(BENCH_STAMP)

bench-quality: $(BENCH_STAMP) speedups
	$(BENCH_PY) bench/quality.py $(BENCH_ARGS)

bench-calibrate: $(BENCH_STAMP) speedups
	$(BENCH_PY) bench/calibrate.py $(BENCH_ARGS)

bench-negatives: $(BENCH_STAMP)
	$(BENCH_PY) bench/make_negatives.py

clean-bench:
	rm -rf $(BENCH_VENV)

# Speed benchmark (bench/speed.py): the engine runs in the service venv as in production; the
# nomenklatura logic-v2 yardstick runs in a subprocess with the bench venv's python.
# Retrieval recall against brute force: `.venv/bin/python bench/recall.py`.
.PHONY: bench-speed

bench-speed: $(STAMP) $(BENCH_STAMP) speedups
	$(PY) bench/speed.py --peer-python $(BENCH_PY) $(BENCH_ARGS)
