"""The assistant in service, kept on the build `index/CURRENT` names: a new build is swapped in
once it has loaded, and a build that does not load is refused while the previous one serves."""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from pathlib import Path
from typing import Literal

from assistant.errors import DamagedIndexError, IndexNotBuiltError
from assistant.factory import Resources, build_assistant
from assistant.index.builds import POINTER, read_manifest
from assistant.models.embedders import Embedder
from assistant.service import Assistant
from assistant.settings import Settings

log = logging.getLogger(__name__)

# ok: a build is serving. loading: the first load is under way. missing: no build to serve.
# damaged: the build CURRENT names does not load (and none serves). error: the model did not load.
IndexState = Literal["ok", "loading", "missing", "damaged", "error"]
_UNSEEN = (-1, -1, -1)


class ServedAssistant:
    """The assistant over the build in service, or None while there is no loadable build."""

    def __init__(
        self,
        settings: Settings,
        resources: Resources | None,
        embedder: Embedder | None = None,
        assistant: Assistant | None = None,
        build: Callable[[Settings, Embedder | None, Resources | None], Assistant] = build_assistant,
    ) -> None:
        self._settings = settings
        self._resources = resources  # None: each build makes its own (an assistant handed in ready-made)
        self._embedder = embedder
        self._build = build
        self._pointer = Path(settings.index_dir) / POINTER
        self._lock = threading.Lock()
        self._seen: tuple[int, int, int] | None = _UNSEEN
        self.assistant = assistant  # replaced whole, never mutated: a request keeps the one it started with
        self.state: IndexState = "ok" if assistant is not None else "loading"
        self.refused: str | None = None  # the newest build's id when it was refused (details are logged)

    def _stamp(self) -> tuple[int, int, int] | None:
        # The pointer is replaced atomically (a new inode), so a stat tells whether it moved.
        try:
            st = self._pointer.stat()
        except OSError:
            return None
        return (st.st_ino, st.st_mtime_ns, st.st_size)

    def refresh(self) -> bool:
        """Load the build CURRENT names if the pointer changed since the last look (a stat when it
        did not); True when a new build went into service."""
        with self._lock:  # one load at a time; requests never wait on this lock
            stamp = self._stamp()
            if stamp == self._seen:
                return False
            self._seen = stamp
            if stamp is None:
                if self.assistant is None:
                    self.state = "missing"
                return False  # a loaded build keeps serving from memory
            return self._load()

    def _load(self) -> bool:
        index_dir = Path(self._settings.index_dir)
        try:
            manifest = read_manifest(index_dir)
            if self.assistant is not None and manifest.build_id == self.assistant.manifest.build_id:
                return False
            if self._embedder is not None and manifest.model != self._embedder.name:
                raise DamagedIndexError(f"build {manifest.build_id} was made with {manifest.model}, this server embeds with {self._embedder.name}")
            # Without an embedder yet, build_assistant makes one, after the index has loaded.
            assistant = self._build(self._settings, self._embedder, self._resources)
            self._embedder = assistant.retriever.embedder
        except IndexNotBuiltError as exc:
            return self._refuse("damaged" if isinstance(exc, DamagedIndexError) else "missing", exc)
        except (ImportError, OSError) as exc:
            return self._refuse("error", exc)
        except Exception as exc:  # corrupt files may raise anything: refuse the build, keep the worker
            return self._refuse("damaged", exc)
        previous, self.assistant = self.assistant, assistant
        self.state, self.refused = "ok", None
        if previous is None:
            log.info("ready: index %s", manifest.build_id)
        else:
            log.info("index %s now serving (was %s)", manifest.build_id, previous.manifest.build_id)
        return True

    def _refuse(self, state: IndexState, exc: Exception) -> bool:
        try:
            build = self._pointer.read_text(encoding="utf-8", errors="replace").strip()[:80]
        except OSError:
            build = ""
        self.refused = build or None
        if self.assistant is None:
            self.state = state
            log.error("could not load the index: %s: %s", type(exc).__name__, exc)
        else:
            log.error(
                "index build %s refused, %s keeps serving: %s: %s",
                build, self.assistant.manifest.build_id, type(exc).__name__, exc,
            )
        return False
