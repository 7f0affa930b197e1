"""The one exception tree of ismart.

    IsmartError                 root: anything ismart raises on purpose
    ├── InputError              the user's input is wrong (CLI exit 2, API 4xx)
    │   ├── DossierError        a dossier field is malformed, of the wrong type or impossible
    │   └── ProfileFileError    a laboratory file (VCF, MAF, fusion table, ...) is malformed
    ├── ProtocolDataError       a shipped or site-supplied protocol/reference data file is invalid
    └── InternalError           a bug: an invariant of ismart itself was broken

Every message is one line that names the field, file or line at fault.
"""

from __future__ import annotations


class IsmartError(Exception):
    """Root of every error ismart raises deliberately."""


class InputError(IsmartError):
    """The caller's input is wrong; nothing was changed."""


class DossierError(InputError):
    """A dossier is malformed; ``field`` names the offending field (dotted path)."""

    def __init__(self, field: str, message: str) -> None:
        self.field = field
        self.message = message
        super().__init__(f"{field}: {message}" if field else message)


class ProfileFileError(InputError):
    """A laboratory profile file is malformed; names the file and line."""

    def __init__(self, path: str, line: int | None, message: str) -> None:
        self.path = path
        self.line = line
        where = f"{path}:{line}" if line is not None else path
        super().__init__(f"{where}: {message}")


class ProtocolDataError(IsmartError):
    """A protocol or reference data file failed validation."""


class InternalError(IsmartError):
    """An invariant of ismart was broken: a bug, never the user's fault."""
