"""Typed models of the protocol data files (protocols/<name>/*.yaml).

A protocol is a master file plus one file per sub-protocol. Each criterion names its key (from the
screening-output contract), its number in the sub-protocol's own document, its kind, a label in
our own words, the source it comes from, and a rule: a typed leaf, or ``all`` / ``any`` / ``not``
over rules. Readings of ambiguous wording are data too (``reading`` fields), shown in evidence.
"""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field

SCHEMA_VERSION = 1

CriterionKey = Literal[
    "age",
    "weight",
    "performance",
    "consent",
    "swallowing",
    "profiling",
    "alteration",
    "renal",
    "bilirubin",
    "transaminases",
    "cardiac_function",
    "qtc",
    "pregnancy",
    "contraception",
    "breastfeeding",
    "gi_function",
    "resistance_mutation",
    "hypersensitivity",
    "infection",
    "concomitant_disease",
    "compliance",
    "prior_treatment",
    "prohibited_medication",
    "diet",
    "unresolved_toxicity",
    "gvhd",
    "post_hsct_immunosuppression",
    "bone_disorder",
    "pml",
    "growth_retardation",
    "tuberculosis",
    "retinal",
    "washout_chemotherapy",
    "washout_radiotherapy",
    "washout_hsct",
    "washout_immunotherapy",
    "washout_antibody",
    "washout_surgery",
    "recruitment",
]
RecruitmentStatus = Literal[
    "recruiting", "not_yet_recruiting", "withdrawn", "suspended", "closed", "completed"
]


