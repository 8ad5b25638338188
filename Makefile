# evalkit: two commands do all set-up.
#   make reports   set up .venv, render every sample report into reports/ (the run validates the data first:
#                  invalid data stop it with exit 2 and every problem listed, before anything is rendered)
#   make test      set up .venv, run the whole test suite (pytest + nbval over notebooks/), one worker per core
#                  (pytest-xdist; each test file, and so each notebook, stays on one worker)
#   make test-fast the unit tests only (no kernels, renders, end-to-end CLI runs or whole-sample sweeps): under a minute
# Only Python 3.11+ and make are needed; everything else installs into .venv/.

PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed
DATA   ?= data/sample
OUT    ?= reports

.PHONY: reports test test-fast setup kernel lab benchmarks clean

setup: $(STAMP)

# uv installs the stack in seconds; plain pip is the fallback if uv cannot be had.
# Both write the libraries' bytecode (.pyc) at install time: with PYTHONDONTWRITEBYTECODE set (as on some
# machines and CI images) nothing else would, and every process, each kernel server included, would compile
# pandas, scipy and the rest from source on every run (about 3 CPU-seconds each time).
$(STAMP): pyproject.toml Makefile
	@test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	@$(BIN)/python -m pip install --quiet --disable-pip-version-check uv \
	  && $(BIN)/python -m uv pip install --quiet --compile-bytecode --python $(BIN)/python -e ".[test]" \
	  || $(BIN)/python -m pip install --quiet --disable-pip-version-check -e ".[test]"
	@$(BIN)/python -m compileall -q -j 0 evalkit >/dev/null
	@touch $(STAMP)

reports: $(STAMP)
	$(BIN)/evalkit run $(DATA) --out $(OUT)

test: $(STAMP)
	@test -x /usr/bin/chromium || echo "*** WARNING: Chromium is missing: the browser tests (tests/test_browser.py) will NOT run. Get it with: sudo apt-get install chromium ***" >&2
	$(BIN)/python -m pytest -p tests.pytest_startup --nbval --nbval-current-env --nbval-sanitize-with notebooks/nbval_sanitize.cfg -p no:cacheprovider -n auto --dist loadfile --no-loadscope-reorder $(PYTEST_ARGS)

# Unit tests only: tests marked "integration" (kernels, renders, the CLI or a fresh Python process), "package_wide" (every
# module's docstring examples, import scans) or "sample_wide" (in-process sweeps of whole reports or the whole
# sample: every section or figure of a report, every partnership, the portfolio, the README's snippet, the sample
# in another file format) and nbval are left out. Property tests (hypothesis) try 20 generated cases each here,
# 60 in `make test` (profiles in tests/conftest.py).
test-fast: $(STAMP)
	HYPOTHESIS_PROFILE=fast $(BIN)/python -m pytest -p tests.pytest_startup -m "not integration and not package_wide and not sample_wide" -n auto -p no:cacheprovider -p no:nbval -q $(PYTEST_ARGS) tests/

# Register the environment as a Jupyter kernel named "evalkit" for your user.
kernel: $(STAMP)
	$(BIN)/python -m ipykernel install --user --name evalkit --display-name "Python (evalkit)"

lab: $(STAMP)
	$(BIN)/jupyter lab notebooks/

benchmarks: $(STAMP)
	$(BIN)/python benchmarks/bench_stats.py
	$(BIN)/python benchmarks/bench_batch.py --loop-reports 6
	$(BIN)/python benchmarks/bench_figures.py --compare-savefig

clean:
	rm -rf $(VENV) $(OUT) .pytest_cache
