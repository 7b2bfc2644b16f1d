# Briefing book: Turkey, the S-400 and the F-35.  Run `make` for the list of targets.
# Everything runs inside .venv, created from requirements.txt on first use.

PYTHON     ?= python3
VENVDIR    ?= .venv
BUILDDIR   ?= _build
JOBS       ?= auto
SPHINXOPTS ?=
PORT       ?= 8000
# Two test workers per core: while one waits (on a build another worker is making, a link-check
# timeout, the browser) the other computes. On 2 cores: idle CPU 50 s -> 2 s in a run of make test.
TEST_JOBS  ?= $(shell $(PYTHON) -c 'import os; print(2 * len(os.sched_getaffinity(0)))')
PAPER      ?=
ALL_OPTS    = -W -n --keep-going -j $(JOBS) $(SPHINXOPTS)
PAPER_OPTS  = $(if $(PAPER),-D briefing_paper=$(PAPER))
VENV_BIN    = $(VENVDIR)/bin
STAMP       = $(VENVDIR)/.installed-requirements
SYSTEM_PACKAGES = $(shell grep -v '^\s*\#' system-packages.txt | grep -v '^\s*$$')

SHELL       := /bin/bash
.SHELLFLAGS := -o pipefail -c
.DEFAULT_GOAL := help
.PHONY: help ensure-venv clean-venv html test livehtml clean pdf brief latexpdf linkcheck bench pin epub \
        chapter review-report lint archive evidence-report audit redline changes

help:  ## List the targets
	@echo "Briefing book targets (variables: PYTHON, VENVDIR, BUILDDIR, JOBS, SPHINXOPTS, PAPER=letter|a4):"
	@grep -E '^[a-z-]+:.*## ' $(MAKEFILE_LIST) | sed -E 's/^([a-z-]+):.*## (.*)/  make \1\t\2/' | expand -t 24

$(STAMP): requirements.txt pyproject.toml
	@$(PYTHON) -c 'import sys; sys.exit(0 if sys.version_info >= (3, 11) else "Python 3.11 or newer is needed; set PYTHON=python3.x")'
	@echo "Creating $(VENVDIR) from requirements.txt, with the book's package (briefing/) in editable mode ..."
	@rm -rf $(VENVDIR)
	@if command -v uv >/dev/null 2>&1; then \
	    uv venv -q --python $(PYTHON) $(VENVDIR) && uv pip install -q --python $(VENV_BIN)/python -r requirements.txt \
	        && uv pip install -q --python $(VENV_BIN)/python --no-deps -e .; \
	else \
	    $(PYTHON) -m venv $(VENVDIR) && $(VENV_BIN)/python -m pip install -q --disable-pip-version-check -r requirements.txt \
	        2>&1 | { grep -v "^WARNING: Location 'file:" || true; } \
	    && $(VENV_BIN)/python -m pip install -q --disable-pip-version-check --no-deps -e . \
	        2>&1 | { grep -v "^WARNING: Location 'file:" || true; }; \
	fi
	@touch $@

ensure-venv: $(STAMP)  ## Create .venv from requirements.txt when missing or older than it

clean-venv:  ## Remove .venv (the next target re-creates it)
	rm -rf $(VENVDIR)

html: ensure-venv  ## Build the HTML briefing into _build/html and print where to open it
	@$(VENV_BIN)/python tools/build.py html --builddir $(BUILDDIR) -- $(ALL_OPTS)

test: ensure-venv  ## Run the test suite (offline: builds, links, citations, PDF, browser) on every core (TEST_JOBS workers, default two per core)
	@$(VENV_BIN)/python -m pytest -n $(TEST_JOBS) --dist loadgroup $(PYTEST_ARGS)

livehtml: ensure-venv  ## Live preview on http://127.0.0.1:$(PORT) that rebuilds on save
	$(VENV_BIN)/sphinx-autobuild --host 127.0.0.1 --port $(PORT) -n --keep-going . $(BUILDDIR)/html

pdf: ensure-venv  ## Build the PDF briefing into _build/pdf/briefing.pdf (PAPER=a4 for A4; Letter by default)
	@$(VENV_BIN)/python tools/build.py pdf --builddir $(BUILDDIR) -- $(ALL_OPTS) $(PAPER_OPTS)

brief: ensure-venv  ## Build the two-page meeting brief into _build/brief/brief.pdf (PAPER=a4 for A4)
	@$(VENV_BIN)/python tools/build.py brief --builddir $(BUILDDIR) -- -W -n --keep-going $(SPHINXOPTS) $(PAPER_OPTS)

latexpdf: pdf

epub: ensure-venv  ## Build an EPUB into _build/epub
	@$(VENV_BIN)/python tools/build.py epub --builddir $(BUILDDIR) -- $(ALL_OPTS)

linkcheck: ensure-venv  ## Check every external link on the web (needs network; CHANGED=1: only new links)
	@$(VENV_BIN)/python tools/linkcheck.py --builddir $(BUILDDIR) $(if $(CHANGED),--changed)

archive: ensure-venv  ## Add archived-copy URLs to references.bib from the Wayback Machine (needs network; SAVE=1 requests captures)
	@$(VENV_BIN)/python tools/archive.py $(if $(SAVE),--save)

bench: ensure-venv  ## Benchmark build and test times; prints a table
	@$(VENV_BIN)/python tools/bench.py

lint: ensure-venv  ## Run every lint hook of .pre-commit-config.yaml on all files (whitespace, YAML, spelling, unsafe HTML, ruff)
	$(VENV_BIN)/pre-commit run --all-files --show-diff-on-failure

pin: ensure-venv  ## Regenerate requirements.txt (exact pins) from requirements.in with pip-compile
	CUSTOM_COMPILE_COMMAND="make pin" $(VENV_BIN)/pip-compile --quiet --no-annotate --strip-extras \
	    --no-emit-index-url --no-emit-find-links --output-file requirements.txt requirements.in

redline: ensure-venv  ## Redline PDF against an edition: make redline FROM=<git ref> (default: previous edition) -> _build/redline/redline.pdf
	@$(VENV_BIN)/python tools/redline.py $(if $(FROM),--from $(FROM)) --out $(BUILDDIR)/redline/redline.pdf

changes: ensure-venv  ## Recompute data/changes.json ("Changes in this edition" page) from git and data/editions.yaml
	@$(VENV_BIN)/python tools/changes.py

evidence-report: ensure-venv  ## Per chapter: citations, passages, citations without passage, uncited sentences
	@$(VENV_BIN)/python tools/evidence_report.py

chapter: ensure-venv  ## New chapter from the template: make chapter TITLE="Title"
	@$(VENV_BIN)/python tools/chapter.py "$(TITLE)"

review-report: ensure-venv  ## List chapters by review date; flag those older than MAX_AGE days (90)
	@$(VENV_BIN)/python tools/review_report.py --max-age-days $(or $(MAX_AGE),90)

AUDIT_NPM = tools/audit/node_modules/.package-lock.json
$(AUDIT_NPM): tools/audit/package.json tools/audit/package-lock.json
	cd tools/audit && npm ci --no-audit --no-fund
	@touch $@

audit: html $(AUDIT_NPM)  ## Lighthouse + pa11y on the built HTML with Chromium (needs node, npm; not in make test)
	@$(VENV_BIN)/python tools/site_audit.py --builddir $(BUILDDIR) --report-dir $(BUILDDIR)/audit

clean:  ## Remove build output (keeps .venv)
	rm -rf $(BUILDDIR) test-artifacts
