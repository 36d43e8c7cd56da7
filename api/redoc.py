"""/redoc from this host alone: fastapi-offline's ReDoc bundle without the logo it would fetch from cdn.redoc.ly."""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path

import fastapi_offline
from fastapi import FastAPI, Request
from fastapi.openapi.docs import get_redoc_html
from fastapi.responses import HTMLResponse, Response

BUNDLE = Path(fastapi_offline.__file__).parent / "static" / "redoc.standalone.js"
ASSET_URL = "/redoc-assets/redoc.standalone.js"  # not under /static-offline-docs: that mount would answer first
# ReDoc's sidebar credits itself with an image from cdn.redoc.ly and a link to redocly.com, with no option to turn
# them off: the image goes (an empty src, which ReDoc's own onError hides), the credit stays as plain text.
_OTHER_HOSTS = (
    ('src:"https://cdn.redoc.ly/redoc/logo-mini.svg"', 'src:""'),
    ('href:"https://redocly.com/redoc/"', "href:null"),
)


@lru_cache(maxsize=1)
def bundle() -> bytes:
    """The ReDoc bundle with references to other hosts taken out."""
    text = BUNDLE.read_text(encoding="utf-8")
    for old, new in _OTHER_HOSTS:
        text = text.replace(old, new)
    return text.encode("utf-8")


def install_redoc(app: FastAPI, url: str = "/redoc") -> None:
    """Serve ReDoc at `url` (no Google Fonts, nothing from another host)."""

    @app.get(ASSET_URL, include_in_schema=False)
    def redoc_js() -> Response:
        return Response(bundle(), media_type="text/javascript; charset=utf-8", headers={"Cache-Control": "public, max-age=3600"})

    @app.get(url, include_in_schema=False)
    def redoc_html(request: Request) -> HTMLResponse:
        root = request.scope.get("root_path", "")
        return get_redoc_html(
            openapi_url=f"{root}{app.openapi_url}",
            title=f"{app.title} - ReDoc",
            redoc_js_url=f"{root}{ASSET_URL}",
            redoc_favicon_url=f"{root}/static-offline-docs/favicon.png",
            with_google_fonts=False,
        )
