# Two commands do all the set-up: `make demo` and `make test`.
# Both create .venv if it is missing and install what is needed; a second run skips what is done.

PYTHON ?= python3
VENV   ?= .venv
PY      = $(VENV)/bin/python
STAMP   = $(VENV)/.slopefit-installed
# The CPU wheel of torch is installed first and pinned, so that pip never resolves
# the package's own `torch>=2.2` to a multi-GB CUDA build on this kind of machine.
TORCH  ?= torch==2.13.0
FIGURES ?= figures

.PHONY: demo test check docs install browser lint bench bench-loop bench-startup bench-scale bench-load bench-pass bench-playground clean

demo: $(STAMP)
	$(VENV)/bin/slopefit lesson --out $(FIGURES)
	@echo "Figures are in $(abspath $(FIGURES))/"

# every test, in parallel over the machine's cores (at most 4 processes: torchrun tests start their own)
PYTEST_JOBS ?= -n auto --maxprocesses=4

test: $(STAMP) browser
	$(PY) -m pytest -q $(PYTEST_JOBS)

# the fast tier: everything but the tests marked slow (torchrun, a browser, an executed notebook,
# end-to-end runs of several seconds); a couple of minutes on a 2-core machine
check: $(STAMP)
	$(PY) -m pytest -q -m "not slow" $(PYTEST_JOBS)

# The HTML-report tests render pages in Debian's headless chromium. Installed here when missing
# and possible (root, a package registry); otherwise those tests are skipped and say why.
browser:
	@command -v chromium >/dev/null 2>&1 || command -v chromium-browser >/dev/null 2>&1 || \
	  { [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1 && \
	    (apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null) ; } || \
	  echo "note: chromium is not available; the HTML report tests will be skipped"

# the documentation site (English and Korean, the API reference from the docstrings), strict:
# a broken link or reference fails the build; SITE=DIR to build elsewhere
SITE ?= site

docs: $(STAMP)
	NO_MKDOCS_2_WARNING=1 $(PY) -m mkdocs build --strict -q -d $(SITE)
	@echo "The site is in $(abspath $(SITE))/"

install: $(STAMP)

$(PY):
	$(PYTHON) -m venv $(VENV)

$(STAMP): pyproject.toml | $(PY)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet "$(TORCH)"
	$(PY) -m pip install --quiet -e ".[test]"
	touch $(STAMP)

lint: $(STAMP)
	$(PY) -m pip install --quiet ruff mypy
	$(PY) -m ruff check src tests benchmarks
	$(PY) -m mypy src/slopefit --ignore-missing-imports

# every ratio of the README's performance section in one table, each against its baseline measured in
# the same run (start-up, torchrun, a minibatch epoch, the file path, the statistics pass);
# BENCH_ARGS=--quick runs smaller tables in minutes, BENCH_ARGS="--src DIR" times other sources
bench: $(STAMP)
	$(PY) benchmarks/bench_all.py $(BENCH_ARGS)

# the training loop's overhead per epoch against the plainest torch loop
bench-loop: $(STAMP)
	$(PY) benchmarks/bench_training_loop.py

# start-up of a 5-row fit against `import torch`, as a ratio measured in the same run
bench-startup: $(STAMP)
	$(PY) benchmarks/bench_startup.py

bench-scale: $(STAMP)
	$(PY) benchmarks/bench_scale.py

# fitting a file against reading it with pyarrow (1M and 5M rows, CSV and Parquet; files in /tmp)
bench-load: $(STAMP)
	$(PY) benchmarks/bench_load.py

# the statistics pass at its floor (issue 11): compute_stats, fit, a streamed Parquet fit and a minibatch
# epoch, each as a ratio against a baseline measured in the same run; PASS_ARGS="--n 200000" runs small
bench-pass: $(STAMP)
	$(PY) benchmarks/bench_pass.py $(PASS_ARGS)

# 30 learners training at once against one alone, and the page's load time meanwhile
bench-playground: $(STAMP)
	$(PY) benchmarks/bench_playground.py

clean:
	rm -rf $(VENV) $(FIGURES) build src/*.egg-info .pytest_cache $(SITE)
