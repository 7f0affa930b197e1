"""API schemas: what clients send (XCreate) and see (XPublic), apart from the ORM tables."""

from __future__ import annotations

from datetime import datetime
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, model_validator

from ismart.registry.access import Role
from ismart.registry.fields import Name

Status = Literal["recruiting", "not_yet_recruiting", "withdrawn", "suspended", "closed", "completed"]


class _Public(BaseModel):
    model_config = ConfigDict(from_attributes=True)


def _has_nul(value: Any) -> bool:
    if isinstance(value, str):
        return "\x00" in value
    if isinstance(value, dict):
        return any(_has_nul(k) or _has_nul(v) for k, v in value.items())
    if isinstance(value, list):
        return any(_has_nul(v) for v in value)
    return False


class _Create(BaseModel):
    model_config = ConfigDict(extra="forbid")

    @model_validator(mode="before")
    @classmethod
    def _no_nul(cls, data: Any) -> Any:
        if _has_nul(data):
            raise ValueError("text may not contain NUL characters")
        return data


class TokenCreate(_Create):
    username: str = Field(min_length=1, max_length=64)
    password: str = Field(min_length=1, max_length=200)


class TokenPublic(BaseModel):
    access_token: str
    token_type: str = "bearer"
    must_change_password: bool = False  # the token only lets its holder choose a new password


Username = Field(min_length=1, max_length=64, pattern=r"^[A-Za-z0-9_.@-]+$")


class UserCreate(_Create):
    username: str = Username
    password: str = Field(max_length=200)  # the policy (length, common list) is the service's
    role: Role
    site_code: str | None = Field(default=None, max_length=16)


class UserPublic(_Public):
    username: str
    role: str
    site_code: str | None
    active: bool = True
    must_change_password: bool = False


class ReasonCreate(_Create):
    reason: str = Field(min_length=1, max_length=2000)


class RoleUpdate(_Create):
    role: Role
    site_code: str | None = Field(default=None, max_length=16)
    reason: str = Field(min_length=1, max_length=2000)


class PasswordResetPublic(BaseModel):
    username: str
    one_time_password: str  # shown once; the user must choose a new password at the next sign-in


class PasswordChange(_Create):
    current_password: str = Field(min_length=1, max_length=200)
    new_password: str = Field(min_length=1, max_length=200)


class LockoutLift(_Create):
    username: str | None = Field(default=None, min_length=1, max_length=64)
    address: str | None = Field(default=None, min_length=1, max_length=64)
    reason: str = Field(min_length=1, max_length=2000)


class LockoutLiftPublic(BaseModel):
    cleared: int


class SubjectCreate(_Create):
    site_code: str = Field(min_length=1, max_length=16)


class SubjectPublic(_Public):
    code: str
    site_code: str
    state: str
    off_study_reason: str | None


class DossierCreate(_Create):
    data: dict[str, Any]
    reason: str | None = Field(default=None, max_length=2000)


class DossierPublic(BaseModel):
    version: int
    data: dict[str, Any]
    created_by: str
    created_at: datetime


class ScreeningPublic(BaseModel):
    id: int
    dossier_id: int
    result: dict[str, Any]
    protocol_version: str
    engine_version: str
    rescreen_of: int | None
    created_at: datetime


class BoardDecisionCreate(_Create):
    subprotocol: str | None = Field(default=None, max_length=4)
    priority: int | None = Field(default=None, ge=1, le=10)
    rationale: str = Field(min_length=1, max_length=5000)
    members: list[Name] = Field(min_length=1, max_length=50)
    non_referral_reason: str | None = Field(default=None, min_length=1, max_length=2000)


class BoardDecisionPublic(BaseModel):
    id: int
    subprotocol: str | None
    priority: int | None
    rationale: str
    members: list[Name]
    non_referral_reason: str | None
    created_at: datetime


class RegistrationCreate(_Create):
    subprotocol: str = Field(min_length=1, max_length=4)
    dose_level: int = Field(ge=-10, le=10)
    # the trial office registers although the tumour board did not refer to this sub-protocol
    board_override_reason: str | None = Field(default=None, min_length=1, max_length=2000)
    # the site investigator registers on a REVIEW verdict, having reviewed the open points
    review_override_reason: str | None = Field(default=None, min_length=1, max_length=2000)


class RegistrationPublic(_Public):
    subject_code: str
    subprotocol: str
    dose_level: int
    subject_number: str
    created_at: datetime


class TransitionCreate(_Create):
    to: Literal["on_treatment", "off_study"]
    reason: str = Field(min_length=1, max_length=2000)


class SitePublic(BaseModel):
    code: str
    institution: str
    city: str
    country: str
    statuses: dict[str, str]


class SiteStatusUpdate(_Create):
    subprotocol: str = Field(min_length=1, max_length=4)
    status: Status
    reason: str = Field(min_length=1, max_length=2000)


class AuditPublic(_Public):
    id: int
    at: str
    actor: str
    action: str
    entity: str
    entity_id: str
    before: str | None
    after: str | None
    reason: str | None
    hash: str


class ChainPublic(BaseModel):
    ok: bool
    rows: int
    problem: str | None
    row_id: int | None
    problems: list[str] = []  # the chain's problem and every table row that differs from the log


class VerdictChangePublic(_Public):
    id: int
    subject_code: str
    subprotocol: str
    old_verdict: str | None
    new_verdict: str | None
    old_screening_id: int
    new_screening_id: int
    old_protocol_version: str
    new_protocol_version: str
    status: Literal["pending", "reviewed"]
    reviewed_by: str | None
    review_note: str | None
    reviewed_at: datetime | None


class RescreenPublic(BaseModel):
    protocol_version: str
    checked: int
    rescreened: int
    changes: list[VerdictChangePublic]


class VerdictReviewCreate(_Create):
    note: str = Field(min_length=1, max_length=2000)
