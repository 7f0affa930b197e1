"""HGVS protein-level changes (p.) parsed and normalised, so that p.G12D, p.Gly12Asp and
p.(Gly12Asp) are one alteration. Protein level only: no transcript or sequence database is needed.

Supported: substitutions (missense, nonsense with * / Ter / X, synonymous with =), frameshifts
(p.K57fs, p.Lys57GlufsTer5, p.K57Efs*5), in-frame deletions, duplications, insertions and
deletion-insertions over a residue or a range, stop-loss extensions (p.*110Qext*17), start loss
(p.M1?, p.0?) and the unknown change p.?. Amino acids may be 1- or 3-letter codes, in any case.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from enum import StrEnum


class HgvsError(ValueError):
    """Text that is not an HGVS protein change this parser understands."""


class ChangeKind(StrEnum):
    MISSENSE = "missense"
    NONSENSE = "nonsense"
    SYNONYMOUS = "synonymous"
    FRAMESHIFT = "frameshift"
    INFRAME_DELETION = "inframe_deletion"
    INFRAME_INSERTION = "inframe_insertion"
    DUPLICATION = "duplication"
    DELINS = "delins"
    EXTENSION = "extension"
    START_LOSS = "start_loss"
    UNKNOWN = "unknown"


THREE_TO_ONE = {
    "Ala": "A",
    "Arg": "R",
    "Asn": "N",
    "Asp": "D",
    "Cys": "C",
    "Gln": "Q",
    "Glu": "E",
    "Gly": "G",
    "His": "H",
    "Ile": "I",
    "Leu": "L",
    "Lys": "K",
    "Met": "M",
    "Phe": "F",
    "Pro": "P",
    "Ser": "S",
    "Thr": "T",
    "Trp": "W",
    "Tyr": "Y",
    "Val": "V",
    "Sec": "U",
    "Pyl": "O",
    "Ter": "*",
}
ONE_TO_THREE = {one: three for three, one in THREE_TO_ONE.items()}
_THREE = {k.upper(): v for k, v in THREE_TO_ONE.items()}

_AA3 = r"(?:[A-Za-z]{3})"
_AA1 = r"(?:[A-Za-z*])"
_AA = rf"(?:{_AA3}|{_AA1})"


def _aa_seq(text: str) -> str:
    """Convert a run of amino acids (3-letter or 1-letter) to 1-letter codes."""
    if text == "":
        return ""
    if len(text) % 3 == 0 and all(text[i : i + 3].upper() in _THREE for i in range(0, len(text), 3)):
        return "".join(_THREE[text[i : i + 3].upper()] for i in range(0, len(text), 3))
    if re.fullmatch(r"[ACDEFGHIKLMNPQRSTVWYUOX*]+", text.upper()):
        return text.upper().replace("X", "*")
    raise HgvsError(f"{text!r} is not a sequence of amino-acid codes")


def _aa(text: str) -> str:
    one = _aa_seq(text)
    if len(one) != 1:
        raise HgvsError(f"{text!r} is not one amino acid")
    return one


_POS = rf"(?P<ref>{_AA})(?P<start>\d+)"
_RANGE = rf"{_POS}(?:_(?P<end_ref>{_AA})(?P<end>\d+))?"
_PATTERNS: list[tuple[str, re.Pattern[str]]] = [
    ("fs", re.compile(rf"^{_POS}(?P<alt>{_AA})?fs(?:(?:\*|Ter|X)(?P<fs_len>\d+|\?))?$", re.I)),
    (
        "ext",
        re.compile(
            rf"^(?P<ref>\*|Ter|X)(?P<start>\d+)(?P<alt>{_AA})ext(?:\*|Ter)?(?P<ext_len>\d+|\?)?$", re.I
        ),
    ),
    ("delins", re.compile(rf"^{_RANGE}delins(?P<alt>[A-Za-z*]+)$", re.I)),
    ("del", re.compile(rf"^{_RANGE}del$", re.I)),
    ("dup", re.compile(rf"^{_RANGE}dup$", re.I)),
    ("ins", re.compile(rf"^{_POS}_(?P<end_ref>{_AA})(?P<end>\d+)ins(?P<alt>[A-Za-z*]+)$", re.I)),
    ("sub", re.compile(rf"^{_POS}(?P<alt>{_AA}|=)$", re.I)),
    ("start", re.compile(r"^(?P<ref>Met|M)1\?$", re.I)),
]


@dataclass(frozen=True)
class ProteinChange:
    kind: ChangeKind
    start: int | None
    end: int | None
    ref: str | None
    alt: str | None
    end_ref: str | None
    predicted: bool
    fs_detail: str | None = None

    def _span(self, three: bool) -> str:
        def name(aa: str | None) -> str:
            if aa is None:
                return ""
            return ONE_TO_THREE.get(aa, aa) if three else aa

        span = f"{name(self.ref)}{self.start}"
        if self.end is not None and self.end != self.start:
            span += f"_{name(self.end_ref)}{self.end}"
        return span

    def _render(self, three: bool) -> str:
        def seq(aa: str | None) -> str:
            return "".join(ONE_TO_THREE[a] for a in aa or "") if three else (aa or "")

        stop = "Ter" if three else "*"
        if self.kind is ChangeKind.UNKNOWN:
            return "p.?"
        if self.kind is ChangeKind.START_LOSS:
            return "p.Met1?" if three else "p.M1?"
        span = self._span(three)
        if self.kind in (ChangeKind.MISSENSE, ChangeKind.NONSENSE):
            return f"p.{span}{seq(self.alt)}"
        if self.kind is ChangeKind.SYNONYMOUS:
            return f"p.{span}="
        if self.kind is ChangeKind.FRAMESHIFT:
            detail = f"{stop}{self.fs_detail}" if self.fs_detail else ""
            return f"p.{span}{seq(self.alt)}fs{detail}"
        if self.kind is ChangeKind.EXTENSION:
            length = self.fs_detail or "?"
            return f"p.{span}{seq(self.alt)}ext{stop}{length}"
        suffix = {
            ChangeKind.INFRAME_DELETION: "del",
            ChangeKind.DUPLICATION: "dup",
            ChangeKind.INFRAME_INSERTION: "ins",
            ChangeKind.DELINS: "delins",
        }[self.kind]
        return f"p.{span}{suffix}{seq(self.alt)}"

    def normalized(self) -> str:
        """Canonical 1-letter form, without the prediction parentheses."""
        return self._render(three=False)

    def three_letter(self) -> str:
        return self._render(three=True)

    @property
    def is_truncating(self) -> bool:
        return self.kind in (ChangeKind.NONSENSE, ChangeKind.FRAMESHIFT)

    @property
    def is_protein_altering(self) -> bool:
        return self.kind not in (ChangeKind.SYNONYMOUS, ChangeKind.UNKNOWN)


def _strip(text: str) -> tuple[str, bool]:
    body = text.strip()
    if ":" in body:  # accept "NP_004976.2:p.Gly12Asp" and keep the change
        body = body.rsplit(":", 1)[1]
    if body[:2].lower() == "p.":
        body = body[2:]
    predicted = body.startswith("(") and body.endswith(")")
    if predicted:
        body = body[1:-1]
    return body, predicted


def parse_protein_change(text: str) -> ProteinChange:
    """Parse an HGVS protein change; raise HgvsError naming the text when it is not one."""
    if not isinstance(text, str) or not text.strip():
        raise HgvsError(f"empty protein change {text!r}")
    body, predicted = _strip(text)
    if body in ("?", "0", "0?"):
        kind = ChangeKind.UNKNOWN if body == "?" else ChangeKind.START_LOSS
        if kind is ChangeKind.START_LOSS:
            return ProteinChange(kind, 1, 1, "M", None, "M", predicted)
        return ProteinChange(kind, None, None, None, None, None, predicted)
    for name, pattern in _PATTERNS:
        match = pattern.match(body)
        if match is not None:
            try:
                return _build(name, match, predicted)
            except HgvsError as exc:
                raise HgvsError(f"{text!r}: {exc}") from None
    raise HgvsError(f"{text!r} is not an HGVS protein change (e.g. p.Gly12Asp or p.G12D)")


def _build(name: str, m: re.Match[str], predicted: bool) -> ProteinChange:
    if name == "start":
        return ProteinChange(ChangeKind.START_LOSS, 1, 1, "M", None, "M", predicted)
    groups = m.groupdict()
    ref = _aa(groups["ref"])
    start = int(groups["start"])
    end = int(groups["end"]) if groups.get("end") else start
    end_ref = _aa(groups["end_ref"]) if groups.get("end_ref") else ref
    if end < start:
        raise HgvsError("range end before its start")
    if start < 1:
        raise HgvsError("residue positions start at 1")
    alt_text = groups.get("alt")
    if name == "sub":
        if alt_text == "=":
            return ProteinChange(ChangeKind.SYNONYMOUS, start, start, ref, ref, ref, predicted)
        alt = _aa(alt_text or "")
        if alt == ref:
            return ProteinChange(ChangeKind.SYNONYMOUS, start, start, ref, ref, ref, predicted)
        kind = ChangeKind.NONSENSE if alt == "*" else ChangeKind.MISSENSE
        return ProteinChange(kind, start, start, ref, alt, ref, predicted)
    if name == "fs":
        fs_alt = _aa(alt_text) if alt_text else None
        return ProteinChange(
            ChangeKind.FRAMESHIFT, start, start, ref, fs_alt, ref, predicted, groups.get("fs_len")
        )
    if name == "ext":
        return ProteinChange(
            ChangeKind.EXTENSION,
            start,
            start,
            "*",
            _aa(alt_text or ""),
            "*",
            predicted,
            groups.get("ext_len"),
        )
    kinds = {
        "del": ChangeKind.INFRAME_DELETION,
        "dup": ChangeKind.DUPLICATION,
        "ins": ChangeKind.INFRAME_INSERTION,
        "delins": ChangeKind.DELINS,
    }
    if name == "ins" and end != start + 1:
        raise HgvsError("an insertion lies between two adjacent residues")
    inserted = _aa_seq(alt_text) if alt_text else None
    return ProteinChange(kinds[name], start, end, ref, inserted, end_ref, predicted)
