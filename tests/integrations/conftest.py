"""The real local OpenAI-compatible server, started once per run for the tests that need it."""

from __future__ import annotations

import os
from collections.abc import Iterator

import pytest

from evals.llm_local import LocalLLM, serve_local_llm, unavailable_reason


@pytest.fixture(scope="session")
def local_llm(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LocalLLM]:
    """llama.cpp's server over the Gemma 3 270M GGUF on a loopback port; skipped when `make llm-local`
    has not run, except under CI, where a skip would let the generative path go untested."""
    reason = unavailable_reason()
    if reason:
        if os.environ.get("CI", "").lower() in ("1", "true", "yes"):
            pytest.fail(f"{reason} (CI runs `make test`, which builds it first)")
        pytest.skip(reason)
    with serve_local_llm(log_dir=tmp_path_factory.mktemp("llm-server")) as llm:
        yield llm
