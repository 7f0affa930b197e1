"""The screening dossier: what a site knows about one patient (the input contract).

The shape follows ``spec/dossier-example.yaml``. Every section and field is optional: an absent
value is reported as missing by the engine, never assumed. Values that are present are checked
hard: a wrong type, an impossible number, a lab value without its unit or a date in the future
is a :class:`~ismart.errors.DossierError` naming the field.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from datetime import date, datetime
from pathlib import Path
from typing import Annotated, Any, Literal

import yaml
from pydantic import BaseModel, BeforeValidator, ConfigDict, Field, StrictFloat, StrictInt, ValidationError

from ismart import calculators
from ismart.errors import DossierError
from ismart.jsonkeys import DuplicateKeyError, unique_keys


def _iso_date(value: Any) -> Any:
    """A calendar date: a date object or YYYY-MM-DD text (never a number or a timestamp)."""
    if value is None or (isinstance(value, date) and not isinstance(value, datetime)):
        return value
    if isinstance(value, str) and re.fullmatch(r"\s*\d{4}-\d{2}-\d{2}\s*", value):
        try:
            return date.fromisoformat(value.strip())
        except ValueError as exc:
            raise ValueError(f"not a calendar date: {value!r}") from exc
    raise ValueError(f"expected a date as YYYY-MM-DD, got {value!r}")


def _date_or_datetime(value: Any) -> Any:
    """Keep a calendar date a date and a timestamp a datetime (YAML gives both as text or objects)."""
    if isinstance(value, datetime | date) or value is None:
        return value
    if isinstance(value, str):
        text = value.strip()
        try:
            if re.fullmatch(r"\d{4}-\d{2}-\d{2}", text):
                return date.fromisoformat(text)
            return datetime.fromisoformat(text)
        except ValueError as exc:
            raise ValueError(f"not an ISO 8601 date or datetime: {value!r}") from exc
    raise ValueError(f"expected a date or datetime in ISO 8601, got {value!r}")


IsoDate = Annotated[date, BeforeValidator(_iso_date)]
Day = IsoDate  # a field called `date` would shadow the type inside its class
DateOrTime = Annotated[date | datetime | None, BeforeValidator(_date_or_datetime)]
Positive = Annotated[StrictFloat, Field(gt=0)]


class _Section(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class Patient(_Section):
    id: str | None = None
    sex: Literal["female", "male"] | None = None
    birth_date: IsoDate | None = None
    weight_kg: Annotated[StrictFloat, Field(gt=0, le=300)] | None = None
    height_cm: Annotated[StrictFloat, Field(gt=20, le=250)] | None = None
    measured_on: IsoDate | None = None
    site: str | None = None
    inclusion_date: IsoDate | None = None


class Diagnosis(_Section):
    disease: Literal["ALL", "LBL"] | None = None
    lineage: Literal["B", "T"] | None = None
    first_diagnosis_date: IsoDate | None = None
    status: Literal["relapsed", "refractory"] | None = None
    cns_status: Literal["CNS1", "CNS2", "CNS3"] | None = None


class Consent(_Section):
    signed_on: IsoDate | None = None
    signed_by: Literal["parents", "legal_representative", "patient"] | None = None
    assent: Literal["obtained", "not_applicable", "refused"] | None = None


class Performance(_Section):
    scale: Literal["lansky", "karnofsky"] | None = None
    score: Annotated[StrictInt, Field(ge=0, le=100, multiple_of=10)] | None = None
    assessed_on: IsoDate | None = None


class Variant(_Section):
    gene: str
    hgvs_p: str | None = None
    # The protein change as a laboratory file wrote it (set by the profile readers; molecular area):
    # kept beside the normalised form, and the only form when it could not be read (then REVIEW).
    protein_raw: str | None = None
    hgvs_c: str | None = None
    type: str | None = None
    exon: Annotated[StrictInt, Field(ge=1)] | None = None
    vaf: Annotated[StrictFloat, Field(ge=0, le=1)] | None = None


class Fusion(_Section):
    five_prime: str
    three_prime: str
    in_frame: bool | None = None
    retains_kinase_domain: bool | None = None
    # Reads supporting the fusion as the caller counted them (set by the fusion readers; molecular area):
    # Arriba split_reads1 + split_reads2 + discordant_mates, STAR-Fusion JunctionReadCount +
    # SpanningFragCount; the best-supported row when a partner pair is listed on several rows.
    supporting_reads: Annotated[StrictInt, Field(ge=0)] | None = None


CopyNumberCall = Literal["homozygous_deletion", "heterozygous_deletion", "deletion", "amplification", "gain"]


class CopyNumber(_Section):
    gene: str
    call: CopyNumberCall


class Expression(_Section):
    gene: str
    status: Literal["high", "normal"]


class DrugResponse(_Section):
    drug: str
    ic50_nM: Annotated[StrictFloat, Field(gt=0)] | None = None
    central_lab: bool | None = None


class ProfileFiles(_Section):
    """Laboratory files the profile comes from, relative to the dossier file."""

    vcf: str | None = None
    maf: str | None = None
    fusions: str | None = None
    cnv: str | None = None
    drug_response: str | None = None
    sample: str | None = None


class Profiling(_Section):
    sample_date: IsoDate | None = None
    timepoint: Literal["relapse", "refractory", "first_diagnosis"] | None = None
    methods: list[str] | None = None
    flow_cytometry: bool | None = None
    lab: str | None = None
    variants: list[Variant] | None = None
    fusions: list[Fusion] | None = None
    copy_number: list[CopyNumber] | None = None
    expression: list[Expression] | None = None
    drug_response: list[DrugResponse] | None = None
    files: ProfileFiles | None = None


class Lab(_Section):
    test: str
    value: StrictFloat | None = None
    unit: str | None = None
    uln: Positive | None = None
    lln: StrictFloat | None = None
    result: Literal["negative", "positive"] | None = None
    collected_at: DateOrTime = None


class Echo(_Section):
    date: Day | None = None
    shortening_fraction_pct: Annotated[StrictFloat, Field(gt=0, lt=100)] | None = None
    lvef_pct: Annotated[StrictFloat, Field(gt=0, lt=100)] | None = None


class Ecg(_Section):
    date: Day | None = None
    qt_ms: Annotated[StrictFloat, Field(gt=100, lt=1000)] | None = None
    heart_rate_bpm: Annotated[StrictFloat, Field(gt=10, lt=400)] | None = None
    rr_ms: Annotated[StrictFloat, Field(gt=100, lt=3000)] | None = None
    qtcf_ms: Annotated[StrictFloat, Field(gt=100, lt=1000)] | None = None


class Cardiac(_Section):
    echo: Echo | None = None
    ecg: Ecg | None = None
    significant_arrhythmia: bool | None = None


class Reproductive(_Section):
    childbearing_potential: bool | None = None
    sexually_active: bool | None = None
    willing_to_use_effective_contraception: bool | None = None
    breastfeeding: bool | None = None


class ToxicityDetail(_Section):
    term: str
    grade: Annotated[StrictInt, Field(ge=1, le=5)]
    investigator_judges_not_relevant: bool | None = None


class Conditions(_Section):
    gilbert_syndrome: bool | None = None
    hepatic_dysfunction_due_to_disease: bool | None = None
    gi_impairment_affecting_absorption: bool | None = None
    able_to_swallow_capsules: bool | None = None
    oral_alternative: Literal["oral_solution", "dissolved_tablets", "feeding_tube"] | None = None
    severe_concomitant_disease: bool | None = None
    unable_to_comply: bool | None = None
    hypersensitivity_to_study_drugs: bool | None = None
    bone_disorder_history: bool | None = None
    pml_history: bool | None = None
    growth_retardation_history: bool | None = None
    retinal_vein_occlusion_or_csr: bool | None = None
    active_tuberculosis: bool | None = None
    unresolved_toxicity_grade2_plus: bool | None = None
    unresolved_toxicity_details: list[ToxicityDetail] | None = None
    gvhd: Literal["none", "acute", "chronic"] | None = None
    gvhd_grade: Annotated[StrictInt, Field(ge=1, le=4)] | None = None
    gvhd_treatment_or_prophylaxis: bool | None = None


class Covid(_Section):
    recent_positive_test: bool | None = None
    last_positive_test: IsoDate | None = None
    negative_pcr_after_positive: IsoDate | None = None
    symptoms_resolved_on: IsoDate | None = None
    recent_contact: bool | None = None
    last_contact: IsoDate | None = None
    pcr_after_contact: IsoDate | None = None
    symptoms: bool | None = None


TestResult = Literal["negative", "positive", "unknown", "not_tested"]


class Infections(_Section):
    hiv: TestResult | None = None
    hepatitis_b_active: TestResult | None = None
    hepatitis_c_active: TestResult | None = None
    uncontrolled_infection: bool | None = None
    covid: Covid | None = None


TherapyClass = Literal[
    "chemotherapy",
    "steroid",
    "immunotherapy",
    "monoclonal_antibody",
    "investigational",
    "targeted",
    "cell_therapy",
]


class PriorTherapy(_Section):
    agent: str
    therapy_class: TherapyClass | None = Field(default=None, alias="class")
    route: str | None = None
    first_dose: IsoDate | None = None
    last_dose: DateOrTime = None
    regimen: str | None = None
    half_life_days: Positive | None = None

    model_config = ConfigDict(extra="forbid", frozen=True, populate_by_name=True)


class Radiotherapy(_Section):
    end_date: IsoDate | None = None
    palliative: bool | None = None


class Hsct(_Section):
    type: Literal["allogeneic", "autologous"] | None = None
    date: Day | None = None
    immunosuppression_until: Day | None = None


class Surgery(_Section):
    date: Day | None = None
    procedure: str | None = None
    major: bool | None = None


class Medication(_Section):
    name: str
    route: str | None = None
    required_during_study: bool | None = None
    use: Literal["regular", "as_needed", "procedure"] | None = None  # absent: regular


class Diet(_Section):
    grapefruit_or_seville_orange_or_starfruit_last: DateOrTime | Literal["never"] = None


class Dossier(_Section):
    patient: Patient = Patient()
    diagnosis: Diagnosis = Diagnosis()
    planned_c1d1: IsoDate | None = None
    consent: Consent = Consent()
    performance: Performance = Performance()
    profiling: Profiling | None = None
    labs: list[Lab] | None = None
    cardiac: Cardiac = Cardiac()
    reproductive: Reproductive = Reproductive()
    conditions: Conditions = Conditions()
    infections: Infections = Infections()
    prior_therapy: list[PriorTherapy] | None = None
    radiotherapy: list[Radiotherapy] | None = None
    hsct: list[Hsct] | None = None
    surgery: list[Surgery] | None = None
    current_medications: list[Medication] | None = None
    diet: Diet = Diet()


# Lab tests whose units the engine converts; any other test is kept but not interpreted.
_LAB_UNIT_CHECKS = {
    "creatinine": calculators.creatinine_mg_dl,
    "bilirubin_direct": calculators.bilirubin_mg_dl,
    "bilirubin_total": calculators.bilirubin_mg_dl,
}
_MUST_BE_POSITIVE = {"creatinine", "gfr_measured"}
_GFR_UNITS = {"ml/min/1.73m2", "ml/min/1.73m²", "ml/min/1.73 m2"}


def _check_lab(index: int, lab: Lab) -> None:
    field = f"labs[{index}]"
    if lab.value is None:
        return
    if not lab.unit:
        raise DossierError(f"{field}.unit", f"{lab.test} value {lab.value} has no unit")
    unit = lab.unit.replace(" ", "").lower()
    if lab.test in _LAB_UNIT_CHECKS:
        try:
            _LAB_UNIT_CHECKS[lab.test](1.0, lab.unit)
        except ValueError as exc:
            raise DossierError(f"{field}.unit", str(exc)) from None
    elif lab.test in ("alt", "ast") and not calculators.is_enzyme_unit(lab.unit):
        raise DossierError(f"{field}.unit", f"{lab.test} must be in U/L or µkat/L, not {lab.unit!r}")
    elif lab.test == "gfr_measured" and unit not in {u.replace(" ", "") for u in _GFR_UNITS}:
        raise DossierError(f"{field}.unit", f"gfr_measured must be in mL/min/1.73m2, not {lab.unit!r}")
    if lab.value < 0 or (lab.value == 0 and lab.test in _MUST_BE_POSITIVE):
        raise DossierError(f"{field}.value", f"{lab.test} must be above 0 (got {lab.value})")


def _as_date(value: date | datetime) -> date:
    return value.date() if isinstance(value, datetime) else value


def _past_dates(dossier: Dossier) -> Iterator[tuple[str, date | datetime | None]]:
    """Dates that record something that has already happened."""
    yield "patient.birth_date", dossier.patient.birth_date
    yield "patient.measured_on", dossier.patient.measured_on
    yield "diagnosis.first_diagnosis_date", dossier.diagnosis.first_diagnosis_date
    yield "consent.signed_on", dossier.consent.signed_on
    yield "performance.assessed_on", dossier.performance.assessed_on
    if dossier.profiling is not None:
        yield "profiling.sample_date", dossier.profiling.sample_date
    for i, lab in enumerate(dossier.labs or []):
        yield f"labs[{i}].collected_at", lab.collected_at
    if dossier.cardiac.echo is not None:
        yield "cardiac.echo.date", dossier.cardiac.echo.date
    if dossier.cardiac.ecg is not None:
        yield "cardiac.ecg.date", dossier.cardiac.ecg.date
    for i, therapy in enumerate(dossier.prior_therapy or []):
        yield f"prior_therapy[{i}].first_dose", therapy.first_dose
        yield f"prior_therapy[{i}].last_dose", therapy.last_dose
    for i, rt in enumerate(dossier.radiotherapy or []):
        yield f"radiotherapy[{i}].end_date", rt.end_date
    for i, hsct in enumerate(dossier.hsct or []):
        yield f"hsct[{i}].date", hsct.date
    for i, surgery in enumerate(dossier.surgery or []):
        yield f"surgery[{i}].date", surgery.date
    last = dossier.diet.grapefruit_or_seville_orange_or_starfruit_last
    if last != "never":
        yield "diet.grapefruit_or_seville_orange_or_starfruit_last", last


def check_consistency(dossier: Dossier, *, as_of: date) -> None:
    """Refuse values no real record can hold: events in the future, lab values without units."""
    for field, value in _past_dates(dossier):
        if value is not None and _as_date(value) > as_of:
            raise DossierError(field, f"{_as_date(value)} is in the future (today is {as_of})")
    birth = dossier.patient.birth_date
    if birth is not None:
        anchored = [
            *_past_dates(dossier),
            ("planned_c1d1", dossier.planned_c1d1),
            ("patient.inclusion_date", dossier.patient.inclusion_date),
        ]
        for field, value in anchored:
            if value is not None and field != "patient.birth_date" and _as_date(value) < birth:
                raise DossierError(field, f"{_as_date(value)} is before birth ({birth})")
    for i, therapy in enumerate(dossier.prior_therapy or []):
        if therapy.first_dose and therapy.last_dose and _as_date(therapy.last_dose) < therapy.first_dose:
            raise DossierError(f"prior_therapy[{i}].last_dose", "is before first_dose")
    for i, lab in enumerate(dossier.labs or []):
        _check_lab(i, lab)


_UNION_FIELDS = {"collected_at", "last_dose", "grapefruit_or_seville_orange_or_starfruit_last"}


def _error_field(loc: tuple[int | str, ...]) -> str:
    """Dotted path of a pydantic error location, without the union-branch tags it inserts."""
    path = ""
    last = ""
    for item in loc:
        if isinstance(item, int):
            path += f"[{item}]"
        elif last in _UNION_FIELDS:
            continue  # e.g. ('labs', 0, 'collected_at', 'datetime'): 'datetime' is a branch tag
        else:
            path = f"{path}.{item}" if path else item
            last = item
    return path


def from_mapping(data: Any, *, as_of: date) -> Dossier:
    """Validate already-parsed dossier data; every problem is a one-line DossierError."""
    if data is None:
        data = {}
    if not isinstance(data, dict):
        raise DossierError("", "a dossier must be a mapping of sections (patient, labs, ...)")
    try:
        dossier = Dossier.model_validate(data)
    except ValidationError as exc:
        first = exc.errors(include_url=False)[0]
        got = first.get("input")
        shown = "" if isinstance(got, dict | list) else f" (got {got!r})"
        raise DossierError(_error_field(first["loc"]), f"{first['msg']}{shown}") from None
    check_consistency(dossier, as_of=as_of)
    return dossier


class _StrictLoader(yaml.SafeLoader):
    """Safe YAML that refuses a key given twice and names the line of an impossible date."""


def _strict_mapping(loader: _StrictLoader, node: yaml.MappingNode) -> dict[Any, Any]:
    seen: set[Any] = set()
    for key_node, _ in node.value:
        key = loader.construct_object(key_node, deep=True)
        if key in seen:
            raise yaml.constructor.ConstructorError(
                None, None, f"duplicate key {key!r} (each key once)", key_node.start_mark
            )
        seen.add(key)
    return loader.construct_mapping(node, deep=True)


def _strict_timestamp(loader: _StrictLoader, node: yaml.ScalarNode) -> Any:
    try:
        return yaml.SafeLoader.construct_yaml_timestamp(loader, node)
    except ValueError:
        raise yaml.constructor.ConstructorError(
            None, None, f"not a calendar date: {node.value!r}", node.start_mark
        ) from None


_StrictLoader.add_constructor(yaml.resolver.BaseResolver.DEFAULT_MAPPING_TAG, _strict_mapping)
_StrictLoader.add_constructor("tag:yaml.org,2002:timestamp", _strict_timestamp)


def parse_text(text: str, *, json_format: bool, name: str) -> Any:
    """Parse dossier text (YAML or JSON), refusing duplicate keys; errors name the line."""
    try:
        if json_format:
            return json.loads(text, object_pairs_hook=unique_keys)
        return yaml.load(text, Loader=_StrictLoader)
    except DuplicateKeyError as exc:
        raise DossierError("", f"{name}: duplicate key {exc.key!r} in JSON (each key once)") from None
    except json.JSONDecodeError as exc:
        raise DossierError("", f"{name}: invalid JSON at line {exc.lineno}: {exc.msg}") from None
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f" at line {mark.line + 1}" if mark is not None else ""
        problem = getattr(exc, "problem", None) or "syntax error"
        raise DossierError("", f"{name}: invalid YAML{where}: {problem}") from None


def load(path: Path, *, as_of: date) -> Dossier:
    """Read a dossier from a YAML or JSON file."""
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as exc:
        raise DossierError("", f"cannot read {path}: {exc.strerror}") from None
    except UnicodeDecodeError:
        raise DossierError("", f"{path} is not UTF-8 text") from None
    data = parse_text(text, json_format=path.suffix.lower() == ".json", name=str(path))
    return from_mapping(data, as_of=as_of)
