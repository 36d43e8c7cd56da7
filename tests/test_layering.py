"""The import contract: dependencies run one way, `privacy_assistant` -> `evals` -> `api` -> `assistant`.

Every module of a package is read with `ast` (nothing is imported), and these count as importing
a package: `import x`, `from x import y`, a relative import that resolves to it, any call of an
importer (`importlib.import_module`, `__import__`, `import_from_string`, ...) with a string naming it,
and any string that is a dotted or `module:attribute` path into it (`"api.main:create_app"`, which
uvicorn imports). The console script's package, `privacy_assistant`, is the only one that imports
all three; nothing imports it.

LangChain (every `langchain*` package) is imported only in `assistant/integrations/`, and in the
benchmark's baseline, the LangChain tutorial retriever it compares against."""

from __future__ import annotations

import ast
import fnmatch
import re
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent

# The packages each one must never import, statically or by string.
FORBIDDEN: dict[str, frozenset[str]] = {
    "assistant": frozenset({"api", "evals", "privacy_assistant"}),
    "api": frozenset({"evals", "privacy_assistant"}),
    "evals": frozenset({"privacy_assistant"}),
}

# LangChain's packages (langchain_core, langchain_openai, langchain_community, ...), and the only modules that may import them.
LANGCHAIN = frozenset({"langchain", "langchain_*"})
LANGCHAIN_ALLOWED = ("assistant/integrations/*", "evals/bench_baseline.py")

# Functions that import the module named by their string argument.
IMPORTERS = frozenset({"import_module", "__import__", "import_from_string", "import_string", "find_spec", "load_module"})
# A whole string that is a module path: `pkg.mod`, `pkg.mod:attr` or `pkg:attr` (a bare word such as the
# channel name "api" is not one).
MODULE_PATH = re.compile(r"(?P<top>[A-Za-z_]\w*)(?:(?:\.\w+)+(?::[\w.]+)?|:[\w.]+)")


def _module_name(path: Path, root: Path) -> tuple[str, bool]:
    """The dotted name of the module at `path` under `root`, and whether it is a package's __init__."""
    parts = list(path.relative_to(root).with_suffix("").parts)
    is_package = parts[-1] == "__init__"
    if is_package:
        parts.pop()
    return ".".join(parts), is_package


def _resolve(node: ast.ImportFrom, module: str, is_package: bool) -> list[str]:
    """The absolute module names a `from ... import ...` can import (the module, and each name as a submodule)."""
    if node.level == 0:
        base = node.module or ""
    else:
        package = module.split(".") if is_package else module.split(".")[:-1]
        # Beyond the top package Python raises; what is named there is a top-level package, so check it as one.
        kept = package[: max(len(package) - (node.level - 1), 0)]
        base = ".".join([*kept, *([node.module] if node.module else [])])
    names = [base] if base else []
    names += [f"{base}.{a.name}" if base else a.name for a in node.names if a.name != "*"]
    return names


def _call_name(node: ast.Call) -> str:
    func = node.func
    if isinstance(func, ast.Name):
        return func.id
    if isinstance(func, ast.Attribute):
        return func.attr
    return ""


def import_violations(path: Path, root: Path, forbidden: frozenset[str]) -> list[str]:
    """Each place in the module at `path` (inside `root`) that imports one of the `forbidden` top-level packages."""
    module, is_package = _module_name(path, root)
    tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
    where = path.relative_to(root).as_posix()
    found: list[str] = []

    def banned(name: str) -> bool:
        """Whether the module `name` is in one of the `forbidden` top-level packages (patterns like `langchain_*` too)."""
        top = name.split(".", 1)[0]
        return any(fnmatch.fnmatchcase(top, pattern) for pattern in forbidden)

    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            found += [f"{where}:{node.lineno}: import {a.name}" for a in node.names if banned(a.name)]
        elif isinstance(node, ast.ImportFrom):
            hits = sorted({n for n in _resolve(node, module, is_package) if banned(n)})
            if hits:
                found.append(f"{where}:{node.lineno}: from {'.' * node.level}{node.module or ''} import ... ({hits[0]})")
        elif isinstance(node, ast.Call) and _call_name(node) in IMPORTERS:
            for arg in [*node.args, *(k.value for k in node.keywords)]:
                if isinstance(arg, ast.Constant) and isinstance(arg.value, str) and banned(arg.value.split(":")[0]):
                    found.append(f"{where}:{node.lineno}: {_call_name(node)}({arg.value!r})")
        elif isinstance(node, ast.Constant) and isinstance(node.value, str):
            match = MODULE_PATH.fullmatch(node.value.strip())
            if match and banned(match["top"]):
                found.append(f"{where}:{node.lineno}: string {node.value!r}")
    return sorted(set(found))


