"""Which open sub-protocol to pursue, across the screened ones (the recommendation)."""

from __future__ import annotations

from collections.abc import Mapping, Sequence

from ismart.eligibility.result import Recommendation, SubprotocolResult
from ismart.eligibility.status import Status, Verdict

_PREFERENCE = {Verdict.ELIGIBLE: 0, Verdict.NEEDS_REVIEW: 1, Verdict.INCOMPLETE: 2, Verdict.NOT_ELIGIBLE: 3}


def _blockers(result: SubprotocolResult) -> str:
    failing = [f"{c.key} ({c.status.value})" for c in result.criteria if c.status is not Status.MET]
    return ", ".join(failing) if failing else "none"


def recommend(results: Sequence[SubprotocolResult], priorities: Mapping[str, int | None]) -> Recommendation:
    """Open and molecularly matching sub-protocols, best verdict first; ties by protocol priority,
    else left to the tumour board with every candidate named."""
    matching = [r for r in results if r.molecular_match]
    candidates = [r for r in matching if r.open_at_site]
    if not candidates:
        closed = [
            f"{r.id} ({r.status.replace('_', ' ')}"
            + (f"; site {r.site_status.replace('_', ' ')}" if r.site_status else "")
            + ")"
            for r in matching
        ]
        possible = [
            r.id
            for r in results
            if r.molecular_match is None
            and r.open_at_site
            and any(a.status is Status.REVIEW for a in r.alterations)
        ]
        reason = "No open sub-protocol matches molecularly."
        if closed:
            reason += f" Matching but not open: {', '.join(closed)}."
        if possible:
            reason += f" Possible match for the tumour board to judge: {', '.join(possible)}."
        return Recommendation(None, (), reason)
    best = min(_PREFERENCE[r.verdict] for r in candidates)
    top = [r for r in candidates if _PREFERENCE[r.verdict] == best]
    ranked = sorted(candidates, key=lambda r: _PREFERENCE[r.verdict])
    order = ", ".join(f"{r.id} {r.verdict.value}" for r in ranked)
    if len(top) > 1:
        known = [r for r in top if priorities.get(r.id) is not None]
        if len(known) == len(top):
            top.sort(key=lambda r: priorities[r.id] or 0)
        else:
            ids = ", ".join(r.id for r in top)
            return Recommendation(
                None,
                tuple(r.id for r in top),
                f"Several open sub-protocols match ({order}); the protocol data "
                f"sets no priority, so the tumour board chooses between {ids}.",
            )
    chosen = top[0]
    names = ", ".join(a.detail if a.kind == "fusion" else f"{a.gene} {a.detail}" for a in chosen.alterations)
    reason = f"{chosen.id} is open and matches ({names}); verdict {chosen.verdict.value}."
    if chosen.verdict is not Verdict.ELIGIBLE:
        reason += f" To resolve: {_blockers(chosen)}."
    if len(candidates) > 1:
        reason += f" All open matches: {order}."
    return Recommendation(chosen.id, tuple(r.id for r in ranked), reason)
