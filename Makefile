# The two commands of the README: `make report` and `make test`. Both set up .venv first.
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed
AS_OF  ?= 2017-12-31
DATA   ?= completejourney
OUT    ?= reports
# more arguments of `userops report`, e.g. ARGS="--set lang=ja"
ARGS   ?=
# extra flags for `make lab`, e.g. LAB_FLAGS="--no-browser --port 8899"; as root (uid 0, e.g. in a
# container) --allow-root is added
LAB_FLAGS ?=
ROOT_FLAG := $(if $(filter 0,$(shell id -u)),--allow-root)
# notebooks are committed without outputs: the git filter below strips them on `git add`
# (cell ids kept); `make strip-outputs` strips the working copies too
STRIP  := $(abspath $(BIN))/python -m nbstripout --keep-id

.PHONY: setup report test test-fast lab strip-outputs strip-filter bench clean

setup: $(STAMP)

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --upgrade pip
	$(BIN)/python -m pip install -e '.[test,spark]'
	$(BIN)/python -m pip check
	$(MAKE) strip-filter
	touch $(STAMP)

report: $(STAMP)
	$(BIN)/python -m userops report --data $(DATA) --as-of $(AS_OF) --out $(OUT) $(ARGS)

# --dist loadgroup: the Spark tests (xdist_group "spark") share one worker and one SparkSession
test: $(STAMP)
	$(BIN)/python -m pytest -n 2 --dist loadgroup

test-fast: $(STAMP)
	$(BIN)/python -m pytest -m "not slow and not spark"

# rooted at the repository: the notebooks and the artifacts they write to reports/lab are both in view
lab: $(STAMP)
	$(BIN)/jupyter lab --ServerApp.root_dir="$(CURDIR)" --LabApp.default_url=/lab/tree/notebooks $(ROOT_FLAG) $(LAB_FLAGS)

strip-outputs: $(STAMP)
	$(STRIP) notebooks/*.ipynb

# the git side of .gitattributes' `filter=nbstripout` (this clone only; skipped outside a git clone)
strip-filter:
	@if git rev-parse --git-dir >/dev/null 2>&1; then \
	  git config filter.nbstripout.clean '$(STRIP)' && \
	  git config filter.nbstripout.smudge cat && \
	  git config filter.nbstripout.required true && \
	  git config diff.ipynb.textconv '$(STRIP) -t' && \
	  echo "git filter nbstripout set: notebooks are committed without outputs"; \
	else echo "not a git clone: no git filter to set"; fi

bench: $(STAMP)
	$(BIN)/python benchmarks/bench_rfm.py
	$(BIN)/python benchmarks/bench_features.py
	$(BIN)/python benchmarks/bench_effects.py

clean:
	rm -rf $(VENV) $(OUT) .pytest_cache .hypothesis