class _Data(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class Duration(_Data):
    years: int = 0
    months: int = 0


# ---- leaves -----------------------------------------------------------------------------


class AgeRule(_Data):
    type: Literal["age"]
    min_at_diagnosis: Duration
    max_at_diagnosis_below: Duration
    review_at_diagnosis_below: Duration | None = None
    max_at_inclusion_below: Duration
    reading: str


class WeightRule(_Data):
    type: Literal["weight"]
    min_kg: float | None = None
    split_age_years: int | None = None
    below_split_min_kg: float | None = None
    above_split_min_kg: float | None = None
    reading: str | None = None
    max_age_days: int | None = None  # ismart reading: how old "at enrolment" may be
    age_reading: str | None = None


class PerformanceRule(_Data):
    type: Literal["performance"]
    min_score: int
    lansky_up_to_completed_years: int


class ConsentRule(_Data):
    type: Literal["consent"]


class SwallowingRule(_Data):
    type: Literal["swallowing"]


class ProfilingRule(_Data):
    type: Literal["profiling"]
    advanced: bool
    advanced_methods: list[str]
    reading: str


class FlagRule(_Data):
    """A yes/no fact of the dossier; ``excluded_when`` is the value that fails the criterion."""

    type: Literal["flag"]
    field: str
    excluded_when: bool = True
    only_sex: Literal["female", "male"] | None = None
    ask: str


class VariantMatch(_Data):
    kind: Literal["variant"]
    gene: str
    classes: list[Literal["missense", "inframe", "truncating", "protein_altering", "itd"]] = []
    changes: list[str] = []
    positions: list[int] = []
    hotspots: bool = False
    domains: list[str] = []
    flank: int = 0
    exons: list[int] = []
    review: bool = False
    tier: Literal["named", "rule"] = "rule"
    label: str


class FusionMatch(_Data):
    kind: Literal["fusion"]
    gene: str
    partner: str | None = None
    position: Literal["three_prime", "five_prime", "any"] = "any"
    needs_kinase_domain: bool = False
    named_partners: list[str] = []  # partners the documents name: such a fusion is tier "named"
    review: bool = False
    tier: Literal["named", "rule"] = "rule"
    label: str


class CopyNumberMatch(_Data):
    kind: Literal["copy_number"]
    gene: str
    calls: list[str]
    review: bool = False
    tier: Literal["named", "rule"] = "rule"
    label: str


class ExpressionMatch(_Data):
    kind: Literal["expression"]
    gene: str
    status: Literal["high"]
    review: bool = False
    tier: Literal["named", "rule"] = "rule"
    label: str


class DrugResponseMatch(_Data):
    kind: Literal["drug_response"]
    drug: str
    ic50_below_nM: float
    central_lab_only: bool
    review: bool = False
    tier: Literal["named", "rule"] = "rule"
    label: str


MolecularMatch = Annotated[
    VariantMatch | FusionMatch | CopyNumberMatch | ExpressionMatch | DrugResponseMatch,
    Field(discriminator="kind"),
]


class AlterationRule(_Data):
    type: Literal["alteration"]
    pathway: str
    matches: list[MolecularMatch]


class ResistanceMutation(_Data):
    gene: str
    positions: list[int] = []
    changes: list[str] = []
    drug: str
    # open lists ("e.g. G101V, F104L/C"): other changes at these residues are REVIEW
    review_positions: list[int] = []
    review_reading: str | None = None


class ResistanceRule(_Data):
    type: Literal["resistance"]
    mutations: list[ResistanceMutation]


class RenalCreatinineRule(_Data):
    type: Literal["creatinine_uln"]
    max_times_uln: float
    window_hours: int


class RenalSchwartzRule(_Data):
    type: Literal["egfr_schwartz"]
    min_ml_min_173: float
    window_hours: int


class MeasuredGfrRule(_Data):
    type: Literal["gfr_measured"]
    min_ml_min_173: float
    window_hours: int


class BilirubinRule(_Data):
    type: Literal["bilirubin"]
    max_times_uln: float
    gilbert_max_times_uln: float
    window_hours: int


class TransaminaseRule(_Data):
    type: Literal["transaminases"]
    max_times_uln: float
    window_hours: int


class ShorteningFractionRule(_Data):
    type: Literal["shortening_fraction"]
    above_pct: float
    young_below_years: int
    young_above_pct: float


class LvefRule(_Data):
    type: Literal["lvef"]
    min_pct: float


class QtcRule(_Data):
    type: Literal["qtc"]
    max_ms: float
    site_tolerance_ms: float | None = None  # ismart reading: reported vs recomputed QTcF
    reading: str | None = None


class PregnancyRule(_Data):
    type: Literal["pregnancy"]
    test_window_days: int


class ContraceptionRule(_Data):
    type: Literal["contraception"]


class InfectionRule(_Data):
    type: Literal["infection"]
    covid: bool
    covid_contact_wait_days: int = 5
    reading: str | None = None


class PriorTreatmentRule(_Data):
    type: Literal["prior_treatment"]
    agents: list[str]
    combination: bool


class ProhibitedMedicationRule(_Data):
    type: Literal["prohibited_medication"]
    classes: list[str]
    review_classes: list[str] = []  # classes the documents leave open: REVIEW with `reading`
    reading: str | None = None


class DietRule(_Data):
    type: Literal["diet"]
    window_hours: int


class ToxicityRule(_Data):
    type: Literal["unresolved_toxicity"]
    min_grade: int


class GvhdRule(_Data):
    type: Literal["gvhd"]
    chronic_max_grade: int


class ImmunosuppressionRule(_Data):
    type: Literal["post_hsct_immunosuppression"]
    months: int


class ChemotherapyWashoutRule(_Data):
    type: Literal["washout_chemotherapy"]
    days: int
    short_hours: int
    short_agents: list[str]
    short_oral_only: list[str]
    short_classes: list[str]
    intrathecal_exempt: bool


class RadiotherapyWashoutRule(_Data):
    type: Literal["washout_radiotherapy"]
    days: int


class HsctWashoutRule(_Data):
    type: Literal["washout_hsct"]
    autologous_months: int
    allogeneic_months: int


class ClassWashoutRule(_Data):
    """Days since the last dose of any therapy of the given classes (immunotherapy, ...)."""

    type: Literal["washout_classes"]
    classes: list[str]
    days: int
    half_lives: float | None = None
    unlisted_classes_review: list[str] = []


class SurgeryWashoutRule(_Data):
    type: Literal["washout_surgery"]
    days: int
    not_major: list[str]


class OpenQuestion(_Data):
    """A rule the public documents do not give: always UNKNOWN, with the question."""

    type: Literal["open_question"]
    question: str
    collect: str | None = None


# ---- composites -------------------------------------------------------------------------


class AllRule(_Data):
    type: Literal["all"]
    rules: list[Rule]


class AnyRule(_Data):
    type: Literal["any"]
    rules: list[Rule]


class NotRule(_Data):
    type: Literal["not"]
    rule: Rule


Rule = Annotated[
    AgeRule
    | WeightRule
    | PerformanceRule
    | ConsentRule
    | SwallowingRule
    | ProfilingRule
    | FlagRule
    | AlterationRule
    | ResistanceRule
    | RenalCreatinineRule
    | RenalSchwartzRule
    | MeasuredGfrRule
    | BilirubinRule
    | TransaminaseRule
    | ShorteningFractionRule
    | LvefRule
    | QtcRule
    | PregnancyRule
    | ContraceptionRule
    | InfectionRule
    | PriorTreatmentRule
    | ProhibitedMedicationRule
    | DietRule
    | ToxicityRule
    | GvhdRule
    | ImmunosuppressionRule
    | ChemotherapyWashoutRule
    | RadiotherapyWashoutRule
    | HsctWashoutRule
    | ClassWashoutRule
    | SurgeryWashoutRule
    | OpenQuestion
    | AllRule
    | AnyRule
    | NotRule,
    Field(discriminator="type"),
]


class Criterion(_Data):
    key: CriterionKey
    number: str | None
    kind: Literal["inclusion", "exclusion"]
    label: str
    source: str
    rule: Rule


class CriterionTemplate(_Data):
    """A criterion shared by several sub-protocols (the common ITCC template), without number."""

    key: CriterionKey
    kind: Literal["inclusion", "exclusion"]
    label: str
    rule: Rule


class TemplateRef(_Data):
    """A sub-protocol's use of a shared template, with its number in that sub-protocol's text."""

    template: str
    number: str | None
    source: str


class Site(_Data):
    institution: str
    city: str
    country: str
    status: RecruitmentStatus


class Sourced(_Data):
    value: int
    source: str


class DrugDays(_Data):
    """One drug of a cycle template: on which days, by which route; an open question if unclear."""

    drug: str
    route: str
    days: list[tuple[int, int]]  # inclusive day ranges within the cycle
    ramp_up_days: list[int] = []
    question: str | None = None


class CycleTemplate(_Data):
    cycles: list[int] | None = None  # cycle numbers it applies to
    from_cycle: int | None = None  # ... or every cycle from this one on
    drugs: list[DrugDays]

    def applies(self, cycle: int) -> bool:
        if self.cycles is not None and cycle in self.cycles:
            return True
        return self.from_cycle is not None and cycle >= self.from_cycle


class LevelDose(_Data):
    """A dose at one level: per m2, per kg or flat; null value = set by the sponsor (not public)."""

    basis: Literal["mg/m2", "mg/kg", "mg"] | None = None
    value: float | None = None
    max_mg: float | None = None
    round_to_mg: float | None = None


class DrugDose(_Data):
    drug: str
    levels: dict[int, LevelDose]
    source: str | None = None
    note: str | None = None


class Assessment(_Data):
    name: str
    cycle: int | None = None
    day: int | None = None
    note: str | None = None


class Treatment(_Data):
    cycle_days: int
    recovery_until_day: int
    max_cycles: int
    cycles_with_approval: int  # further cycles the sponsor may approve beyond max_cycles
    continuation: str
    dose_levels: list[int]
    starting_level: int | None
    source: str
    templates: list[CycleTemplate]

    @property
    def last_cycle(self) -> int:
        """The highest cycle number the protocol provides (the last ones with the sponsor's approval)."""
        return self.max_cycles + self.cycles_with_approval

    # the phase I design when it differs from master.yaml's dose_finding.design (None: the master's)
    design: Literal["rolling6", "3+3", "boin"] | None = None
    doses: list[DrugDose]
    intrathecal: str
    assessments: list[Assessment] = []
    open_questions: list[str] = []


class _SubProtocolBase(_Data):
    schema_version: int
    id: str
    name: str
    registry_id: str | None
    drugs: list[str]
    intrathecal: list[str] = []
    pathway: str
    status: RecruitmentStatus
    status_source: str
    capacity: Sourced
    priority: int | None = None
    sites: list[Site] = []
    sites_source: str | None = None
    treatment: Treatment | None = None


class SubProtocolFile(_SubProtocolBase):
    """A sub-protocol as written in its file: criteria may refer to master templates."""

    criteria: list[Criterion | TemplateRef]


class SubProtocol(_SubProtocolBase):
    """A sub-protocol with every criterion resolved."""

    criteria: list[Criterion]


class Source(_Data):
    title: str
    url: str | None = None
    as_of: str


class DltRuleData(_Data):
    """A DLT rule as data (read into ``treatment.adverse_events.DltRule``); ``source`` says whose."""

    source: str
    window: Literal["day28", "recovery_day49"]
    min_grade_nonhematologic: int = Field(ge=1, le=5)
    min_grade_hematologic: int = Field(ge=1, le=5)
    hematologic_terms: list[str]
    attribution_at_least: Literal["unrelated", "unlikely", "possible", "probable", "definite"]
    excluded_terms: list[str] = []


class DltEvaluabilityData(_Data):
    """Doses a patient must receive in the DLT window to be evaluable without a DLT (a sponsor
    setting: HEM-iSMART's threshold is not public); ``source`` says whose."""

    source: str
    min_dose_fraction: float = Field(gt=0, le=1)


class DoseFinding(_Data):
    """The phase I dose finding the sub-protocols share: design, levels, DLT period and rule."""

    design: Literal["rolling6", "3+3", "boin"]
    design_source: str
    levels: list[int] = Field(min_length=1)
    start_level: int
    levels_source: str
    dlt_window_days: int = Field(gt=0)
    dlt_window_source: str
    dlt_window_reading: str
    dlt_rule: DltRuleData
    dlt_evaluability: DltEvaluabilityData

    def sources(self) -> list[str]:
        return [
            self.design_source,
            self.levels_source,
            self.dlt_window_source,
            self.dlt_rule.source,
            self.dlt_evaluability.source,
        ]


class RegistrationRules(_Data):
    """What the registry checks before a registration (operational rules of the deployment)."""

    screening_max_age_days: int = Field(ge=0, le=365)  # a stored screening older than this is re-run
    basis: str  # where the number comes from (the protocol, the sponsor, or an open question)


class Master(_Data):
    schema_version: int
    name: str
    version: str
    amendment: str
    description: str
    subprotocols: list[str]
    sources: dict[str, Source]
    dose_finding: DoseFinding | None = None
    templates: dict[str, CriterionTemplate]
    registration: RegistrationRules | None = None  # None: the registry's default (7 days)


class Protocol(_Data):
    master: Master
    subprotocols: list[SubProtocol]

    @property
    def name(self) -> str:
        return self.master.name

    @property
    def version(self) -> str:
        return self.master.version


AllRule.model_rebuild()
AnyRule.model_rebuild()
NotRule.model_rebuild()
Criterion.model_rebuild()
CriterionTemplate.model_rebuild()
