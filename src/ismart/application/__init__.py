"""Application services: the use cases every shell (CLI, API, registry) calls the same way."""

from ismart.application.screening import (
    PROTOCOL_DIR_VARIABLE,
    ScreeningRequest,
    protocol_from_environment,
    protocol_in_force,
    read_dossier,
    run_screening,
    to_contract,
)

__all__ = [
    "PROTOCOL_DIR_VARIABLE",
    "ScreeningRequest",
    "protocol_from_environment",
    "protocol_in_force",
    "read_dossier",
    "run_screening",
    "to_contract",
]
