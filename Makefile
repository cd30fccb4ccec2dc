# The two commands of the README: `make report` and `make test`. Both set up .venv first.
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed
AS_OF  ?= 2017-12-31
DATA   ?= completejourney
OUT    ?= reports

.PHONY: setup report test test-fast lab bench clean

setup: $(STAMP)

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --upgrade pip
	$(BIN)/python -m pip install -e '.[test,spark]'
	$(BIN)/python -m pip check
	touch $(STAMP)

report: $(STAMP)
	$(BIN)/python -m userops report --data $(DATA) --as-of $(AS_OF) --out $(OUT)

test: $(STAMP)
	$(BIN)/python -m pytest -n 2

test-fast: $(STAMP)
	$(BIN)/python -m pytest -m "not slow"

lab: $(STAMP)
	cd notebooks && ../$(BIN)/jupyter lab

bench: $(STAMP)
	$(BIN)/python benchmarks/bench_rfm.py
	$(BIN)/python benchmarks/bench_features.py
	$(BIN)/python benchmarks/bench_effects.py

clean:
	rm -rf $(VENV) $(OUT) .pytest_cache .hypothesis
