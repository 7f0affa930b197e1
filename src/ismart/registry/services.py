"""The registry's services by their former single name, for callers not yet moved (tests, other
branches): re-exports only. New code imports the entity's module (``subjects``, ``dossiers``,
``screenings``, ``verdict_changes``, ``board``, ``registrations``, ``sites``, ``accounts``)."""

from __future__ import annotations

from ismart.registry.access import SYSTEM
from ismart.registry.accounts import create_user
from ismart.registry.board import add_board_decision, list_board_decisions
from ismart.registry.dossiers import add_dossier, list_dossiers
from ismart.registry.registrations import DEFAULT_SCREENING_MAX_AGE_DAYS, list_registrations, register
from ismart.registry.screenings import (
    RescreenReport,
    list_screenings,
    rescreen_outdated,
    screen_subject,
    stored_verdicts,
)
from ismart.registry.sites import list_sites, seed, set_site_status, site_code_for
from ismart.registry.subjects import (
    TRANSITIONS,
    create_subject,
    get_subject,
    list_subjects,
    start_treatment,
    withdraw,
)
from ismart.registry.verdict_changes import list_verdict_changes, review_verdict_change

__all__ = [
    "DEFAULT_SCREENING_MAX_AGE_DAYS",
    "SYSTEM",
    "TRANSITIONS",
    "RescreenReport",
    "add_board_decision",
    "add_dossier",
    "create_subject",
    "create_user",
    "get_subject",
    "list_board_decisions",
    "list_dossiers",
    "list_registrations",
    "list_screenings",
    "list_sites",
    "list_subjects",
    "list_verdict_changes",
    "register",
    "rescreen_outdated",
    "review_verdict_change",
    "screen_subject",
    "seed",
    "set_site_status",
    "site_code_for",
    "start_treatment",
    "stored_verdicts",
    "withdraw",
]
