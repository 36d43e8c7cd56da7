# privacy-assistant: `make serve` and `make test` work from a fresh clone.
PY      ?= python3
VENV    := .venv
BIN     := $(VENV)/bin
# The venv is rebuilt only when pyproject.toml changes (stamp named by its hash).
STAMP   := $(VENV)/.stamp-$(shell sha1sum pyproject.toml 2>/dev/null | cut -c1-12)
SYSTEM_PACKAGES := chromium chromium-driver fonts-noto-cjk nginx
# Named by the package list, so adding a package makes `make system` run again.
SYSTAMP := $(VENV)/.stamp-system-$(shell echo "$(SYSTEM_PACKAGES)" | sha1sum | cut -c1-8)
HOST    ?= 127.0.0.1
PORT    ?= 8000

.PHONY: help setup system serve test test-fast lint eval bench soak clean

help: ## list targets
	@grep -E '^[a-z-]+:.*## ' $(MAKEFILE_LIST) | awk -F':.*## ' '{printf "  make %-10s %s\n", $$1, $$2}'

setup: $(STAMP) ## create the venv and install the project (once)

$(STAMP): pyproject.toml
	test -x $(BIN)/python || $(PY) -m venv $(VENV)
	$(BIN)/python -m pip install -q --upgrade pip
	$(BIN)/python -m pip install -q -e ".[dev,bench]"
	rm -f $(VENV)/.stamp-[0-9a-f]*
	touch $@

system: $(SYSTAMP) ## install Debian's chromium, chromium-driver, CJK fonts (browser tests) and nginx (proxy test), once

$(SYSTAMP):
	@mkdir -p $(VENV)
	@if [ -x /usr/bin/chromium ] && [ -x /usr/bin/chromedriver ] && fc-list 2>/dev/null | grep -qi "noto.*cjk" && [ -x /usr/sbin/nginx ]; then \
		echo "system packages present"; \
	else \
		command -v apt-get >/dev/null || { echo "need apt-get to install $(SYSTEM_PACKAGES)"; exit 1; }; \
		SUDO=$$( [ "$$(id -u)" = 0 ] || echo sudo ); \
		$$SUDO apt-get update -qq && DEBIAN_FRONTEND=noninteractive $$SUDO apt-get install -y -qq --no-install-recommends $(SYSTEM_PACKAGES) >/dev/null; \
	fi
	touch $@

serve: setup ## migrate, build the index if missing or stale, and serve on $(HOST):$(PORT)
	PA_HOST=$(HOST) PA_PORT=$(PORT) $(BIN)/privacy-assistant serve

lint: setup ## ruff (format and check) and mypy
	$(BIN)/ruff format --check assistant api evals privacy_assistant tests
	$(BIN)/ruff check assistant api evals privacy_assistant tests
	$(BIN)/mypy assistant api evals privacy_assistant

test: setup system lint ## lint, then every test (slow and browser ones included)
	$(BIN)/python -m pytest -q

test-fast: setup ## unit tests only (no model, no browser)
	$(BIN)/python -m pytest -q -m "not slow"

eval: setup ## run the gold suites, English and Japanese (each on its header's corpus); report in reports/eval/
	$(BIN)/privacy-assistant eval --suite evals/suites/gold.jsonl --suite evals/suites/mozilla-en.jsonl --suite evals/suites/ja.jsonl --suite evals/suites/mozilla-ja.jsonl --suite evals/suites/mozilla-en-over-ja.jsonl --report reports/eval

bench: setup ## performance harness; results in reports/bench/
	$(BIN)/python -m evals.bench --out reports/bench

SOAK_SECONDS ?= 300
soak: setup ## 5 minutes of mixed load at concurrency 16 on the real server (not in make test; SOAK_SECONDS=60 for less)
	$(BIN)/python -m evals.soak --seconds $(SOAK_SECONDS) --concurrency 16 --out reports/soak

clean: ## remove built artifacts (keeps the venv)
	rm -rf index/builds index/CURRENT var reports .pytest_cache .mypy_cache .ruff_cache
