"""Settings: the comma-separated mini-formats parse once into typed values, and a bad value stops start-up."""

from __future__ import annotations

import ast
import os
import subprocess
import sys
from pathlib import Path

import pytest
from pydantic import ValidationError

from assistant.settings import Settings, Webhook, settings_error_line
from tests.conftest import CORPUS

ROOT = CORPUS.parent
LONG = "a-staff-key-long-enough-0001"
SECRET = "webhook-secret"
# The raw mini-format fields: only assistant/settings.py may read them.
RAW_FIELDS = {
    "desk_api_keys": "PA_DESK_API_KEYS",
    "desk_webhooks": "PA_DESK_WEBHOOKS",
    "trusted_proxies": "PA_TRUSTED_PROXIES",
    "widget_origins": "PA_WIDGET_ORIGINS",
}


def _error(**values: object) -> str:
    with pytest.raises(ValidationError) as bad:
        Settings(**values)  # type: ignore[arg-type]
    line = settings_error_line(bad.value)
    assert "\n" not in line
    return line


# ------------------------------------------------------------------------------ good values parse to typed values
def test_staff_keys_parse_to_bootstrap_keys() -> None:
    keys = Settings(desk_api_keys=f"{LONG}=upward|sb-cs, z{LONG}=*").staff_keys
    assert [(k.key, k.companies, k.name) for k in keys] == [
        (LONG, ("upward", "sb-cs"), "env-key-1"),
        ("z" + LONG, None, "env-key-2"),
    ]


def test_webhooks_parse_to_one_url_per_company() -> None:
    settings = Settings(
        desk_webhooks=" upward = https://hooks.example/t?x=1 , highreso=http://127.0.0.1:9/x,",
        desk_webhook_secret=SECRET,
    )
    assert settings.webhooks == (
        Webhook("upward", "https://hooks.example/t?x=1"),
        Webhook("highreso", "http://127.0.0.1:9/x"),
    )
    assert dict(settings.webhook_urls) == {"upward": "https://hooks.example/t?x=1", "highreso": "http://127.0.0.1:9/x"}
    assert "hooks.example" not in repr(settings.webhooks)  # a webhook URL may carry a token


def test_trusted_proxies_parse_to_canonical_addresses() -> None:
    assert Settings(trusted_proxies=" 10.0.0.2, 0:0::1,testclient,").trusted_proxy_set == frozenset({"10.0.0.2", "::1", "testclient"})


def test_widget_origins_parse_per_company_and_back() -> None:
    sites = Settings(
        widget_origins="upward=https://Upward.example|https://www.upward.example/,highreso=http://127.0.0.1:8080,upward=https://upward.example"
    ).widget_sites
    assert dict(sites.by_company) == {
        "upward": ("https://upward.example", "https://www.upward.example"),
        "highreso": ("http://127.0.0.1:8080",),
    }
    assert sites.all == ("http://127.0.0.1:8080", "https://upward.example", "https://www.upward.example")
    assert sites.companies_for("https://www.upward.example") == {"upward"} and sites.companies_for("https://evil.example") == frozenset()


def test_empty_values_parse_to_nothing() -> None:
    settings = Settings(desk_api_keys="", desk_webhooks=" ", trusted_proxies="", widget_origins=",")
    assert (
        settings.staff_keys,
        settings.webhooks,
        settings.trusted_proxy_set,
        dict(settings.widget_sites.by_company),
    ) == ((), (), frozenset(), {})


def test_a_copy_parses_its_own_text() -> None:
    # model_copy(update=...) does not validate again, so the parsed values must follow the copy's text.
    base = Settings(trusted_proxies="10.0.0.2")
    assert base.model_copy(update={"trusted_proxies": "10.0.0.3"}).trusted_proxy_set == {"10.0.0.3"}
    assert base.trusted_proxy_set == {"10.0.0.2"}


