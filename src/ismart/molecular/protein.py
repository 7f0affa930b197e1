"""HGVS protein-level changes (``p.``), parsed and normalised without any dependency.

One alteration has many spellings in laboratory reports: ``p.G12D``, ``p.Gly12Asp``, ``p.(Gly12Asp)``,
``NP_004976.2:p.Gly12Asp`` and ``p.gly12asp`` are the same change. :func:`parse_protein_change`
reads them into one :class:`ProteinChange`, whose :meth:`ProteinChange.normalized` form
(``p.G12D``) is what the rules compare.

Supported (HGVS recommendations, protein level, varnomen.hgvs.org):

* substitutions: missense ``p.G12D``; nonsense ``p.R123*`` / ``p.Arg123Ter`` / ``p.R123X``;
  synonymous ``p.G12=`` (``p.Gly12Gly`` is read as synonymous too); the whole protein unchanged ``p.=``;
* frameshifts: ``p.K57fs``, ``p.Lys57GlufsTer5``, ``p.K57Efs*5``, ``p.K57fs*?`` (the detail is kept);
* in-frame deletions ``p.E102del`` / ``p.E102_I103del``, duplications ``p.E102dup`` /
  ``p.E102_I103dup``, insertions ``p.L242_L243insNPC`` and deletion-insertions ``p.C118_G120delinsW``;
* extensions: stop-loss ``p.*110Qext*17`` / ``p.Ter110GlnextTer17`` / ``p.*110Qext*?`` and N-terminal
  ``p.M1ext-5`` / ``p.Met1Valext-12``; a bare stop-loss substitution ``p.*110Q`` is read as ``p.*110Qext*?``;
* start loss ``p.M1?`` / ``p.Met1?``; no protein ``p.0`` and ``p.0?``; a substitution of Met1 to
  another residue (``p.M1V``, not recommended by HGVS) is classed as start loss;
* an unknown change ``p.?`` and an unknown change at a residue ``p.G12?``;
* the predicted form ``p.(...)``, also with only the edit in parentheses (``p.Cys9_Val10(del)``);
* an optional reference-sequence prefix (``NP_004976.2:`` or ``NP_004976.2(KRAS):``), dropped: the
  accession is not validated;
* amino acids as 1-letter or 3-letter codes, Sec/U included, ``*``/``Ter``/``X`` for a stop;
* forms pipelines write beside strict HGVS: ranges, in-frame edits and frameshifts without the
  reference residues (``p.595_596insEDNEYFYVDFR``, ``p.102_103del``, ``p.57fs*5``; the residues are None),
  and the Oncotator/older-TCGA ``>`` form over a range (``p.600_600D>DSSDNEY`` is read as
  ``p.D600_601insSSDNEY``, ``p.599_600YD>Y`` as ``p.D600del``: common ends are trimmed). A substitution
  without its reference residue (``p.12D``) stays unreadable.

Case: HGVS 3-letter codes are ``Xxx`` and 1-letter codes upper case, and those forms are read as
written. Reports also write ``p.gly12asp`` or ``p.GLY12ASP``: a residue or sequence written in one case
only is accepted when exactly one reading (1-letter or 3-letter) fits; ``p.Cys9_Val10insgly`` is
ambiguous (G-L-Y or Gly) and rejected. Mixed-case runs that are neither form (``insArgA``) are rejected.

Deliberately not supported (an :class:`HgvsError`): ambiguity codes (B/Asx, Z/Glx, Xaa, J, O/Pyl),
alleles and mosaics (``p.[...;...]``, ``p.[=/...]``), repeats (``p.Gln18[23]``), uncertain positions
(``p.(Gly12_Ala20)del``, ``p.Cys28_Met30?``), insertions given by length (``insXaa[5]``, ``ins(10)``),
frameshifts or extensions over a range, a frameshift inside an insertion or delins
(``p.Cys9_Val10delinsAlafs*9``), deletions or duplications that name their sequence
(``p.Cys9_Val10delCysVal``), and ``fs``/``ext`` lengths without a stop symbol (``fs5``).
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from enum import StrEnum
from functools import lru_cache

from ismart.errors import HgvsError

__all__ = ["ChangeKind", "HgvsError", "ProteinChange", "parse_protein_change", "protein_change_error"]


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


THREE_TO_ONE: dict[str, str] = {
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
    "Ter": "*",
}
ONE_TO_THREE: dict[str, str] = {one: three for three, one in THREE_TO_ONE.items()}
_THREE_UPPER = {three.upper(): one for three, one in THREE_TO_ONE.items()}
_ONE_LETTER = frozenset("ACDEFGHIKLMNPQRSTVWYU")  # residues; stops are '*' and 'X'

_MAX_SHOWN = 120  # characters of the input quoted in an error message


def _fail(text: str, why: str) -> HgvsError:
    shown = text if len(text) <= _MAX_SHOWN else text[:_MAX_SHOWN] + "..."
    return HgvsError(f"{shown!r} is not an HGVS protein change ({why})")


class _Unreadable(Exception):
    """Internal: a fragment could not be read; the reason, turned into an HgvsError by the caller."""


# --- amino-acid runs ---------------------------------------------------------------------------


def _as_three(text: str) -> str | None:
    """The 1-letter reading of ``text`` as 3-letter codes (any case), or None."""
    if not text or len(text) % 3:
        return None
    out = []
    for i in range(0, len(text), 3):
        one = _THREE_UPPER.get(text[i : i + 3].upper())
        if one is None:
            return None
        out.append(one)
    return "".join(out)


def _as_one(text: str) -> str | None:
    """The reading of ``text`` as 1-letter codes (any case, X and * for a stop), or None."""
    out = []
    for char in text.upper():
        if char in _ONE_LETTER:
            out.append(char)
        elif char in "*X":
            out.append("*")
        else:
            return None
    return "".join(out) if out else None


_KEYWORD = re.compile("fs|ext|del|ins|dup")


def _fits(seq: str, single: bool) -> bool:
    if single:
        return len(seq) == 1
    return "*" not in seq[:-1]  # a stop may only end an inserted sequence


_AA_CHARS = re.compile(r"[A-Za-z*]+")
_THREE_FORM = re.compile(r"(?:[A-Z][a-z]{2})+")
_ONE_FORM = re.compile(r"[A-Z*]+")


@lru_cache(maxsize=8192)
def _residues(text: str, single: bool) -> str:
    """Read a residue (``single``) or a sequence of residues into 1-letter codes, '*' for a stop.

    Memoised: the same few residue spellings ('G', 'Gly', 'gly') recur in every change (an
    unreadable one raises, and is not cached)."""
    if not text:
        raise _Unreadable("an amino acid is missing")
    if not _AA_CHARS.fullmatch(text):
        raise _Unreadable(f"{text!r} is not made of amino-acid codes")
    # The HGVS forms, read as written: 'Gly', 'GlyAsp' (3-letter) and 'G', 'GD', '*' (1-letter).
    if _THREE_FORM.fullmatch(text):
        seq = _as_three(text)
        if seq is not None and _fits(seq, single):
            return seq
    if _ONE_FORM.fullmatch(text):
        seq = _as_one(text)
        if seq is not None and _fits(seq, single):
            return seq
    # One-case spellings ('gly', 'GLY', 'g'): accepted when exactly one reading fits.
    letters = text.replace("*", "")
    if letters and (letters.islower() or letters.isupper()):
        one = _as_one(text)
        if letters.islower() and _KEYWORD.search(letters):
            one = None  # 'insfs', 'delinsdel': a lower-case keyword, not Phe-Ser or Asp-Glu-Leu
        readings = {r for r in (_as_three(text), one) if r is not None and _fits(r, single)}
        if len(readings) == 1:
            return readings.pop()
        if len(readings) > 1:
            raise _Unreadable(f"{text!r} reads both as 1-letter and as 3-letter codes")
    what = "one amino acid" if single else "a sequence of amino acids"
    raise _Unreadable(f"{text!r} is not {what} in 1-letter or 3-letter codes")


# --- the value ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class ProteinChange:
    """One protein change. Positions are 1-based residues of the reference protein.

    ``predicted`` (written ``p.(...)``) is kept but is not part of equality or hashing: p.(G12D) and
    p.G12D are the same change, and :meth:`normalized` drops the parentheses. The one form whose
    rendering keeps it is "no protein": ``p.0`` (predicted False) and ``p.0?`` (predicted True).
    Single-residue changes have ``end == start`` and ``end_ref`` None; a synonymous change has
    ``alt == ref``; start loss ``p.M1?`` has ``alt`` None (``p.M1V`` keeps ``alt`` 'V').

    ``length`` is the frameshift or extension detail as written, without the stop symbol: the new
    stop's position counted from the first changed residue for a frameshift ('5' in ``fs*5``, '?' in
    ``fs*?``, None when not given), the extension length for a stop-loss extension ('17' in
    ``ext*17``, '?' when unknown) and the new start for an N-terminal extension ('-5' in ``ext-5``).
    """

    kind: ChangeKind
    start: int | None
    end: int | None
    ref: str | None
    alt: str | None
    end_ref: str | None
    predicted: bool = field(default=False, compare=False)
    length: str | None = None

    def normalized(self) -> str:
        """Canonical 1-letter form without the parentheses, e.g. ``p.G12D``, ``p.K57Efs*5``."""
        return self._render(three=False)

    def three_letter(self) -> str:
        """The same change in 3-letter codes, e.g. ``p.Gly12Asp``, ``p.Lys57GlufsTer5``."""
        return self._render(three=True)

    @property
    def is_truncating(self) -> bool:
        """Nonsense or frameshift."""
        return self.kind in (ChangeKind.NONSENSE, ChangeKind.FRAMESHIFT)

    @property
    def is_protein_altering(self) -> bool:
        """Everything but a synonymous change and an unknown one."""
        return self.kind not in (ChangeKind.SYNONYMOUS, ChangeKind.UNKNOWN)

    def _render(self, three: bool) -> str:
        def seq(residues: str | None) -> str:
            if not residues:
                return ""
            return "".join(ONE_TO_THREE[r] for r in residues) if three else residues

        stop = "Ter" if three else "*"
        kind = self.kind
        if self.start is None:  # whole-protein forms
            if kind is ChangeKind.SYNONYMOUS:
                return "p.="
            if kind is ChangeKind.START_LOSS:
                return "p.0?" if self.predicted else "p.0"
            return "p.?"
        span = f"{seq(self.ref)}{self.start}"
        if self.end is not None and self.end != self.start:
            span += f"_{seq(self.end_ref)}{self.end}"
        if kind is ChangeKind.SYNONYMOUS:
            return f"p.{span}="
        if kind is ChangeKind.UNKNOWN or (kind is ChangeKind.START_LOSS and self.alt is None):
            return f"p.{span}?"
        if kind in (ChangeKind.MISSENSE, ChangeKind.NONSENSE, ChangeKind.START_LOSS):
            return f"p.{span}{seq(self.alt)}"
        if kind is ChangeKind.FRAMESHIFT:
            detail = "" if self.length is None else f"{stop}{self.length}"
            return f"p.{span}{seq(self.alt)}fs{detail}"
        if kind is ChangeKind.EXTENSION:
            length = self.length or "?"
            tail = length if length.startswith("-") else f"{stop}{length}"
            return f"p.{span}{seq(self.alt)}ext{tail}"
        suffix = {
            ChangeKind.INFRAME_DELETION: "del",
            ChangeKind.DUPLICATION: "dup",
            ChangeKind.INFRAME_INSERTION: "ins",
            ChangeKind.DELINS: "delins",
        }[kind]
        return f"p.{span}{suffix}{seq(self.alt)}"


# --- the grammar -------------------------------------------------------------------------------
#
# The rules below return the fields of a ProteinChange as a tuple (kind, start, end, ref, alt,
# end_ref, predicted, length): parse_protein_change builds the value from them, and
# protein_change_error only asks whether the same rules read a text, without building anything.

_Fields = tuple[ChangeKind, int | None, int | None, str | None, str | None, str | None, bool, str | None]

_PREFIX = re.compile(r"^[A-Za-z][A-Za-z0-9_.\-]*(?:\([A-Za-z0-9_.\-]+\))?:")
_AA_TOKEN = r"[A-Za-z]{1,3}|\*"
_NUM = r"[0-9]{1,9}"  # ASCII digits only; bounded so int() never meets a huge string
# Every pattern below is applied with fullmatch (never ^...$, whose $ also matches before a newline).
_LOCATION = re.compile(
    rf"(?P<ref>{_AA_TOKEN})?(?P<start>{_NUM})(?:_(?P<end_ref>{_AA_TOKEN})?(?P<end>{_NUM}))?(?P<edit>.*)",
    re.DOTALL,
)
_STOP = r"(?:\*|[Tt][Ee][Rr]|[Xx])"
# The edit of a single residue: one alternation, tried in this order (the first that reads the whole
# edit wins); the empty group that ends each branch names it (``lastgroup``).
_SINGLE_EDIT = re.compile(
    r"=(?P<synonymous>)"
    r"|\?(?P<unknown>)"
    r"|(?P<deldup>[Dd][Ee][Ll]|[Dd][Uu][Pp])"
    r"|[Dd][Ee][Ll][Ii][Nn][Ss](?P<delins>.+)"
    r"|[Ii][Nn][Ss].+(?P<ins>)"
    rf"|(?P<fs_alt>[A-Za-z]{{0,3}}?)[Ff][Ss](?:{_STOP}(?P<fs_len>{_NUM}|\?)?)?(?P<fs>)"
    rf"|(?P<extn_alt>[A-Za-z]{{0,3}}?)[Ee][Xx][Tt]-(?P<extn_len>{_NUM})(?P<ext_n>)"
    rf"|(?P<extc_alt>[A-Za-z]{{1,3}})[Ee][Xx][Tt](?:{_STOP}(?P<extc_len>{_NUM}|\?)?)?(?P<ext_c>)"
    r"|(?P<substitution>[A-Za-z]{1,3}|\*)",
    re.DOTALL,
)
# The edit of a range, in the same way.
_RANGE_EDIT = re.compile(
    r"(?P<deletion>[Dd][Ee][Ll])"
    r"|(?P<duplication>[Dd][Uu][Pp])"
    r"|[Dd][Ee][Ll][Ii][Nn][Ss](?P<delins>.+)"
    r"|[Ii][Nn][Ss](?P<ins>.+)",
    re.DOTALL,
)
# Oncotator / older TCGA MAFs: the reference and replacing residues of a range, '600_600D>DSSDNEY'.
_ONCOTATOR = re.compile(r"(?P<ref>[A-Za-z*]*)>(?P<alt>[A-Za-z*]*)")
_SHORT_EDITS = re.compile(r"(?i)(?:del|dup|ins.+|delins.+|[A-Za-z]{0,3}?fs.*)", re.DOTALL)
_WHOLE: dict[str, tuple[ChangeKind, bool]] = {  # the forms without a position: kind, uncertain
    "?": (ChangeKind.UNKNOWN, False),
    "=": (ChangeKind.SYNONYMOUS, False),
    "0": (ChangeKind.START_LOSS, False),
    "0?": (ChangeKind.START_LOSS, True),
}


def _strip(body: str) -> tuple[str, bool]:
    """Drop the prefix, 'p.' and the prediction parentheses of a text without surrounding blanks:
    (body, predicted)."""
    if ":" in body:  # the prefix ends with one
        prefix = _PREFIX.match(body)
        if prefix is not None:
            body = body[prefix.end() :]
    if body[:2] in ("p.", "P."):
        body = body[2:]
    predicted = False
    if body.startswith("(") and body.endswith(")"):
        body, predicted = body[1:-1], True
    return body, predicted


def parse_protein_change(text: str) -> ProteinChange:
    """Parse an HGVS protein change; raise :class:`HgvsError` naming the text when it is not one."""
    if not isinstance(text, str):
        raise HgvsError(f"{text!r} is not an HGVS protein change (not a string)")
    return _parse_text(text)


def protein_change_error(text: str) -> str | None:
    """None when :func:`parse_protein_change` reads ``text``, else the message of its :class:`HgvsError`.

    The same rules, for callers that only need to know whether a change is readable (the cohort
    pre-screen reads millions of distinct changes once each): no value is built and nothing cached."""
    try:
        _fields(text)
    except HgvsError as exc:
        return str(exc)
    return None


@lru_cache(maxsize=65536)
def _parse_text(text: str) -> ProteinChange:
    """Parsing is pure and the same changes recur across sub-protocols and patients: cached."""
    return ProteinChange(*_fields(text))


def _fields(text: str) -> _Fields:
    if not isinstance(text, str):
        raise HgvsError(f"{text!r} is not an HGVS protein change (not a string)")
    stripped = text.strip()
    if not stripped:
        raise _fail(text, "empty")
    try:
        body, predicted = _strip(stripped)
        return _parse(body, predicted)
    except _Unreadable as exc:
        raise _fail(text, str(exc)) from None


def _parse(body: str, predicted: bool) -> _Fields:
    whole = _WHOLE.get(body)
    if whole is not None:
        kind, uncertain = whole
        return (kind, None, None, None, None, None, predicted or uncertain, None)
    location = _LOCATION.fullmatch(body)
    if location is None:
        raise _Unreadable("expected an amino acid and a position, e.g. p.Gly12Asp or p.G12D")
    ref_text, start_text, end_ref_text, end_text, edit = location.group(
        "ref", "start", "end_ref", "end", "edit"
    )
    start = int(start_text)
    ranged = end_text is not None
    end = int(end_text) if ranged else start
    if start < 1:
        raise _Unreadable("residue positions start at 1")
    if ranged:
        oncotator = _ONCOTATOR.fullmatch(edit)
        if oncotator is not None:  # p.600_600D>DSSDNEY, p.599_600YD>Y: read into the HGVS edit
            return _oncotator(location, start, end, oncotator["ref"], oncotator["alt"], predicted)
        if end <= start:
            raise _Unreadable("a range must end after its start")
    if edit.startswith("(") and edit.endswith(")") and len(edit) > 2:  # p.Cys9_Val10(del)
        edit, predicted = edit[1:-1], True
    if not edit:
        raise _Unreadable("a position without a change")
    # Pipelines also write ranges and frameshifts without the reference residues
    # (p.595_596insEDNEYFYVDFR, p.102_103del, p.57fs*5): read, with the residues unknown (None).
    short = ref_text is None or (ranged and end_ref_text is None)
    if short and not _SHORT_EDITS.fullmatch(edit):
        raise _Unreadable("a substitution needs its reference residue, e.g. p.G12D")
    ref = _residues(ref_text, True) if ref_text is not None else None
    end_ref = _residues(end_ref_text, True) if end_ref_text is not None else None
    if ranged:
        return _range_edit(edit, ref, start, end, end_ref, predicted)
    return _single_edit(edit, ref, start, predicted)


def _oncotator(
    location: re.Match[str], start: int, end: int, ref_text: str, alt_text: str, predicted: bool
) -> _Fields:
    """The Oncotator ``N_M REF>ALT`` form as the HGVS change it means (common ends trimmed)."""
    if end < start:
        raise _Unreadable("a range must not end before its start")
    span = end - start + 1
    if ref_text:
        ref_seq = _residues(ref_text, single=False)
    elif location["ref"] is not None and location["end_ref"] is not None and span <= 2:
        second = "" if span == 1 else _residues(location["end_ref"], True)
        ref_seq = _residues(location["ref"], True) + second
    else:
        raise _Unreadable("the '>' form needs the reference residues")
    if len(ref_seq) != span:
        raise _Unreadable(f"{len(ref_seq)} reference residues for a range of {span}")
    alt_seq = _residues(alt_text, single=False) if alt_text else ""
    head = 0
    while head < min(len(ref_seq), len(alt_seq)) and ref_seq[head] == alt_seq[head]:
        head += 1
    tail = 0
    while tail < min(len(ref_seq), len(alt_seq)) - head and ref_seq[-1 - tail] == alt_seq[-1 - tail]:
        tail += 1
    gone = ref_seq[head : len(ref_seq) - tail]
    new = alt_seq[head : len(alt_seq) - tail]
    first = start + head  # first changed residue
    if not gone and not new:
        return (ChangeKind.SYNONYMOUS, start, end, ref_seq[0], ref_seq[0], None, predicted, None)
    if not gone:  # insertion between residues first-1 and first
        if head == 0:
            raise _Unreadable("an insertion before the first residue of the range cannot be placed")
        before = ref_seq[head - 1]
        after = ref_seq[head] if head < len(ref_seq) else None
        return (ChangeKind.INFRAME_INSERTION, first - 1, first, before, new, after, predicted, None)
    last = first + len(gone) - 1
    last_ref = gone[-1] if last != first else None
    if not new:
        return (ChangeKind.INFRAME_DELETION, first, last, gone[0], None, last_ref, predicted, None)
    if len(gone) == 1 and len(new) == 1:
        kind = ChangeKind.NONSENSE if new == "*" else ChangeKind.MISSENSE
        return (kind, first, first, gone, new, None, predicted, None)
    return (ChangeKind.DELINS, first, last, gone[0], new, last_ref, predicted, None)


def _range_edit(
    edit: str, ref: str | None, start: int, end: int, end_ref: str | None, predicted: bool
) -> _Fields:
    found = _RANGE_EDIT.fullmatch(edit)
    branch = found.lastgroup if found is not None else None
    if found is None or branch is None:
        raise _Unreadable(f"{edit!r} is not a change of a range (del, dup, ins or delins)")
    if branch == "deletion":
        return (ChangeKind.INFRAME_DELETION, start, end, ref, None, end_ref, predicted, None)
    if branch == "duplication":
        return (ChangeKind.DUPLICATION, start, end, ref, None, end_ref, predicted, None)
    if branch == "delins":
        inserted = _residues(found["delins"], single=False)
        return (ChangeKind.DELINS, start, end, ref, inserted, end_ref, predicted, None)
    if end != start + 1:
        raise _Unreadable("an insertion lies between two adjacent residues")
    inserted = _residues(found["ins"], single=False)
    return (ChangeKind.INFRAME_INSERTION, start, end, ref, inserted, end_ref, predicted, None)


def _single_edit(edit: str, ref: str | None, start: int, predicted: bool) -> _Fields:
    found = _SINGLE_EDIT.fullmatch(edit)
    branch = found.lastgroup if found is not None else None
    if found is None or branch is None:
        raise _Unreadable(f"{edit!r} is not a recognised change")
    if branch == "substitution":  # the most common change first
        alt = _residues(edit, single=True)
        if alt == ref:
            return (ChangeKind.SYNONYMOUS, start, start, ref, ref, None, predicted, None)
        if ref == "*":
            return (ChangeKind.EXTENSION, start, start, ref, alt, None, predicted, "?")
        if start == 1 and ref == "M":
            return (ChangeKind.START_LOSS, start, start, ref, alt, None, predicted, None)
        kind = ChangeKind.NONSENSE if alt == "*" else ChangeKind.MISSENSE
        return (kind, start, start, ref, alt, None, predicted, None)
    if branch == "synonymous":
        return (ChangeKind.SYNONYMOUS, start, start, ref, ref, None, predicted, None)
    if branch == "fs":
        fs_alt = found["fs_alt"]
        fs_to = _residues(fs_alt, single=True) if fs_alt else None
        return (ChangeKind.FRAMESHIFT, start, start, ref, fs_to, None, predicted, found["fs_len"])
    if branch == "unknown":
        kind = ChangeKind.START_LOSS if (start, ref) == (1, "M") else ChangeKind.UNKNOWN
        return (kind, start, start, ref, None, None, predicted, None)
    if branch == "deldup":
        dup = found["deldup"].lower() == "dup"
        kind = ChangeKind.DUPLICATION if dup else ChangeKind.INFRAME_DELETION
        return (kind, start, start, ref, None, None, predicted, None)
    if branch == "delins":
        inserted = _residues(found["delins"], single=False)
        return (ChangeKind.DELINS, start, start, ref, inserted, None, predicted, None)
    if branch == "ins":
        raise _Unreadable("an insertion needs the two residues it lies between, e.g. p.L242_L243insNPC")
    if branch == "ext_n":
        if (start, ref) != (1, "M"):
            raise _Unreadable("an N-terminal extension starts at Met1")
        n_alt = found["extn_alt"]
        n_to = _residues(n_alt, single=True) if n_alt else None
        length = f"-{int(found['extn_len'])}"
        return (ChangeKind.EXTENSION, start, start, ref, n_to, None, predicted, length)
    # ext_c
    if ref != "*":
        raise _Unreadable("a stop-loss extension starts at the stop codon (p.*110Qext*17)")
    alt = _residues(found["extc_alt"], single=True)
    if alt == "*":
        raise _Unreadable("an extension replaces the stop with an amino acid")
    return (ChangeKind.EXTENSION, start, start, ref, alt, None, predicted, found["extc_len"] or "?")
