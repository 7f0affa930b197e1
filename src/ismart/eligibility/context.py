"""What every rule evaluator sees: the dossier, the dates that anchor the windows, the options."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date

from ismart.dossier import Dossier, Lab
from ismart.medications import MedicationTable
from ismart.molecular.profile import Profile
from ismart.protocol.model import SubProtocol


@dataclass(frozen=True)
class Options:
    """Site-configurable settings of a screening run.

    ``assessment_max_age_days``: assessments the documents give no window for (echo, ECG,
    performance, weight) count when done before C1D1; a site may require them to be at most this
    many days old. None means no limit.
    """

    assessment_max_age_days: int | None = None
    medications: MedicationTable = field(default_factory=MedicationTable.load_default)


@dataclass(frozen=True)
class Context:
    dossier: Dossier
    c1d1: date | None
    inclusion: date | None
    as_of: date
    options: Options
    profile: Profile
    subprotocol: SubProtocol

    @property
    def inclusion_source(self) -> str:
        if self.dossier.patient.inclusion_date is not None:
            return "dossier inclusion_date"
        return "planned C1D1 (no inclusion date given)"

    def latest_lab(self, test: str) -> Lab | None:
        """The most recent result of a test that has a value (or a result)."""
        done = [
            lab
            for lab in self.dossier.labs or []
            if lab.test == test
            and (lab.value is not None or lab.result is not None)
            and lab.collected_at is not None
        ]
        if not done:
            return None
        return max(done, key=lambda lab: _sort_key(lab))


def _sort_key(lab: Lab) -> str:
    return lab.collected_at.isoformat() if lab.collected_at is not None else ""