# ------------------------------------------------------------------------------ malformed values are refused, by name
@pytest.mark.parametrize(
    ("values", "says"),
    [
        (
            {"widget_origins": "upward=https://upward.example,highreso=htp:/x"},
            "PA_WIDGET_ORIGINS: entry 2 'htp:/x' is not an origin like https://shop.example.com",
        ),
        (
            {"widget_origins": "https://upward.example"},
            "PA_WIDGET_ORIGINS: entry 1 'https://upward.example' is not company=https://origin",
        ),
        (
            {"widget_origins": "upward=https://upward.example/widget"},
            "PA_WIDGET_ORIGINS: entry 1 'https://upward.example/widget' is not an origin",
        ),
        ({"widget_origins": "upward="}, "PA_WIDGET_ORIGINS: entry 1 (company upward) names no origin"),
        (
            {"widget_origins": "upward=https://upward.example:99999"},
            "PA_WIDGET_ORIGINS: entry 1 'https://upward.example:99999' is not an origin",
        ),
        ({"trusted_proxies": "10.0.0.2,10.0.0.300"}, "PA_TRUSTED_PROXIES: entry 2 '10.0.0.300' is not an IP address"),
        (
            {"trusted_proxies": "10.0.0.0/8"},
            "PA_TRUSTED_PROXIES: entry 1 '10.0.0.0/8' is not an IP address like 10.0.0.2 or ::1 (networks are not supported",
        ),
        (
            {"desk_webhooks": "upward", "desk_webhook_secret": SECRET},
            "PA_DESK_WEBHOOKS: entry 1 is not company=https://url",
        ),
        (
            {"desk_webhooks": "upward=https://a.example,highreso=ftp://b.example", "desk_webhook_secret": SECRET},
            "PA_DESK_WEBHOOKS: entry 2 (company highreso) is not an http(s) URL",
        ),
        (
            {"desk_webhooks": "upward=https://a.example,upward=https://b.example", "desk_webhook_secret": SECRET},
            "PA_DESK_WEBHOOKS: entry 2 (company upward) repeats a company",
        ),
        ({"desk_webhooks": "upward=https://a.example"}, "PA_DESK_WEBHOOKS is set but PA_DESK_WEBHOOK_SECRET is empty"),
        ({"desk_api_keys": f"{LONG}=upward,highreso"}, "PA_DESK_API_KEYS: entry 2 has no '='"),
        ({"log_level": "verbose"}, "PA_LOG_LEVEL: not a logging level"),
        ({"port": 0}, "PA_PORT: Input should be greater than or equal to 1"),
        ({"port": 70000}, "PA_PORT: Input should be less than or equal to 65535"),
        ({"workers": 0}, "PA_WORKERS: Input should be greater than or equal to 1"),
        ({"max_message_chars": 0}, "PA_MAX_MESSAGE_CHARS: Input should be greater than or equal to 1"),
        ({"session_max_turns": 0}, "PA_SESSION_MAX_TURNS: Input should be greater than or equal to 1"),
        ({"busy_timeout_ms": -1}, "PA_BUSY_TIMEOUT_MS: Input should be greater than or equal to 0"),
        ({"llm_backend": "gpt"}, "PA_LLM_BACKEND: Input should be 'none' or 'openai'"),
        ({"llm_backend": "openai"}, "PA_LLM_BACKEND=openai needs PA_LLM_BASE_URL and PA_LLM_MODEL"),
        ({"llm_backend": "openai", "llm_model": "gemma"}, "PA_LLM_BACKEND=openai needs PA_LLM_BASE_URL (or PA_LLM_BACKEND=none"),
        ({"llm_backend": "openai", "llm_base_url": "http://127.0.0.1:8080/v1", "llm_model": " "}, "needs PA_LLM_MODEL (or"),
        ({"llm_base_url": "127.0.0.1:8080"}, "PA_LLM_BASE_URL: not an http(s) URL like http://127.0.0.1:8080/v1"),
        ({"llm_base_url": "http://127.0.0.1:99999/v1"}, "PA_LLM_BASE_URL: not an http(s) URL"),
        ({"llm_timeout_s": 0}, "PA_LLM_TIMEOUT_S: Input should be greater than 0"),
    ],
)
def test_a_malformed_value_is_refused_naming_the_variable(values: dict[str, object], says: str) -> None:
    assert says in _error(**values)


def test_a_webhook_error_never_shows_the_url() -> None:
    line = _error(desk_webhooks="upward=https://chat.internal/T0KEN|x y", desk_webhook_secret=SECRET)
    assert (
        "PA_DESK_WEBHOOKS: entry 1 (company upward) is not an http(s) URL" in line and "T0KEN" not in line and "chat.internal" not in line
    )


def test_a_staff_key_error_never_shows_the_key() -> None:
    line = _error(desk_api_keys=f"{LONG}=upward,{LONG}=*,short=*")
    assert "PA_DESK_API_KEYS: entry 2 (all companies) repeats the key" in line and "entry 3" in line
    assert LONG not in line and "short" not in line.replace("shorter", "")


def test_the_llm_backend_is_off_by_default_and_openai_names_its_server() -> None:
    assert Settings().llm_backend == "none" and Settings().llm_timeout_s == 20
    settings = Settings(llm_backend="openai", llm_base_url=" http://127.0.0.1:8080/v1 ", llm_model="gemma-3-270m", llm_api_key="k")
    assert (settings.llm_base_url, settings.llm_model, settings.llm_api_key) == ("http://127.0.0.1:8080/v1", "gemma-3-270m", "k")


def test_the_llm_api_key_is_never_shown() -> None:
    key = "sk-local-secret-0123456789"
    assert key not in repr(Settings(llm_api_key=key))
    assert key not in _error(llm_api_key=key, llm_backend="openai")


def test_every_error_is_named_on_one_line() -> None:
    line = _error(port=0, widget_origins="upward=nope")
    assert line.startswith("PA_PORT: ") and "; PA_WIDGET_ORIGINS: entry 1 'nope'" in line


