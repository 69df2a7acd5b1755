# Entry points; each one sets up everything it needs on a fresh machine.
#   make study   - the whole study on config/config.yaml, locally
#   make chain   - the lattice study on config/chain.yaml alone (docs/chain.md)
#   make test    - the test suite (what .ci/run calls)
# and, for the edit-test loop, make test-fast: the unit tests (no workflow runs), under a minute.
PY      := .venv/bin/python
CORES   ?= 2
STAMP   := .venv/.installed

.PHONY: study chain test test-fast setup report clean

$(STAMP): requirements.txt pyproject.toml
	python3 -m venv .venv
	$(PY) -m pip install -q --upgrade pip
	$(PY) -m pip install -q -r requirements.txt
	$(PY) -m pip install -q --no-deps --no-build-isolation -e .
	touch $@

setup: $(STAMP)

study: $(STAMP)
	.venv/bin/snakemake --workflow-profile workflow/profiles/default --cores $(CORES)

chain: $(STAMP)
	$(PY) -m snakemake --workflow-profile workflow/profiles/default --configfile config/chain.yaml \
		--replace-workflow-config --cores $(CORES)

report: $(STAMP)
	.venv/bin/snakemake --workflow-profile workflow/profiles/default --report results/report.html

test: $(STAMP)
	$(PY) -m pytest

test-fast: $(STAMP)
	$(PY) -m pytest -m "not slow"

clean:
	rm -rf results .snakemake