def package_violations(package: str, root: Path = ROOT) -> list[str]:
    """Every forbidden import in every module of `package` (its .py files, migrations included)."""
    files = sorted((root / package).rglob("*.py"))
    assert files, f"no modules under {root / package}"
    return [v for f in files for v in import_violations(f, root, FORBIDDEN[package])]


@pytest.mark.parametrize("package", sorted(FORBIDDEN))
def test_package_imports_nothing_above_it(package: str) -> None:
    assert package_violations(package) == [], f"{package}/ must not import {', '.join(sorted(FORBIDDEN[package]))}"


def langchain_violations(root: Path = ROOT) -> list[str]:
    """Every LangChain import outside the modules allowed one, in every package of the project."""
    files = [f for package in ("assistant", "api", "evals", "privacy_assistant") for f in sorted((root / package).rglob("*.py"))]
    outside = [f for f in files if not any(fnmatch.fnmatchcase(f.relative_to(root).as_posix(), p) for p in LANGCHAIN_ALLOWED)]
    return [v for f in outside for v in import_violations(f, root, LANGCHAIN)]


def test_langchain_only_in_the_integrations() -> None:
    assert langchain_violations() == [], f"LangChain may be imported only in {', '.join(LANGCHAIN_ALLOWED)}"


def test_the_langchain_rule_is_not_vacuous(tmp_path: Path) -> None:
    """The integrations do import LangChain (the rule sees them), and the same imports anywhere else are named."""
    assert import_violations(ROOT / "assistant/integrations/llm.py", ROOT, LANGCHAIN)
    source = (
        "import langchain_core\n"
        "from langchain_openai import ChatOpenAI\n"
        "from langchain.chains import x\n"
        "import importlib\n"
        "importlib.import_module('langchain_community.vectorstores')\n"
    )
    module = _plant(tmp_path, source)
    (tmp_path / "assistant" / "integrations").mkdir()
    (tmp_path / "assistant" / "integrations" / "ok.py").write_text(source, encoding="utf-8")
    for package in ("api", "evals", "privacy_assistant"):
        (tmp_path / package).mkdir()
    found = langchain_violations(tmp_path)
    assert {line.split(": ", 1)[1] for line in found} == {
        "import langchain_core",
        "from langchain_openai import ... (langchain_openai)",
        "from langchain.chains import ... (langchain.chains)",
        "import_module('langchain_community.vectorstores')",
        "string 'langchain_community.vectorstores'",
    }
    assert all(line.startswith(module.relative_to(tmp_path).as_posix()) for line in found)
    # The library's own module named langchain, and a package that merely starts with the word, are not LangChain.
    allowed = _plant(tmp_path, "import langchainish\nfrom assistant.integrations import langchain\nimport assistant.integrations.langchain")
    assert import_violations(allowed, tmp_path, LANGCHAIN) == []


def test_the_walk_reads_every_module() -> None:
    """Not a vacuous pass: the walk sees the modules that used to break the contract, and the migrations."""
    files = {p.relative_to(ROOT).as_posix() for p in (ROOT / "assistant").rglob("*.py")}
    assert {"assistant/cli.py", "assistant/service.py", "assistant/storage/migrations/env.py"} <= files
    assert len(files) > 30


