"""API schemas of the efficacy stage: what clients send (XCreate) and see (XPublic)."""

from __future__ import annotations

from datetime import date, datetime
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

from ismart.api.schemas import _Create
from ismart.registry.fields import PlausibleDate

OffReason = Literal["progression", "toxicity", "hsct", "consent_withdrawn", "death", "investigator_decision"]
FollowUp = Literal["in_follow_up", "lost_to_follow_up", "dead", "completed"]
EventKind = Literal["relapse", "death", "no_remission", "second_malignancy"]


class MrdIn(_Create):
    method: Literal["flow_cytometry", "pcr", "ngs"]
    value: float | None = Field(None, ge=0, le=1, description="fraction of cells; 0 = not detected")
    sensitivity: float | None = Field(None, gt=0, le=1)


class LeukaemiaIn(_Create):
    marrow_blasts_pct: float | None = Field(None, ge=0, le=100)
    peripheral_blasts: float | None = Field(None, ge=0, le=1000, description="10⁹/L; 0 = none seen")
    anc: float | None = Field(None, ge=0, le=1000, description="10⁹/L")
    platelets: float | None = Field(None, ge=0, le=5000, description="10⁹/L")
    cns: Literal["CNS1", "CNS2", "CNS2a", "CNS2b", "CNS2c", "CNS3", "CNS3a", "CNS3b", "CNS3c"] | None = None
    extramedullary: Literal["none", "decreased", "persistent", "progressive", "new"] | None = None
    mrd: MrdIn | None = None
    baseline_marrow_blasts_pct: float | None = Field(None, ge=0, le=100)
    baseline_peripheral_blasts: float | None = Field(None, ge=0, le=1000)


class LymphomaIn(_Create):
    spd_change_pct: float | None = Field(None, ge=-100, le=10000)
    spd_change_from_nadir_pct: float | None = Field(None, ge=0, le=10000)
    new_lesions: bool | None = None
    residual_mass: bool | None = None
    residual_biopsy_negative: bool | None = None
    marrow_involved: bool | None = None
    csf_involved: bool | None = None
    new_marrow_or_csf_involvement: bool | None = None
    mrd: MrdIn | None = None


class ResponseCreate(_Create):
    cycle: int = Field(ge=1, le=3)
    assessed_on: PlausibleDate
    leukaemia: LeukaemiaIn | None = None
    lymphoma: LymphomaIn | None = None


class ResponsePublic(BaseModel):
    id: int
    cycle: int
    assessed_on: date
    disease: str
    components: dict[str, object]
    category: str
    marrow_status: str
    mrd_status: str
    reasons: list[str]
    definitions_version: str
    entered_by: str
    created_at: datetime
    confirmed_by: str | None
    confirmed_at: datetime | None


class BestPublic(BaseModel):
    category: str
    mrd_negative: bool
    cycle: int | None
    reason: str


class ResponsesPublic(BaseModel):
    responses: list[ResponsePublic]
    best_overall: BestPublic
    best_after_cycle_1: BestPublic


class OffCreate(_Create):
    on: PlausibleDate
    reason: OffReason
    note: str | None = Field(None, max_length=2000)


class OutcomeUpdate(_Create):
    c1d1: PlausibleDate | None = None
    follow_up_status: FollowUp | None = None
    last_contact_on: PlausibleDate | None = None
    hsct_on: PlausibleDate | None = None
    death_on: PlausibleDate | None = None
    first_event_on: PlausibleDate | None = None
    first_event_kind: EventKind | None = None
    note: str | None = Field(None, max_length=2000)
    reason: str | None = Field(None, max_length=500)


class OutcomePublic(BaseModel):
    model_config = ConfigDict(from_attributes=True)
    subject_code: str
    c1d1: date | None
    off_treatment_on: date | None
    off_treatment_reason: str | None
    off_study_on: date | None
    off_study_reason: str | None
    follow_up_status: str | None
    last_contact_on: date | None
    hsct_on: date | None
    death_on: date | None
    first_event_on: date | None
    first_event_kind: str | None
    note: str | None
    os_days: int | None = None
    os_event: bool = False
    efs_days: int | None = None
    efs_event: bool = False


class Rp2dCreate(_Create):
    dose_level: int = Field(ge=-5, le=10)
    declared_on: PlausibleDate


class Rp2dPublic(BaseModel):
    model_config = ConfigDict(from_attributes=True)
    subprotocol: str
    dose_level: int
    declared_on: date
    declared_by: str


class DesignPublic(BaseModel):
    status: str
    question: str | None
    choice: str | None
    p0: float | None
    p1: float | None
    alpha: float | None
    beta: float | None
    r1: int | None
    n1: int | None
    r: int | None
    n: int | None
    en0: float | None
    pet0: float | None


class CharacteristicsPublic(BaseModel):
    p: float
    pet: float
    en: float
    reject_h0: float


class PatientPublic(BaseModel):
    code: str
    evaluable: bool
    responder: bool | None
    reason: str


class EfficacyPublic(BaseModel):
    subprotocol: str
    rp2d: Rp2dPublic | None
    design: DesignPublic
    stage: str
    decision: str
    evaluable: int
    responders: int
    pending: int
    not_evaluable: int
    stage1_evaluable: int
    stage1_responders: int
    operating_characteristics: dict[str, CharacteristicsPublic]
    patients: list[PatientPublic]


class GatePublic(BaseModel):
    cycle: int
    gate: str
    reason: str
