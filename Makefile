# Two commands do all the set-up on a fresh machine (Python 3.11 and make):
#   make run    full refresh on the bundled sample snapshot, ending with gated releases
#   make test   the whole test suite
SHELL := /bin/bash
PYTHON ?= python3
UV_VERSION := 0.13.9
UV := $(shell command -v uv 2>/dev/null || echo .tools/bin/uv)
export DATA_CYMRU_HOME ?= $(CURDIR)/data
export DAGSTER_HOME ?= $(CURDIR)/.dagster_home
export UV_LINK_MODE ?= copy
# Installed packages are compiled to bytecode once, at install: where Python may not write
# __pycache__ (PYTHONDONTWRITEBYTECODE, a read-only install) every command would otherwise
# compile Dagster and dbt again as it starts, which is half of `dagster definitions validate`.
export UV_COMPILE_BYTECODE ?= 1

.PHONY: install run test lint ui ui-live snapshot dbt-manifest docs bench audit clean i18n

.tools/bin/uv:
	$(PYTHON) -m venv .tools
	.tools/bin/pip install --quiet uv==$(UV_VERSION)

.venv/.installed: pyproject.toml uv.lock Makefile | $(UV)
	$(UV) sync --frozen --python $(PYTHON)
	@touch $@

# dbt in its own environment: the platform runs it as a command and never imports dbt-core.
DBT_ENV := dbt_env/.venv
$(DBT_ENV)/.installed: dbt_env/pyproject.toml dbt_env/uv.lock Makefile | $(UV)
	UV_PROJECT_ENVIRONMENT=$(CURDIR)/$(DBT_ENV) $(UV) sync --frozen --project dbt_env --python $(PYTHON)
	@touch $@

$(DAGSTER_HOME)/dagster.yaml: dagster.yaml
	@mkdir -p $(DAGSTER_HOME)
	cp dagster.yaml $@

install: .venv/.installed $(DBT_ENV)/.installed $(DAGSTER_HOME)/dagster.yaml

run: install dbt-manifest
	$(UV) run datacymru refresh

# One pytest worker per core; a test file stays on one worker (its module fixtures are built once).
PYTEST_ARGS ?= -n auto --dist loadfile
test: install dbt-manifest
	$(UV) run pytest $(PYTEST_ARGS)

lint: install
	$(UV) run ruff check .

ui: install dbt-manifest  ## the Dagster UI on http://127.0.0.1:3000
	$(UV) run dagster dev -w workspace.yaml

ui-live: install dbt-manifest  ## the UI with every schedule, the intake sensor and the alert sensors on
	DATA_CYMRU_AUTOMATION=on $(UV) run dagster dev -w workspace.yaml

snapshot: install  ## re-record the bundled sample snapshot (deterministic)
	$(UV) run python -m sources.record_snapshot

dbt-manifest: install
	@if [ -d dbt_project/models ]; then $(UV) run python -m orchestration.dbt_prepare; fi

docs: install dbt-manifest  ## dbt docs (lineage, column descriptions) on http://127.0.0.1:8080
	cd dbt_project && ../$(DBT_ENV)/bin/dbt docs generate --profiles-dir . && ../$(DBT_ENV)/bin/dbt docs serve --profiles-dir . --port 8080

bench: install dbt-manifest  ## every speed figure against its baseline; BENCH_ARGS="--scales 10,100" for ×100
	$(UV) run --group bench python bench/bench_all.py $(BENCH_ARGS)

I18N_KEYWORDS := -k both -k N_ -k t -k tr
i18n: install  ## extract every msgid, merge them into the Welsh catalogue, check it is complete
	$(UV) run pybabel extract -F babel.cfg $(I18N_KEYWORDS) --no-location --sort-output \
	  --add-comments=Translators: --project=datacymru --copyright-holder="Data Cymru" \
	  -o sources/locale/messages.pot .
	$(UV) run pybabel update -i sources/locale/messages.pot -d sources/locale -l cy \
	  --no-fuzzy-matching --ignore-obsolete
	$(UV) run python -m sources.i18n_check

clean:
	rm -rf data .dagster_home
