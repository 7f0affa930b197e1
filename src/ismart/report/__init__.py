"""Renderings of a screening result: JSON (the contract), terminal text and a filed HTML page."""
