# Two commands on a fresh machine: `make demo` and `make test`. Both create .venv and install
# everything they need. torch==2.13.0 is installed first so that no CUDA build is pulled in.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
DEMO_OUT ?= audit-output/demo

.PHONY: demo test lint venv docker-base wheelhouse docker-clean clean reproductions

venv: $(STAMP)

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet torch==2.13.0
	$(BIN)/pip install --quiet -e '.[dev]'
	touch $(STAMP)

demo: $(STAMP)
	$(BIN)/audit --help
	$(BIN)/audit papers
	$(BIN)/audit reproduce B1VZqjAcYX --protocol quick --seeds 3 --runner local --out $(DEMO_OUT)

test: $(STAMP)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/lint-imports
	$(BIN)/pytest -ra

lint: $(STAMP)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/lint-imports

# audit/base:offline from Debian packages alone (debootstrap → docker import), for machines that
# reach no image registry. Needs root, debootstrap and a running Docker engine.
docker-base:
	bash reproducers/docker/build_base.sh

# Wheels for air-gapped image builds (torch 2.13.0 CPU and the worker's runtime set), into
# $$AUDIT_WHEELHOUSE or .cache/wheelhouse.
wheelhouse: $(STAMP)
	$(BIN)/python -m reproducers.docker.wheelhouse

# Containers left by a killed run (SIGTERM skips the cleanup Ctrl-C does) and old reproduction images.
docker-clean:
	docker ps -aq --filter label=audit.run | xargs -r docker rm -f
	docker images -q --filter label=audit.image | xargs -r docker rmi -f

# The published reproductions in docs/reproductions/ (its README says what ran where and how long it
# took). Hours on a CPU; resumable (rerun after a stop). The data: put the four MNIST files into
# $$AUDIT_DATA_DIR/mnist/ on a machine without network. A discussion.md already in a folder is kept.
# SNIP trains LeNet-300-100 only (--model): LeNet-5-Caffe is about 9 CPU-hours per seed (docs/benchmarks.md).
LTH_SEEDS ?= 5
SNIP_SEEDS ?= 5
REPRO_JOBS ?= 2
reproductions: $(STAMP)
	$(BIN)/audit reproduce rJl-b3RcF7 --protocol paper --seeds $(LTH_SEEDS) --runner local --jobs $(REPRO_JOBS) --out docs/reproductions/lth-paper
	$(BIN)/audit reproduce B1VZqjAcYX --protocol paper --model lenet_300_100 --seeds $(SNIP_SEEDS) --runner local --jobs $(REPRO_JOBS) --out docs/reproductions/snip-paper

clean:
	rm -rf $(VENV) build *.egg-info .pytest_cache .ruff_cache

# Full-page PNGs of rendered reports at 1280 px, for reviewers, after the headless-browser check
# (console errors, images, tables wider than the page). Needs Chromium (Debian: apt-get install
# chromium; or AUDIT_CHROMIUM=/path/to/chrome). Example, after `make demo`:
#   make screenshots REPORTS="audit-output/demo/report.html" SHOTS=audit-output/screenshots
.PHONY: screenshots
REPORTS ?= $(DEMO_OUT)/report.html
SHOTS ?= audit-output/screenshots
screenshots: $(STAMP)
	$(BIN)/python -m reports.browser $(REPORTS) --out $(SHOTS)
