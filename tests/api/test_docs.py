"""The API docs work offline, no page loads anything from another host, and the OpenAPI document
carries examples, the staff key scheme, parameter descriptions and the error responses."""

from __future__ import annotations

import re
from urllib.parse import urljoin, urlsplit

import pytest
from fastapi.testclient import TestClient

from api.main import create_app

PAGES = ["/docs", "/redoc", "/demo", "/console", "/policy"]
SCRIPT_LOADED = ["/static/widget.js"]  # demo.js adds the widget's tag itself
# Whatever makes a browser fetch or link something: src= / href= attributes (and src: / href: props in scripts),
# CSS url(...) and @import.
_REFERENCE = re.compile(
    r"""(?:\b(?:src|href)\s*=\s*["']?|\b(?:src|href)\s*:\s*["'`]|\burl\(\s*["']?|@import\s+(?:url\(\s*)?["']?)([^"'`\s)>]+)""",
    re.IGNORECASE,
)


@pytest.fixture
def client(hash_settings, hash_assistant):  # type: ignore[no-untyped-def]
    with TestClient(create_app(hash_settings, hash_assistant)) as c:
        yield c


def _crawl(client: TestClient) -> tuple[dict[str, str], list[str]]:
    """Every page and every asset it loads (through CSS too): {path: text}, and the URLs to other hosts (in JS too)."""
    own = urlsplit(str(client.base_url)).netloc
    seen: dict[str, str] = {}
    foreign: list[str] = []
    todo = PAGES + SCRIPT_LOADED
    while todo and len(seen) < 100:
        path = todo.pop()
        if path in seen:
            continue
        resp = client.get(path)
        assert resp.status_code == 200 and resp.content, f"{path}: {resp.status_code}, {len(resp.content)} bytes"
        seen[path] = text = resp.text
        kind = resp.headers.get("content-type", "")
        if not any(k in kind for k in ("html", "javascript", "css")):
            continue
        for ref in _REFERENCE.findall(text):
            if ref.lower().startswith(("http:", "https:", "//")):
                host = urlsplit(ref if ":" in ref[:6] else "http:" + ref).netloc
                if host and host != own:  # (minified JS has e.g. `new URL("https:"+e)`: no host, no fetch)
                    foreign.append(f"{path}: {ref}")
                continue
            if "javascript" in kind:
                continue  # in scripts, `src=` is code, not a URL to follow
            if ref.startswith(("data:", "blob:", "#", "javascript:", "mailto:")) or "${" in ref or "+" in ref:
                continue
            parts = urlsplit(urljoin(f"http://{own}{path}", ref))
            if parts.netloc == own and parts.scheme in ("http", "https") and parts.path:
                todo.append(parts.path)
    return seen, foreign


def test_no_page_loads_anything_from_another_host(client: TestClient) -> None:
    seen, foreign = _crawl(client)
    assert foreign == []
    assert set(PAGES) <= set(seen)
    # The docs pages' own assets are among those fetched (200, non-empty) from this server.
    assets = [p for p in seen if p.endswith((".js", ".css"))]
    assert any(p.endswith("swagger-ui-bundle.js") for p in assets) and any(p.endswith("redoc.standalone.js") for p in assets)
    assert any(p.endswith("swagger-ui.css") for p in assets) and "/static/widget.js" in assets
    assert "fonts.googleapis.com" not in seen["/redoc"]
    # And the browser would refuse any other host on the docs pages too.
    for page in ("/docs", "/redoc"):
        csp = client.get(page).headers["content-security-policy"]
        assert "http" not in csp and "cdn" not in csp, csp


def test_openapi_has_the_staff_key_scheme(client: TestClient) -> None:
    spec = client.get("/openapi.json").json()
    schemes = spec["components"]["securitySchemes"]
    assert schemes == {
        "StaffKey": {"type": "apiKey", "in": "header", "name": "X-API-Key", "description": schemes["StaffKey"]["description"]}
    }
    for path, ops in spec["paths"].items():
        for method, op in ops.items():
            staff = path.startswith(("/v1/desk", "/v1/search", "/v1/staff"))
            assert (op.get("security") == [{"StaffKey": []}]) is staff, (method, path)
            # The key is the scheme, not a loose header parameter.
            assert not any(p["name"].lower() == "x-api-key" for p in op.get("parameters", [])), path


def test_openapi_describes_parameters_and_gives_examples(client: TestClient) -> None:
    spec = client.get("/openapi.json").json()
    undescribed = [
        f"{method} {path} {p['name']}"
        for path, ops in spec["paths"].items()
        for method, op in ops.items()
        for p in op.get("parameters", [])
        if not p.get("description")
    ]
    assert undescribed == []
    for path, method in (("/v1/chat", "post"), ("/v1/companies", "get"), ("/v1/requests/{reference}", "get")):
        body = spec["paths"][path][method]["responses"]["200"]["content"]["application/json"]
        assert body.get("example"), path
    assert spec["paths"]["/v1/chat"]["post"]["responses"]["200"]["content"]["application/json"]["example"]["citations"][0]["text"]


def test_openapi_lists_413_429_503_with_a_detail_body(client: TestClient) -> None:
    spec = client.get("/openapi.json").json()
    error = spec["components"]["schemas"]["ErrorOut"]
    assert "detail" in error["required"] and error["properties"]["detail"]["type"] == "string"
    expected = {
        ("post", "/v1/chat"): {"413", "429", "503"},
        ("post", "/v1/chat/stream"): {"413", "429", "503"},
        ("get", "/v1/requests/{reference}"): {"429", "503"},
        ("delete", "/v1/sessions/{session_id}"): {"429", "503"},
        ("post", "/v1/desk/tickets/{reference}/status"): {"413", "503"},
        ("get", "/v1/desk/tickets"): {"401", "503"},
        ("get", "/v1/companies"): {"503"},
    }
    for (method, path), codes in expected.items():
        responses = spec["paths"][path][method]["responses"]
        for code in codes:
            ref = responses[code]["content"]["application/json"]["schema"]["$ref"]
            assert ref == "#/components/schemas/ErrorOut", (method, path, code)
            assert responses[code]["description"], (method, path, code)
    # Every /v1 operation can meet a 503 (index loading, database unreachable), except
    # /v1/meta: it serves constants and one setting, with neither the index nor the database.
    assert "503" not in spec["paths"]["/v1/meta"]["get"]["responses"]
    for path, ops in spec["paths"].items():
        for method, op in ops.items():
            if path.startswith("/v1/") and path != "/v1/meta":
                assert "503" in op["responses"], (method, path)
