# evalkit: two commands do all set-up.
#   make reports   set up .venv, validate the sample data, render every sample report into reports/
#   make test      set up .venv, run the whole test suite (pytest + nbval over notebooks/)
# Only Python 3.11+ and make are needed; everything else installs into .venv/.

PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed
DATA   ?= data/sample
OUT    ?= reports

.PHONY: reports test setup kernel lab benchmarks clean

setup: $(STAMP)

# uv installs the stack in seconds; plain pip is the fallback if uv cannot be had.
$(STAMP): pyproject.toml
	@test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	@$(BIN)/python -m pip install --quiet --disable-pip-version-check uv \
	  && $(BIN)/python -m uv pip install --quiet --python $(BIN)/python -e ".[test]" \
	  || $(BIN)/python -m pip install --quiet --disable-pip-version-check -e ".[test]"
	@touch $(STAMP)

reports: $(STAMP)
	$(BIN)/evalkit validate $(DATA)
	$(BIN)/evalkit run $(DATA) --out $(OUT)

test: $(STAMP)
	$(BIN)/python -m pytest --nbval --nbval-current-env --nbval-sanitize-with notebooks/nbval_sanitize.cfg -p no:cacheprovider $(PYTEST_ARGS)

# Register the environment as a Jupyter kernel named "evalkit" for your user.
kernel: $(STAMP)
	$(BIN)/python -m ipykernel install --user --name evalkit --display-name "Python (evalkit)"

lab: $(STAMP)
	$(BIN)/jupyter lab notebooks/

benchmarks: $(STAMP)
	$(BIN)/python benchmarks/bench_stats.py
	$(BIN)/python benchmarks/bench_batch.py --loop-reports 6

clean:
	rm -rf $(VENV) $(OUT) .pytest_cache
