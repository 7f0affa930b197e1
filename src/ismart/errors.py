"""The one exception tree of ismart.

    IsmartError                 root: anything ismart raises on purpose
    ├── InputError              the user's input is wrong (CLI exit 2, API 4xx)
    │   ├── DossierError        a dossier field is malformed, of the wrong type or impossible
    │   ├── ProfileFileError    a laboratory file (VCF, MAF, fusion table, ...) is malformed
    │   ├── HgvsError           text is not an HGVS protein change the parser understands
    │   └── UnitError           a laboratory unit ismart does not convert
    ├── ProtocolDataError       a shipped or site-supplied protocol/reference data file is invalid
    └── InternalError           a bug: an invariant of ismart itself was broken

Every message is one line that names the field, file or line at fault.
"""

from __future__ import annotations


def _one_line(text: str) -> str:
    """User-facing errors are one line: control characters from the input are shown escaped."""
    return "".join(c if c.isprintable() else repr(c)[1:-1] for c in text)


class IsmartError(Exception):
    """Root of every error ismart raises deliberately."""


class InputError(IsmartError):
    """The caller's input is wrong; nothing was changed."""


class DossierError(InputError):
    """A dossier is malformed; ``field`` names the offending field (dotted path)."""

    def __init__(self, field: str, message: str) -> None:
        self.field = _one_line(field)
        self.message = _one_line(message)
        super().__init__(f"{self.field}: {self.message}" if field else self.message)


class ProfileFileError(InputError):
    """A laboratory profile file is malformed; names the file and line."""

    def __init__(self, path: str, line: int | None, message: str) -> None:
        self.path = path
        self.line = line
        where = f"{path}:{line}" if line is not None else path
        super().__init__(_one_line(f"{where}: {message}"))


class HgvsError(InputError, ValueError):
    """Text that is not an HGVS protein change this parser understands; the message names the text.

    Raised by ``molecular.protein.parse_protein_change``; callers that know the field (the profile
    builder, the protocol loader) re-raise it as a DossierError or ProtocolDataError naming it.
    Still a ValueError, as it was before it joined this tree."""


class UnitError(InputError, ValueError):
    """A laboratory unit that ismart does not convert (``calculators``); still a ValueError."""


class ProtocolDataError(IsmartError):
    """A protocol or reference data file failed validation."""


class InternalError(IsmartError):
    """An invariant of ismart was broken: a bug, never the user's fault."""
