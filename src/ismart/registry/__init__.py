"""The multi-site trial registry: storage, services and audit trail."""
