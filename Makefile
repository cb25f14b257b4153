# Two commands do all the set-up: `make run` and `make test`.
# `make test` also drives Debian's Chromium for the page tests; run as root, it installs it when missing.
# It also installs a font for Chinese figure labels (fonts-wqy-microhei) as root when there is none.
PY ?= python3.11
VENV := .venv
BIN := $(VENV)/bin
HOST ?= 127.0.0.1
PORT ?= 8000

.PHONY: run test browser fonts lint install install-dev openapi bench fuzz load screenshot clean

$(BIN)/python:
	@command -v $(PY) >/dev/null 2>&1 || { echo "need $(PY) on PATH"; exit 1; }
	$(PY) -m venv $(VENV)
	$(BIN)/python -m pip install -q --upgrade pip

$(VENV)/.installed: pyproject.toml | $(BIN)/python
	$(BIN)/python -m pip install -q -e .
	touch $@

$(VENV)/.installed-dev: pyproject.toml | $(BIN)/python
	$(BIN)/python -m pip install -q -e '.[dev]'
	touch $(VENV)/.installed $@

install: $(VENV)/.installed
install-dev: $(VENV)/.installed-dev

run: install
	$(BIN)/yuejuan serve --host $(HOST) --port $(PORT)

# Two pytest processes: a test waiting on the servers it started leaves the other core to the next test.
# Every test keeps to its own ports, files, PostgreSQL schema and Redis queue; TEST_WORKERS=0 runs one process.
TEST_WORKERS ?= 2
test: install-dev browser fonts
	$(BIN)/python -m pytest -q -n $(TEST_WORKERS)

# The page tests drive Debian's Chromium (/usr/bin/chromium): as root, install it when it is missing.
browser:
	@if [ ! -x /usr/bin/chromium ]; then \
	  if [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then \
	    echo "installing chromium for the page tests"; \
	    apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null; \
	  else \
	    echo "the page tests need /usr/bin/chromium: apt-get install chromium"; \
	  fi; \
	fi

# Figures (the evaluation plot, a job's histogram) are labelled in Chinese when a font can draw it
# (service/plots.py); matplotlib ships none: as root, install Debian's WenQuanYi Micro Hei when none is there.
fonts:
	@if ! fc-list :lang=zh 2>/dev/null | grep -q .; then \
	  if [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then \
	    echo "installing fonts-wqy-microhei for Chinese labels in figures"; \
	    apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq fonts-wqy-microhei >/dev/null; \
	  else \
	    echo "figures keep ASCII labels without a Chinese font: apt-get install fonts-wqy-microhei"; \
	  fi; \
	fi

lint: install-dev
	$(BIN)/ruff check service tests scripts
	$(BIN)/ruff format --check service tests scripts
	$(BIN)/mypy

openapi: install
	$(BIN)/python scripts/export_openapi.py

bench: install
	$(BIN)/python scripts/bench.py

# A real server under 16 concurrent clients: throughput, latency percentiles, memory (scripts/load.py).
load: install
	$(BIN)/python scripts/load.py

# The suite fuzzes every operation with a few fixed examples; this runs many more, new each time.
FUZZ_EXAMPLES ?= 400
fuzz: install-dev
	YUEJUAN_FUZZ_EXAMPLES=$(FUZZ_EXAMPLES) $(BIN)/python -m pytest -q tests/api/test_fuzz.py

# Screenshots of the self-check page for the README (needs /usr/bin/chromium).
screenshot: install-dev
	$(BIN)/python scripts/screenshot.py

clean:
	rm -rf $(VENV) .pytest_cache .mypy_cache .ruff_cache
