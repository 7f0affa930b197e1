"""Roles and who may do what."""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

from ismart.registry.errors import Forbidden, NotFound


class Role(StrEnum):
    site_staff = "site_staff"
    site_investigator = "site_investigator"
    tumour_board = "tumour_board"
    trial_office = "trial_office"
    monitor = "monitor"
    safety_committee = "safety_committee"  # decides dose levels (conduct, issue 14)


SITE_ROLES = {Role.site_staff, Role.site_investigator}


@dataclass(frozen=True)
class Principal:
    username: str
    role: Role
    site_code: str | None


SYSTEM = Principal("system", Role.trial_office, None)  # the registry's own changes (start-up, CLI)


def require(principal: Principal, *roles: Role) -> None:
    if principal.role not in roles:
        raise Forbidden(f"role {principal.role.value} may not do this")


def can_see(principal: Principal, site_code: str) -> bool:
    return principal.role not in SITE_ROLES or principal.site_code == site_code


def check_site(principal: Principal, *, site_code: str, subject_code: str) -> None:
    """Another site's subject answers 404, as if it did not exist."""
    if not can_see(principal, site_code):
        raise NotFound(f"subject {subject_code} not found")