PLANTED = {
    "import api": "import api",
    "import api.main as app_module": "import api.main",
    "from evals import cli": "from evals import",
    "from evals.cli import run": "from evals.cli import",
    "import importlib\nimportlib.import_module('evals.cli')": "import_module('evals.cli')",
    "from importlib import import_module\nimport_module('api')": "import_module('api')",
    "__import__('evals')": "__import__('evals')",
    "from uvicorn.importer import import_from_string\nimport_from_string('api.server:Protocol')": "import_from_string(",
    "import uvicorn\nuvicorn.run('api.main:create_app', factory=True)": "string 'api.main:create_app'",
    "TARGET = 'evals.cli'": "string 'evals.cli'",
    # Relative imports that climb out of `assistant` (Python refuses them; the checker still names them).
    "from ... import api": "from ... import ... (api)",
    "from ...evals import cli": "from ...evals import ... (evals",
}


def _plant(tmp_path: Path, source: str) -> Path:
    """A module two packages deep in a fake `assistant` tree, so relative imports reach the top."""
    package = tmp_path / "assistant" / "search"
    package.mkdir(parents=True, exist_ok=True)
    for init in (tmp_path / "assistant" / "__init__.py", package / "__init__.py"):
        init.touch()
    module = package / "planted.py"
    module.write_text(source + "\n", encoding="utf-8")
    return module


@pytest.mark.parametrize("source", sorted(PLANTED))
def test_the_checker_catches_a_planted_violation(source: str, tmp_path: Path) -> None:
    module = _plant(tmp_path, source)
    found = import_violations(module, tmp_path, FORBIDDEN["assistant"])
    assert found and any(PLANTED[source] in v for v in found), found
    assert package_violations("assistant", tmp_path), "and the package walk reports it"


def test_the_checker_passes_what_is_allowed(tmp_path: Path) -> None:
    """The library's own imports, third-party ones, and strings that merely mention the other packages."""
    module = _plant(
        tmp_path,
        '"""Fitted by `python -m evals.fit_evidence` (see evals/README.md and api/main.py)."""\n'
        "import apis\n"
        "import assistant.storage.db\n"
        "from assistant import api_keys\n"
        "from . import lexical\n"
        "from .. import api\n"  # assistant.api, not the HTTP layer
        "from ..desk import api\n"  # assistant.desk.api: a module of the library that happens to be called api
        "from .api import routes\n"  # assistant.search.api
        "import importlib\n"
        "importlib.import_module('assistant.index.builds')\n"
        "CHANNEL = 'api'\n"
        "MODE = 'evals'\n"
        "NOTE = 'see api.main'\n"
        "reply = dict(channel='api', api_url='http://127.0.0.1:8000')",
    )
    assert import_violations(module, tmp_path, FORBIDDEN["assistant"]) == []


def test_today_s_old_cli_would_fail(tmp_path: Path) -> None:
    """The three imports the CLI used to make (evals.cli by importlib, api.server and api.main by string)."""
    module = _plant(
        tmp_path,
        "import importlib\n"
        "from uvicorn.importer import import_from_string\n"
        "module = importlib.import_module('evals.cli')\n"
        "protocol = import_from_string('api.server:HardenedHttpToolsProtocol')\n"
        "options = import_from_string('api.server:uvicorn_options')\n"
        "APP = 'api.main:create_app'",
    )
    found = import_violations(module, tmp_path, FORBIDDEN["assistant"])
    assert [line.split(": ", 1)[1] for line in found] == [
        "import_module('evals.cli')",
        "string 'evals.cli'",
        "import_from_string('api.server:HardenedHttpToolsProtocol')",
        "string 'api.server:HardenedHttpToolsProtocol'",
        "import_from_string('api.server:uvicorn_options')",
        "string 'api.server:uvicorn_options'",
        "string 'api.main:create_app'",
    ]


def test_serve_and_eval_come_in_through_the_registration_hook() -> None:
    """The library's parser has its own commands only; the console script's adds serve and eval in --help order."""
    from assistant.cli import build_parser as library_parser
    from privacy_assistant.cli import build_parser

    def commands(parser: object) -> list[str]:
        sub = next(a for a in parser._actions if a.dest == "command")  # type: ignore[attr-defined]
        return list(sub.choices)

    assert commands(library_parser()) == ["ask", "index", "db", "desk", "keys", "purge", "intent"]
    assert commands(build_parser()) == ["ask", "index", "serve", "db", "desk", "keys", "purge", "eval", "intent"]
