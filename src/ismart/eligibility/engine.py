"""Screen one dossier against every sub-protocol of a protocol: the pure core of `ismart screen`."""

from __future__ import annotations

from datetime import date

from ismart import ENGINE_VERSION
from ismart.dossier import Dossier
from ismart.eligibility.allocation import recommend
from ismart.eligibility.context import Context, Options, Shared
from ismart.eligibility.result import (
    CriterionResult,
    MatchedAlteration,
    ScreeningResult,
    SubprotocolResult,
)
from ismart.eligibility.rules import evaluate
from ismart.eligibility.sites import find_site
from ismart.eligibility.status import Outcome, Status, verdict_of
from ismart.molecular.matching import hits
from ismart.molecular.profile import Profile, build_profile
from ismart.protocol.model import AlterationRule, Criterion, Protocol, SubProtocol


def _recruitment(sp: SubProtocol, site_name: str | None) -> tuple[CriterionResult, str | None, bool]:
    evidence: dict[str, object] = {"subprotocol_status": sp.status, "source": sp.status_source}
    site_status: str | None = None
    if sp.status != "recruiting":
        status, summary = Status.NOT_MET, f"{sp.name} is {sp.status.replace('_', ' ')}"
    elif site_name is None:
        status, summary = Status.MET, f"{sp.name} is recruiting"
    elif not sp.sites:
        status = Status.MET
        summary = f"{sp.name} is recruiting; no per-site status is published (check with the trial office)"
        evidence["site"] = site_name
    else:
        site = find_site(site_name, sp.sites)
        evidence["site"] = site_name
        if site is None:
            status = Status.UNKNOWN
            summary = f"{site_name!r} is not among {sp.name}'s published sites"
        else:
            site_status = site.status
            evidence["site_matched"] = f"{site.institution}, {site.city}, {site.country}"
            evidence["site_status"] = site.status
            ok = site.status == "recruiting"
            status = Status.MET if ok else Status.NOT_MET
            summary = f"{sp.name} at {site.institution}, {site.city}: {site.status.replace('_', ' ')}"
    missing = ("the site's recruitment status for this sub-protocol",) if status is Status.UNKNOWN else ()
    open_here = sp.status == "recruiting" and site_status in (None, "recruiting")
    result = CriterionResult(
        "recruitment",
        None,
        "status",
        "Sub-protocol (and site) open for inclusion",
        sp.status_source,
        status,
        summary,
        evidence,
        missing,
        None,
    )
    return result, site_status, open_here


def _criterion(criterion: Criterion, outcome: Outcome) -> CriterionResult:
    return CriterionResult(
        criterion.key,
        criterion.number,
        criterion.kind,
        criterion.label,
        criterion.source,
        outcome.status,
        outcome.summary,
        dict(outcome.evidence),
        outcome.missing,
        outcome.earliest,
    )


def _earliest(planned: date | None, as_of: date, outcomes: list[Outcome]) -> date | None:
    """First date every waiting period allows, never before the screening date (a C1D1 cannot be
    in the past) nor before the planned C1D1; None when one of the periods cannot be dated."""
    waits = [o for o in outcomes if o.waits]
    if any(o.earliest is None and o.status is not Status.MET for o in waits):
        return None
    dates = [o.earliest for o in waits if o.earliest is not None]
    if planned is not None:
        dates.append(planned)
    return max(*dates, as_of) if dates else None


def _alterations(sp: SubProtocol, profile: Profile) -> tuple[MatchedAlteration, ...]:
    found: dict[tuple[str, str], MatchedAlteration] = {}
    for criterion in sp.criteria:
        if not isinstance(criterion.rule, AlterationRule):
            continue
        for hit in hits(profile, criterion.rule.matches):
            if hit.status not in (Status.MET, Status.REVIEW):
                continue
            alt = hit.alteration
            key = (alt.gene, alt.detail)
            if key not in found or hit.status is Status.MET:
                found[key] = MatchedAlteration(
                    alt.gene, alt.kind, alt.detail, criterion.rule.pathway, hit.status, hit.why
                )
    return tuple(found.values())


def screen_subprotocol(sp: SubProtocol, ctx: Context) -> SubprotocolResult:
    recruitment, site_status, open_here = _recruitment(sp, ctx.dossier.patient.site)
    outcomes = [(c, evaluate(c.rule, ctx)) for c in sp.criteria]
    criteria = (recruitment, *(_criterion(c, o) for c, o in outcomes))
    match_status = [o.status for c, o in outcomes if c.key == "alteration"]
    molecular_match = {Status.MET: True, Status.NOT_MET: False}.get(match_status[0]) if match_status else None
    missing = tuple(dict.fromkeys(m for c in criteria for m in c.missing))
    return SubprotocolResult(
        id=sp.id,
        name=sp.name,
        drugs=tuple(sp.drugs),
        status=sp.status,
        site_status=site_status,
        open_at_site=open_here,
        molecular_match=molecular_match,
        alterations=_alterations(sp, ctx.profile),
        verdict=verdict_of(c.status for c in criteria),
        earliest_c1d1=_earliest(ctx.c1d1, ctx.as_of, [o for _, o in outcomes]),
        criteria=criteria,
        missing=missing,
    )


def screen(
    dossier: Dossier,
    protocol: Protocol,
    *,
    as_of: date,
    c1d1: date | None = None,
    options: Options | None = None,
) -> ScreeningResult:
    """Evaluate every criterion of every sub-protocol. ``as_of`` is today's date, from outside."""
    planned = c1d1 or dossier.planned_c1d1
    profile = build_profile(dossier.profiling)
    opts = options or Options()
    results = []
    shared = Shared()  # every sub-protocol's context: the same dossier, dates and options
    for sp in protocol.subprotocols:
        inclusion = dossier.patient.inclusion_date or planned
        ctx = Context(dossier, planned, inclusion, as_of, opts, profile, sp, shared)
        results.append(screen_subprotocol(sp, ctx))
    priorities = {sp.id: sp.priority for sp in protocol.subprotocols}
    return ScreeningResult(
        patient_id=dossier.patient.id,
        protocol_name=protocol.name,
        protocol_version=protocol.version,
        engine_version=ENGINE_VERSION,
        screened_on=as_of,
        planned_c1d1=planned,
        inclusion_date=dossier.patient.inclusion_date or planned,
        subprotocols=tuple(results),
        recommendation=recommend(results, priorities),
    )
