"""Renderings of a screening result: JSON (the contract), terminal text and a filed HTML page."""

__all__: list[str] = []  # one module per output: text, json_report, html, triage_report
