# Two commands do all set-up on a fresh machine: `make demo` and `make test`.
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
DAYS   ?= 7
STAMP  := $(VENV)/.installed

export DAGSTER_HOME ?= $(CURDIR)/.data/dagster_home

.PHONY: install lock demo test lint ui ui-readonly workers bench chaos down status

# constraints.txt pins every package to the versions the suite last passed with: a new release
# upstream (a client library's changed wire protocol, say) cannot break a fresh install.
$(STAMP): pyproject.toml setup.py constraints.txt
	@command -v java >/dev/null || { echo "error: Java (a JRE 17+) is required for Spark; install e.g. openjdk-17-jre-headless" >&2; exit 1; }
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -c constraints.txt -e '.[dev]'
	@# The Spark driver's class-data archive (~50 s; a new session then starts ~3 s sooner).
	$(BIN)/data-platform spark-classes || echo "warning: no Spark class-data archive; sessions start without one" >&2
	@touch $@

install: $(STAMP)

# A fresh resolve of pyproject.toml's ranges into constraints.txt (then run `make test`).
lock:
	rm -rf $(VENV)-lock && $(PYTHON) -m venv $(VENV)-lock
	$(VENV)-lock/bin/pip install --quiet --upgrade pip
	$(VENV)-lock/bin/pip install --quiet -e '.[dev]'
	{ sed -n '1,2p' constraints.txt; $(VENV)-lock/bin/pip freeze --exclude-editable; } > constraints.txt.new
	mv constraints.txt.new constraints.txt && rm -rf $(VENV)-lock

# The instance settings live in the repo; DAGSTER_HOME gets a copy.
$(DAGSTER_HOME)/dagster.yaml: dagster.yaml
	@mkdir -p $(DAGSTER_HOME)
	cp dagster.yaml $@

demo: install $(DAGSTER_HOME)/dagster.yaml
	$(BIN)/data-platform services up
	$(BIN)/data-platform demo --days $(DAYS)

lint: install
	$(BIN)/ruff check .

# Two pytest-xdist processes, each with its own local stack; a test file stays whole in one
# process (`loadfile`: its module fixtures and test order hold), and files start longest
# first (tests/conftest.py's LONGEST_FIRST, kept in that order by --no-loadscope-reorder).
# On 2 cores: 18–23 min (machines differ); the longest file (five simulated days through
# schedules and sensors) ~9 min.
TEST_PROCESSES ?= 2
test: install lint
	$(BIN)/pytest -n $(TEST_PROCESSES) --dist loadfile --no-loadscope-reorder

ui: install $(DAGSTER_HOME)/dagster.yaml
	$(BIN)/data-platform services up
	$(BIN)/dagster dev -h 127.0.0.1 -p 3000 -w workspace.yaml

ui-readonly: install $(DAGSTER_HOME)/dagster.yaml
	$(BIN)/data-platform services up
	$(BIN)/dagster-webserver --read-only -h 127.0.0.1 -p 3001 -w workspace.yaml

# N celery workers on this machine for runs with PLATFORM_EXECUTOR=celery (Ctrl-C stops them).
N ?= 2
workers: install $(DAGSTER_HOME)/dagster.yaml
	$(BIN)/data-platform services up
	@trap 'kill $$pids 2>/dev/null' INT TERM EXIT; pids=""; \
	for i in $$(seq 1 $(N)); do $(BIN)/data-platform worker --name worker$$i & pids="$$pids $$!"; done; \
	wait

# Days pass with the daemon while runs, steps, the daemon, PostgreSQL and Redis are killed -9
# (tests/chaos); not part of `make test` (~30-50 min). SEED picks the moments and the victims.
SEED ?= 1
chaos: install
	CHAOS_SEED=$(SEED) $(BIN)/pytest tests/chaos -m chaos -p no:randomly -p no:cacheprovider -s

bench: install
	$(BIN)/data-platform services up
	$(BIN)/python -m benchmarks

status: install
	$(BIN)/data-platform services status

down:
	@if [ -x $(BIN)/data-platform ]; then $(BIN)/data-platform services down; fi
