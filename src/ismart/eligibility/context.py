"""What every rule evaluator sees: the dossier, the dates that anchor the windows, the options."""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from datetime import date
from typing import Any, cast

from ismart.dossier import Dossier, Lab
from ismart.errors import InternalError
from ismart.logic import Outcome
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
    shared: Shared | None = field(default=None, compare=False, repr=False)

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


class _NoSubprotocol:
    """The sub-protocol of a rule evaluated once for every sub-protocol: reading it is a bug (the
    rule's type belongs in ``rules.READS_SUBPROTOCOL``), caught here rather than answered wrongly."""

    def __getattr__(self, name: str) -> Any:
        raise InternalError(
            f"a rule evaluated once for all sub-protocols read subprotocol.{name}: "
            "list its type in ismart.eligibility.rules.READS_SUBPROTOCOL"
        )


NO_SUBPROTOCOL = cast(SubProtocol, _NoSubprotocol())


@dataclass
class Shared:
    """What the sub-protocols of one screening share: the outcome of each rule that does not read
    the sub-protocol, computed once (the shipped protocol's 114 criteria hold 56 distinct rules),
    keyed by the rule's content."""

    outcomes: dict[str, Outcome] = field(default_factory=dict)
    _neutral: Context | None = None

    def neutral(self, ctx: Context) -> Context:
        """The screening's context with no sub-protocol in it."""
        if self._neutral is None:
            self._neutral = replace(ctx, subprotocol=NO_SUBPROTOCOL, shared=None)
        return self._neutral


def _sort_key(lab: Lab) -> str:
    return lab.collected_at.isoformat() if lab.collected_at is not None else ""
