"""The mapping report: every resource or element that could not be carried over, and why."""

from __future__ import annotations

from dataclasses import asdict, dataclass


@dataclass(frozen=True)
class Unmapped:
    resource: str  # e.g. "Observation/serum-sodium" or "trial 11-111"
    path: str  # element path inside it, e.g. "code.coding[0]"
    why: str

    def as_dict(self) -> dict[str, str]:
        return asdict(self)


def render(entries: list[Unmapped]) -> str:
    """One line per entry, for the command line."""
    if not entries:
        return "mapping report: everything was mapped"
    lines = [f"mapping report: {len(entries)} element(s) not mapped"]
    lines += [f"  {e.resource} {e.path}: {e.why}" for e in entries]
    return "\n".join(lines)
