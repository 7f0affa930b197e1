"""Server-rendered pages for site teams, the tumour board and the trial office (Jinja2, plain forms)."""

from __future__ import annotations

from fastapi import FastAPI

from ismart.web import app as _pages
from ismart.web import conduct_pages, response_pages
from ismart.web.app import has_session


def mount(app: FastAPI) -> None:
    """The pages, their assets and error pages (``ismart.web.app``), the conduct pages (issue 14)
    and the efficacy-stage pages (issue 15)."""
    _pages.mount(app)
    app.include_router(conduct_pages.router)
    app.include_router(response_pages.router)


__all__ = ["has_session", "mount"]
