# Entry points; each one sets up everything it needs on a fresh machine.
#   make study   - the whole study on config/config.yaml, locally
#   make energy  - config/energy.yaml: score and energy models side by side (docs/energy.md)
#   make scan    - the parameter scans of config/scan.yaml (docs/scans.md), locally
#   make chain   - the lattice study on config/chain.yaml alone (docs/chain.md)
#   make test    - the test suite (what .ci/run calls)
#   make cl-failure - the study config/cl-failure.yaml (where CL is right and where it is wrong) alone
#   make heldout - the default study and its held-out points, config/heldout.yaml (docs/accuracy.md)
# and, for the edit-test loop, make test-fast: the unit tests (no workflow runs, no long trainings), under a minute.
PY      := .venv/bin/python
CORES   ?= 2
STAMP   := .venv/.installed

.PHONY: study cl-failure heldout energy scan chain test test-fast setup report clean

$(STAMP): requirements.txt pyproject.toml
	python3 -m venv .venv
	$(PY) -m pip install -q --upgrade pip
	$(PY) -m pip install -q -r requirements.txt
	$(PY) -m pip install -q --no-deps --no-build-isolation -e .
	touch $@

setup: $(STAMP)

study: $(STAMP)
	$(PY) -m snakemake --workflow-profile workflow/profiles/default --cores $(CORES)

cl-failure: $(STAMP)
	$(PY) -m snakemake --workflow-profile workflow/profiles/default --cores $(CORES) \
		--configfile config/cl-failure.yaml --replace-workflow-config

heldout: $(STAMP)
	$(PY) -m snakemake --workflow-profile workflow/profiles/default --cores $(CORES) --configfile config/heldout.yaml

energy: $(STAMP)
	$(PY) -m snakemake --workflow-profile workflow/profiles/default --cores $(CORES) --configfile config/energy.yaml

scan: $(STAMP)
	$(PY) -m snakemake scans --workflow-profile workflow/profiles/default --cores $(CORES) --configfile config/scan.yaml

chain: $(STAMP)
	$(PY) -m snakemake --workflow-profile workflow/profiles/default --configfile config/chain.yaml \
		--replace-workflow-config --cores $(CORES)

report: $(STAMP)
	$(PY) -m snakemake --workflow-profile workflow/profiles/default --report results/report.html

test: $(STAMP)
	$(PY) -m pytest

test-fast: $(STAMP)
	$(PY) -m pytest -m "not slow"

clean:
	rm -rf results .snakemake
