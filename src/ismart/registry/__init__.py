"""The multi-site trial registry: storage, services and audit trail."""

__all__: list[str] = []  # subjects, dossiers, screenings, ..., models, audit: imported by module
