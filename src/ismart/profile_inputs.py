"""Bring laboratory files into a dossier's profiling: VCF, MAF, fusion tables, copy number, IC50.

This is the I/O edge of the molecular side: the readers in ``ismart.profiles`` parse the files,
and their findings are appended to what the dossier already lists, so the pure engine sees one
Profiling whatever the source.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TypeVar

from ismart.dossier import Dossier, Profiling
from ismart.errors import ProfileFileError

T = TypeVar("T")


@dataclass(frozen=True)
class ProfileSources:
    vcf: Path | None = None
    maf: Path | None = None
    fusions: Path | None = None
    cnv: Path | None = None
    drug_response: Path | None = None
    sample: str | None = None

    def any(self) -> bool:
        return any((self.vcf, self.maf, self.fusions, self.cnv, self.drug_response))


def _one_sample(path: Path, by_sample: Mapping[str, Sequence[T]], sample: str | None) -> list[T]:
    if sample is not None:
        if sample not in by_sample:
            raise ProfileFileError(str(path), None, f"no sample {sample!r} in the file")
        return list(by_sample[sample])
    if len(by_sample) > 1:
        names = ", ".join(sorted(by_sample)[:5])
        raise ProfileFileError(str(path), None, f"several samples ({names}, ...): choose one with --sample")
    return list(next(iter(by_sample.values()), []))


def _header(path: Path) -> str:
    try:
        with path.open(encoding="utf-8") as handle:
            return handle.readline()
    except (OSError, UnicodeDecodeError) as exc:
        raise ProfileFileError(str(path), None, f"cannot read: {exc}") from None


def _read(sources: ProfileSources) -> dict[str, list[object]]:
    from ismart import profiles

    found: dict[str, list[object]] = {"variants": [], "fusions": [], "copy_number": [], "drug_response": []}
    if sources.vcf is not None:
        found["variants"] += profiles.read_vcf(sources.vcf, sources.sample)
    if sources.maf is not None:
        found["variants"] += _one_sample(sources.maf, profiles.read_maf(sources.maf), sources.sample)
    if sources.fusions is not None:
        arriba = _header(sources.fusions).lstrip().lower().startswith("#gene1")
        reader = profiles.read_arriba if arriba else profiles.read_star_fusion
        found["fusions"] += reader(sources.fusions)
    if sources.cnv is not None:
        header = _header(sources.cnv).lower()
        seg = "seg.mean" in header or "segment_mean" in header
        table = profiles.read_seg(sources.cnv) if seg else profiles.read_cna(sources.cnv)
        found["copy_number"] += _one_sample(sources.cnv, table, sources.sample)
    if sources.drug_response is not None:
        found["drug_response"] += profiles.read_ic50(sources.drug_response)
    return found


def with_files(record: Dossier, sources: ProfileSources) -> Dossier:
    """The dossier with the files' findings appended to its profiling (a new object)."""
    if not sources.any():
        return record
    found = _read(sources)
    base = record.profiling or Profiling()
    merged = base.model_copy(
        update={name: [*(getattr(base, name) or []), *items] for name, items in found.items()}
    )
    return record.model_copy(update={"profiling": merged})


def sources_of(record: Dossier, dossier_path: Path, cli: ProfileSources) -> ProfileSources:
    """Files named on the command line, else those the dossier points to (relative to it)."""
    files = record.profiling.files if record.profiling is not None else None

    def pick(given: Path | None, named: str | None) -> Path | None:
        if given is not None:
            return given
        return (dossier_path.parent / named) if named else None

    if files is None:
        return cli
    return ProfileSources(
        vcf=pick(cli.vcf, files.vcf),
        maf=pick(cli.maf, files.maf),
        fusions=pick(cli.fusions, files.fusions),
        cnv=pick(cli.cnv, files.cnv),
        drug_response=pick(cli.drug_response, files.drug_response),
        sample=cli.sample or files.sample,
    )