def test_the_environment_names_are_unchanged(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("PA_TRUSTED_PROXIES", "10.0.0.2")
    monkeypatch.setenv("PA_WIDGET_ORIGINS", "upward=https://upward.example")
    settings = Settings()
    assert settings.trusted_proxy_set == {"10.0.0.2"} and settings.widget_sites.all == ("https://upward.example",)
    monkeypatch.setenv("PA_WIDGET_ORIGINS", "upward=htp:/x")
    with pytest.raises(ValidationError, match="is not an origin"):
        Settings()


# ------------------------------------------------------------------------------ `serve` stops at once
@pytest.mark.parametrize(
    ("name", "value", "says"),
    [
        (
            "PA_WIDGET_ORIGINS",
            "upward=https://upward.example,highreso=htp:/x",
            "PA_WIDGET_ORIGINS: entry 2 'htp:/x' is not an origin",
        ),
        ("PA_TRUSTED_PROXIES", "127.0.0.1,10.0.0.0/8", "PA_TRUSTED_PROXIES: entry 2 '10.0.0.0/8' is not an IP address"),
        ("PA_PORT", "70000", "PA_PORT: Input should be less than or equal to 65535"),
        ("PA_LLM_BACKEND", "openai", "PA_LLM_BACKEND=openai needs PA_LLM_BASE_URL and PA_LLM_MODEL"),
        ("PA_DESK_WEBHOOKS", "acme=https://hooks.example/t", "PA_DESK_WEBHOOKS names unknown company acme; valid ids:"),
    ],
)
def test_serve_refuses_a_malformed_setting_and_starts_nothing(tmp_path: Path, name: str, value: str, says: str) -> None:
    env = {k: v for k, v in os.environ.items() if not k.startswith("PA_")}
    database, index = tmp_path / "db" / "serve.db", tmp_path / "index"
    env.update(
        PYTHONPATH=str(ROOT),
        PA_CORPUS_DIR=str(CORPUS),
        PA_DATABASE_URL=f"sqlite:///{database}",
        PA_INDEX_DIR=str(index),
        PA_MODEL_CACHE_DIR=str(tmp_path / "models"),
        PA_DESK_WEBHOOK_SECRET=SECRET,
        **{name: value},
    )
    proc = subprocess.run(
        [sys.executable, "-m", "privacy_assistant", "serve", "--port", "1"],
        cwd=tmp_path,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert proc.returncode == 2, proc.stderr[-2000:]
    lines = proc.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("privacy-assistant: error: ") and says in lines[0], lines
    assert proc.stdout == "" and not database.parent.exists() and not index.exists()


# ------------------------------------------------------------------------------ one home for the parsing
def _raw_reads(tree: ast.AST) -> list[str]:
    """Reads of a raw mini-format: `x.widget_origins`, getattr(x, "widget_origins"), os.environ/getenv("PA_...")."""
    found = []
    names = set(RAW_FIELDS) | set(RAW_FIELDS.values())
    for node in ast.walk(tree):
        if isinstance(node, ast.Attribute) and node.attr in RAW_FIELDS and isinstance(node.ctx, ast.Load):
            found.append(f"line {node.lineno}: .{node.attr}")
        elif isinstance(node, ast.Call) and node.args and any(_is(node, f) for f in ("getattr", "getenv", "get")):
            arg = node.args[1] if _is(node, "getattr") and len(node.args) > 1 else node.args[0]
            if isinstance(arg, ast.Constant) and arg.value in names:
                found.append(f"line {node.lineno}: {arg.value!r}")
        elif isinstance(node, ast.Subscript) and isinstance(node.slice, ast.Constant) and node.slice.value in RAW_FIELDS.values():
            found.append(f"line {node.lineno}: [{node.slice.value!r}]")
    return found


def _is(call: ast.Call, name: str) -> bool:
    func = call.func
    return (isinstance(func, ast.Name) and func.id == name) or (isinstance(func, ast.Attribute) and func.attr == name)


def test_only_settings_reads_the_raw_mini_formats() -> None:
    offenders = {}
    for package in ("assistant", "api", "evals", "tests"):
        for path in sorted((ROOT / package).rglob("*.py")):
            if path == ROOT / "assistant" / "settings.py":
                continue
            found = _raw_reads(ast.parse(path.read_text(encoding="utf-8"), filename=str(path)))
            if found:
                offenders[str(path.relative_to(ROOT))] = found
    assert not offenders, f"parse these in assistant/settings.py and use its typed properties: {offenders}"


def test_the_raw_read_check_sees_each_way_of_reading() -> None:
    for source in (
        "s.widget_origins.split(',')",
        "getattr(s, 'trusted_proxies')",
        "os.environ.get('PA_DESK_WEBHOOKS')",
        "os.environ['PA_DESK_API_KEYS']",
    ):
        assert _raw_reads(ast.parse(source)), source
    assert not _raw_reads(ast.parse("s.model_copy(update={'widget_origins': 'x'}); Settings(trusted_proxies='x'); s.widget_sites"))
