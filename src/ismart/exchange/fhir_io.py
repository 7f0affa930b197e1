"""Reading FHIR input: a JSON or XML resource or Bundle, NDJSON files, a bulk-export folder or zip.

Each resource is checked against the fhir.resources R4B model of its type; XML is read with lxml
and its XHTML narratives (``text``) are dropped before parsing, since screening never reads them
and the model's XML reader does not accept arbitrary XHTML. Errors are one-line ExchangeErrors.
"""

from __future__ import annotations

import io
import json
import zipfile
from pathlib import Path
from typing import IO, Any

from lxml import etree  # type: ignore[import-untyped]

from ismart.errors import InputError, _one_line
from ismart.exchange.report import Unmapped

FHIR_NS = "http://hl7.org/fhir"
XHTML_NS = "http://www.w3.org/1999/xhtml"


class ExchangeError(InputError):
    """An exchange input (FHIR, CTML) is malformed; names the file and, where known, the line."""

    def __init__(self, message: str) -> None:
        super().__init__(_one_line(message))


def _model(kind: str) -> Any:
    from fhir.resources.R4B import get_fhir_model_class

    try:
        return get_fhir_model_class(kind)
    except (KeyError, ValueError, AttributeError):
        return None


def _first_error(exc: Exception) -> str:
    errors = getattr(exc, "errors", None)
    if callable(errors):
        first = errors()[0]
        loc = ".".join(str(p) for p in first.get("loc", ()))
        return f"{loc}: {first.get('msg')}"
    return " ".join(str(exc).split())[:200]


def check_resources(
    resources: list[dict[str, Any]], where: str
) -> tuple[list[dict[str, Any]], list[Unmapped]]:
    """Resources valid against their R4B model; the others listed in the report."""
    ok: list[dict[str, Any]] = []
    report: list[Unmapped] = []
    for i, res in enumerate(resources):
        kind = res.get("resourceType")
        if not isinstance(kind, str):
            raise ExchangeError(f"{where}: resource {i + 1} has no resourceType: not FHIR")
        model = _model(kind)
        ref = f"{kind}/{res.get('id', '?')}"
        if model is None:
            raise ExchangeError(f"{where}: {kind!r} is not a FHIR resource type")
        try:
            model.model_validate(res)
        except Exception as exc:  # the model library raises several kinds of validation errors
            report.append(Unmapped(ref, "", f"not valid against the FHIR R4B model ({_first_error(exc)})"))
            continue
        ok.append(res)
    return ok, report


def _strip_narratives(root: Any) -> int:
    removed = 0
    for text in list(root.iter(f"{{{FHIR_NS}}}text")):
        if any(child.tag == f"{{{XHTML_NS}}}div" for child in text):
            parent = text.getparent()
            if parent is not None:
                parent.remove(text)
                removed += 1
    return removed


def parse_xml(data: bytes, where: str) -> dict[str, Any]:
    """A FHIR XML resource or Bundle as its JSON form."""
    parser = etree.XMLParser(resolve_entities=False, no_network=True, huge_tree=False)
    try:
        root = etree.fromstring(data, parser)
    except etree.XMLSyntaxError as exc:
        raise ExchangeError(f"{where}: not well-formed XML at line {exc.lineno}: {exc.msg}") from None
    if etree.QName(root).namespace != FHIR_NS:
        raise ExchangeError(f"{where}: the root element is not in the FHIR namespace {FHIR_NS}")
    _strip_narratives(root)
    kind = etree.QName(root).localname
    model = _model(kind)
    if model is None:
        raise ExchangeError(f"{where}: <{kind}> is not a FHIR resource type")
    try:
        obj = model.model_validate_xml(etree.tostring(root))
    except Exception as exc:  # the model library raises several kinds of validation errors
        raise ExchangeError(f"{where}: not a valid FHIR {kind}: {_first_error(exc)}") from None
    dumped: dict[str, Any] = obj.model_dump(mode="json", by_alias=True, exclude_none=True)
    return dumped


def parse_json(text: str, where: str) -> dict[str, Any]:
    try:
        data = json.loads(text)
    except json.JSONDecodeError as exc:
        raise ExchangeError(f"{where}: invalid JSON at line {exc.lineno}: {exc.msg}") from None
    if not isinstance(data, dict) or "resourceType" not in data:
        raise ExchangeError(f"{where}: not a FHIR resource (no resourceType)")
    return data


def parse_ndjson(text: str, where: str) -> list[dict[str, Any]]:
    out = []
    for n, line in enumerate(text.splitlines(), 1):
        if line.strip():
            out.append(parse_json(line, f"{where}:{n}"))
    return out


def _decode(data: bytes, where: str) -> str:
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError:
        raise ExchangeError(f"{where}: not UTF-8 text") from None


def parse_bytes(data: bytes, name: str) -> list[dict[str, Any]]:
    """Top-level resources of one file's content, by its name's ending (or a sniff)."""
    lower = name.lower()
    if lower.endswith(".zip") or data[:4] == b"PK\x03\x04":
        return parse_zip(data, name)
    if lower.endswith(".ndjson"):
        return parse_ndjson(_decode(data, name), name)
    if lower.endswith(".xml") or data.lstrip()[:1] == b"<":
        return [parse_xml(data, name)]
    return [parse_json(_decode(data, name), name)]


def parse_zip(data: bytes | IO[bytes], name: str) -> list[dict[str, Any]]:
    """Resources of every .ndjson/.json member; data may be an open file (read, not loaded whole)."""
    try:
        archive = zipfile.ZipFile(io.BytesIO(data) if isinstance(data, bytes) else data)
    except zipfile.BadZipFile:
        raise ExchangeError(f"{name}: not a readable zip archive") from None
    out: list[dict[str, Any]] = []
    members = [m for m in archive.infolist() if not m.is_dir()]
    if len(members) > 1000 or sum(m.file_size for m in members) > 200_000_000:
        raise ExchangeError(f"{name}: archive too large (at most 1000 files, 200 MB)")
    for member in sorted(members, key=lambda m: m.filename):
        if member.filename.lower().endswith((".ndjson", ".json")):
            out.extend(parse_bytes(archive.read(member), f"{name}:{member.filename}"))
    if not out:
        raise ExchangeError(f"{name}: no .ndjson or .json file in the archive")
    return out


def read_path(path: Path) -> list[dict[str, Any]]:
    """Top-level resources from a file, or every .ndjson/.json file of a bulk-export folder."""
    if path.is_dir():
        files = sorted(p for p in path.iterdir() if p.suffix.lower() in (".ndjson", ".json"))
        if not files:
            raise ExchangeError(f"{path}: no .ndjson or .json files in the folder")
        return [r for p in files for r in read_path(p)]
    try:
        data = path.read_bytes()
    except OSError as exc:
        raise ExchangeError(f"cannot read {path}: {exc.strerror}") from None
    return parse_bytes(data, str(path))


def validate_bundle(bundle: dict[str, Any]) -> None:
    """The Bundle and every resource in it must validate against the R4B models (else InternalError)."""
    from fhir.resources.R4B.bundle import Bundle

    from ismart.errors import InternalError

    try:
        Bundle.model_validate(bundle)
    except Exception as exc:  # the model library raises several kinds of validation errors
        raise InternalError(f"exported Bundle does not validate: {_first_error(exc)}") from None
    for entry in bundle.get("entry", []):
        res = entry["resource"]
        try:
            _model(res["resourceType"]).model_validate(res)
        except Exception as exc:  # the model library raises several kinds of validation errors
            raise InternalError(
                f"exported {res['resourceType']} does not validate: {_first_error(exc)}"
            ) from None
