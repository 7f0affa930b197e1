"""The registry's REST API (FastAPI)."""

__all__: list[str] = []  # the application is api.app.create_app
