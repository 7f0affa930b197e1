"""The multi-site trial registry: storage, services and audit trail."""

__all__: list[str] = []  # services, models, audit, bootstrap: imported by module
