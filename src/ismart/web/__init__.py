"""Server-rendered pages for site teams, the tumour board and the trial office (Jinja2, plain forms)."""

from __future__ import annotations

from ismart.web.app import has_session, mount

__all__ = ["has_session", "mount"]
