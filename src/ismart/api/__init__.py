"""The registry's REST API (FastAPI)."""
