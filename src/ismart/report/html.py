"""A self-contained HTML page of a screening (inline CSS, no scripts) that a site can file."""

from __future__ import annotations

from importlib import resources

from jinja2 import Environment, select_autoescape

from ismart.eligibility.result import ScreeningResult
from ismart.report.json_report import to_dict


def render(result: ScreeningResult) -> str:
    template_text = (resources.files("ismart") / "report" / "templates" / "screening.html.j2").read_text(
        encoding="utf-8"
    )
    env = Environment(autoescape=select_autoescape(default=True, default_for_string=True))
    return env.from_string(template_text).render(r=to_dict(result))
