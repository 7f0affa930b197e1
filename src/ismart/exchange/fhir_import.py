"""FHIR R4 resources (as JSON-shaped dicts) -> dossier data, with a mapping report. Pure: no I/O.

Nothing is guessed: an element that has no table entry, an unknown unit or an unreadable value is
listed in the report and left out, so screening reports it as missing (UNKNOWN). The hospital's
identifiers and names are never read; the dossier id is the caller's (``--patient-id``).
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from datetime import date
from typing import Any

from ismart.exchange import codes
from ismart.exchange.report import Unmapped

# Dossier sections with no FHIR home: carried in the ismart extension on Patient (see fhir_export).
EXTENSION_SECTIONS = (
    "planned_c1d1",
    "consent",
    "performance",
    "reproductive",
    "conditions",
    "infections",
    "diet",
)
_PATIENT_EXTRA = ("site", "inclusion_date")
_SKIPPED_TYPES = {
    "Practitioner": "a care provider, not patient data",
    "PractitionerRole": "a care provider, not patient data",
    "Organization": "an organisation, not patient data",
    "Location": "a place, not patient data",
    "Encounter": "visits are not part of a screening dossier",
    "Composition": "document structure; its sections are read through the resources they cite",
    "Device": "not used in screening",
    "ResearchStudy": "a study description (ismart's sub-protocols come from its protocol data)",
    "ResearchSubject": "study participation is the registry's, not the dossier's",
}


@dataclass
class ImportResult:
    dossier: dict[str, Any]
    report: list[Unmapped] = field(default_factory=list)


def _ref(res: dict[str, Any]) -> str:
    return f"{res.get('resourceType', '?')}/{res.get('id', '?')}"


def _day(value: Any) -> str | None:
    """The calendar day of a FHIR date/dateTime/instant string, or None when unreadable."""
    if not isinstance(value, str) or len(value) < 10:
        return None
    try:
        return date.fromisoformat(value[:10]).isoformat()
    except ValueError:
        return None


def _codings(concept: Any) -> list[dict[str, Any]]:
    if not isinstance(concept, dict):
        return []
    return [c for c in concept.get("coding") or [] if isinstance(c, dict)]


def _code_in(concept: Any, system: str | tuple[str, ...], table: dict[str, Any]) -> tuple[str, Any] | None:
    systems = (system,) if isinstance(system, str) else system
    for c in _codings(concept):
        if c.get("system") in systems and str(c.get("code")) in table:
            return str(c["code"]), table[str(c["code"])]
    return None


def _ismart_code(concept: Any) -> str | None:
    for c in _codings(concept):
        if c.get("system") == codes.ISMART_SYSTEM and isinstance(c.get("code"), str):
            return str(c["code"])
    return None


def _text(concept: Any) -> str | None:
    if not isinstance(concept, dict):
        return None
    if isinstance(concept.get("text"), str) and concept["text"].strip():
        return str(concept["text"]).strip()
    for c in _codings(concept):
        if isinstance(c.get("display"), str) and c["display"].strip():
            return str(c["display"]).strip()
    return None


def _shown_codes(concept: Any) -> str:
    shown = [f"{c.get('system', '?')}|{c.get('code', '?')}" for c in _codings(concept)]
    return ", ".join(shown) or "no coding"


def _unit_key(unit: str) -> str:
    return unit.replace(" ", "").replace("\u00b5", "u").replace("\u03bc", "u")


def _quantity(res: dict[str, Any], units: list[str], report: list[Unmapped]) -> tuple[float, str] | None:
    q = res.get("valueQuantity")
    if not isinstance(q, dict) or not isinstance(q.get("value"), int | float) or isinstance(q["value"], bool):
        why = "no numeric valueQuantity" + (
            f" (dataAbsentReason: {_text(res['dataAbsentReason'])})" if res.get("dataAbsentReason") else ""
        )
        report.append(Unmapped(_ref(res), "valueQuantity", why))
        return None
    unit = q.get("code") or q.get("unit")
    wanted = {_unit_key(u).lower(): u for u in units}
    if not isinstance(unit, str) or _unit_key(unit).lower() not in wanted:
        report.append(
            Unmapped(_ref(res), "valueQuantity.code", f"unit {unit!r} is not one of {', '.join(units)}")
        )
        return None
    return float(q["value"]), wanted[_unit_key(unit).lower()]


def _when(res: dict[str, Any], *keys: str) -> str | None:
    for key in keys:
        value = res.get(key)
        if isinstance(value, dict):  # a Period
            value = value.get("end") or value.get("start")
        if isinstance(value, str):
            return value
    return None


def _datetime_or_day(value: str | None) -> str | None:
    """Keep a dateTime to the minute when it has a time, else the day."""
    if value is None:
        return None
    day = _day(value)
    if day is None:
        return None
    if len(value) >= 16 and value[10] == "T":
        return value[:16]
    return day


def _json_object(text: str) -> dict[str, Any]:
    """An ismart extension's JSON object; an unreadable one counts as absent."""
    try:
        value = json.loads(text)
    except json.JSONDecodeError:
        return {}
    return value if isinstance(value, dict) else {}


class _Importer:
    def __init__(
        self, resources: list[dict[str, Any]], patient_id: str, urls: dict[str, dict[str, Any]] | None = None
    ) -> None:
        self.resources = resources
        self.report: list[Unmapped] = []
        self.by_ref = {_ref(r): r for r in resources} | (urls or {})
        self.d: dict[str, Any] = {"patient": {"id": patient_id}}
        self.weights: list[tuple[str, float]] = []
        self.heights: list[tuple[str, float]] = []
        self.ecg: dict[str, dict[str, float]] = {}
        self.echo: dict[str, dict[str, float]] = {}
        self.patients = 0

    def miss(self, res: dict[str, Any], path: str, why: str) -> None:
        self.report.append(Unmapped(_ref(res), path, why))

    def run(self) -> ImportResult:
        for res in self.resources:
            kind = res.get("resourceType")
            handler = getattr(self, f"_{kind}", None) if isinstance(kind, str) else None
            if handler is not None:
                handler(res)
            elif kind in _SKIPPED_TYPES:
                self.miss(res, "", f"not imported: {_SKIPPED_TYPES[kind]}")
            else:
                self.miss(res, "", f"resource type {kind!r} has no mapping to a dossier")
        self._finish()
        return ImportResult(self.d, self.report)

    # -- Patient --------------------------------------------------------------------------------
    def _Patient(self, res: dict[str, Any]) -> None:
        self.patients += 1
        if self.patients > 1:
            self.miss(res, "", "a second Patient: one dossier holds one patient (use --patient-id per file)")
            return
        p = self.d["patient"]
        gender = res.get("gender")
        if gender in ("female", "male"):
            p["sex"] = gender
        elif gender is not None:
            self.miss(res, "gender", f"administrative gender {gender!r} is not female or male")
        birth = _day(res.get("birthDate"))
        if birth:
            p["birth_date"] = birth
        elif res.get("birthDate"):
            self.miss(res, "birthDate", f"{res['birthDate']!r} is not a full date (year-month-day)")
        for key in ("identifier", "name", "telecom", "address", "contact", "photo"):
            if res.get(key):
                self.miss(res, key, "never copied: directly identifying (the dossier id is the pseudonym)")
        if res.get("deceasedBoolean") or res.get("deceasedDateTime"):
            self.miss(res, "deceased[x]", "the patient is recorded as deceased; no dossier field holds it")
        for ext in res.get("extension") or []:
            if not isinstance(ext, dict):
                continue
            if ext.get("url") == codes.ISMART_EXT:
                self._section(res, ext)
            else:
                self.miss(res, f"extension({ext.get('url')})", "extension not used in screening")

    def _section(self, res: dict[str, Any], ext: dict[str, Any]) -> None:
        name = next(
            (e.get("valueCode") for e in ext.get("extension") or [] if e.get("url") == "section"), None
        )
        value = next(
            (e.get("valueString") for e in ext.get("extension") or [] if e.get("url") == "json"), None
        )
        allowed = (*EXTENSION_SECTIONS, *(f"patient.{k}" for k in _PATIENT_EXTRA), *_EXT_PARTS)
        if name not in allowed or not isinstance(value, str):
            self.miss(res, "extension(dossier-section)", f"unknown ismart section {name!r}")
            return
        try:
            data = json.loads(value)
        except json.JSONDecodeError:
            self.miss(res, f"extension(dossier-section:{name})", "its JSON is not readable")
            return
        if name.startswith("patient."):
            self.d["patient"][name.split(".", 1)[1]] = data
        elif name in _EXT_PARTS:
            self.d.setdefault("_parts", {})[name] = data
        else:
            self.d[name] = data

    # -- Condition ------------------------------------------------------------------------------
    def _Condition(self, res: dict[str, Any]) -> None:
        table = codes.tables()["diagnoses"]
        hit = _code_in(res.get("code"), codes.ICD10, table["icd10"]) or _code_in(
            res.get("code"), codes.SNOMED, table["snomed"]
        )
        if hit is None:
            self.miss(res, "code", f"not ALL or LBL by the diagnosis table ({_shown_codes(res.get('code'))})")
            return
        verification = [c.get("code") for c in _codings(res.get("verificationStatus"))]
        if any(v in ("refuted", "entered-in-error") for v in verification):
            self.miss(res, "verificationStatus", f"diagnosis is {verification[0]}: not used")
            return
        diag = self.d.setdefault("diagnosis", {})
        entry = hit[1]
        if diag.get("disease") not in (None, entry["disease"]):
            self.miss(res, "code", f"conflicts with an earlier {diag['disease']} diagnosis: kept the first")
            return
        diag["disease"] = entry["disease"]
        onset = _day(_when(res, "onsetDateTime", "onsetPeriod", "recordedDate"))
        if onset and (diag.get("first_diagnosis_date") is None or onset < diag["first_diagnosis_date"]):
            if res.get("onsetDateTime") is None and res.get("onsetPeriod") is None:
                self.miss(res, "onset[x]", "no onset: recordedDate is not the diagnosis date, not used")
            else:
                diag["first_diagnosis_date"] = onset
        clinical = [c.get("code") for c in _codings(res.get("clinicalStatus"))]
        if entry.get("status") == "relapsed" or "relapse" in clinical:
            diag["status"] = "relapsed"
        for key in ("stage", "bodySite", "evidence"):
            if res.get(key):
                self.miss(res, key, "not used by the dossier")

    # -- Observation ----------------------------------------------------------------------------
    def _Observation(self, res: dict[str, Any]) -> None:
        if res.get("status") in ("cancelled", "entered-in-error", "registered", "preliminary"):
            self.miss(res, "status", f"status {res.get('status')!r}: only final/amended results are used")
            return
        t = codes.tables()
        code = res.get("code")
        own = _ismart_code(code)
        if own is not None and own.startswith("lab-"):
            self._lab(res, own[4:], ["*"])
            return
        if own is not None and own in _OWN_FIELDS:
            self._vital(res, own, _OWN_FIELDS[own])
            return
        if (hit := _code_in(code, codes.LOINC, t["labs"])) is not None:
            self._lab(res, hit[1]["test"], hit[1]["units"])
        elif (hit := _code_in(code, codes.LOINC, t["pregnancy"])) is not None:
            self._pregnancy(res, hit[1]["test"])
        elif (hit := _code_in(code, codes.LOINC, t["vitals"])) is not None:
            self._vital(res, hit[1]["field"], hit[1]["units"])
        elif _code_in(code, codes.LOINC, {t["genomics"]["variant_code"]: 1}) is not None:
            self._genomic(res)
        else:
            self.miss(res, "code", f"no mapping for {_shown_codes(code)} ({_text(code) or 'no text'})")

    def _lab(self, res: dict[str, Any], test: str, units: list[str]) -> None:
        lab: dict[str, Any] = {"test": test}
        if units == ["*"]:
            q = res.get("valueQuantity") or {}
            if isinstance(q.get("value"), int | float):
                lab["value"] = float(q["value"])
            if q.get("code") or q.get("unit"):
                lab["unit"] = q.get("code") or q.get("unit")
        else:
            got = _quantity(res, units, self.report)
            if got is None:
                return
            lab["value"], lab["unit"] = got
        for rr in res.get("referenceRange") or []:
            for key, name in (("high", "uln"), ("low", "lln")):
                v = (rr.get(key) or {}).get("value")
                if isinstance(v, int | float) and not isinstance(v, bool):
                    if name == "uln" and v <= 0:
                        self.miss(res, "referenceRange.high", "not positive: not used as ULN")
                        continue
                    lab[name] = float(v)
            break
        when = _datetime_or_day(_when(res, "effectiveDateTime", "effectivePeriod", "effectiveInstant"))
        if when is None:
            self.miss(res, "effective[x]", "no collection date: the result cannot be placed in a window")
        lab["collected_at"] = when
        self.d.setdefault("labs", []).append(lab)

    def _pregnancy(self, res: dict[str, Any], test: str) -> None:
        value = res.get("valueCodeableConcept")
        words = " ".join(
            [str(c.get("code", "")) + " " + str(c.get("display", "")) for c in _codings(value)]
            + [str((value or {}).get("text", "")), str(res.get("valueString", ""))]
        ).lower()
        negative = "negative" in words or "not detected" in words
        positive = ("positive" in words or "detected" in words) and not negative
        if negative == positive:
            self.miss(res, "value[x]", "pregnancy result is neither clearly negative nor positive")
            return
        when = _datetime_or_day(_when(res, "effectiveDateTime", "effectivePeriod", "effectiveInstant"))
        lab = {"test": test, "result": "negative" if negative else "positive", "collected_at": when}
        self.d.setdefault("labs", []).append(lab)

    def _vital(self, res: dict[str, Any], name: str, units: list[str]) -> None:
        got = _quantity(res, units, self.report)
        day = _day(_when(res, "effectiveDateTime", "effectivePeriod", "effectiveInstant"))
        if got is None:
            return
        if day is None:
            self.miss(res, "effective[x]", "no date: a measurement without a date is not used")
            return
        value = got[0]
        if name == "weight_kg":
            self.weights.append((day, value))
        elif name == "height_cm":
            self.heights.append((day, value))
        elif name in ("qt_ms", "heart_rate_bpm", "rr_ms", "qtcf_ms"):
            self.ecg.setdefault(day, {})[name] = value
        else:
            self.echo.setdefault(day, {})[name] = value

    def _genomic(self, res: dict[str, Any]) -> None:
        comp = codes.tables()["genomics"]["components"]
        genes: list[str] = []
        values: dict[str, Any] = {}
        own: dict[str, Any] = {}
        for i, c in enumerate(res.get("component") or []):
            ccode = c.get("code")
            key = next((k for k, v in comp.items() if _code_in(ccode, codes.LOINC, {v: 1}) is not None), None)
            mine = _ismart_code(ccode)
            if key == "gene_studied":
                symbol = _text(c.get("valueCodeableConcept"))
                if symbol:
                    genes.append(symbol.split()[0].upper())
            elif key in ("amino_acid_change", "dna_change"):
                raw = _codings(c.get("valueCodeableConcept"))
                text = (raw[0].get("code") if raw else None) or _text(c.get("valueCodeableConcept"))
                if isinstance(text, str):
                    values[key] = text.split(":")[-1].strip()
            elif key == "allelic_frequency":
                q = c.get("valueQuantity") or {}
                if isinstance(q.get("value"), int | float) and 0 <= q["value"] <= 1:
                    values["vaf"] = float(q["value"])
                else:
                    self.miss(res, f"component[{i}]", "allelic frequency is not a fraction 0-1")
            elif key == "dna_change_type":
                values["type"] = next(
                    iter([x.get("code") for x in _codings(c.get("valueCodeableConcept"))]), None
                )
            elif mine is not None:
                v = c.get("valueString", c.get("valueBoolean", c.get("valueInteger")))
                own[mine] = v
            else:
                self.miss(res, f"component[{i}]", f"component {_shown_codes(ccode)} not used")
        prof = self.d.setdefault("profiling", {})
        kind = values.get("type")
        if kind == codes.SO_FUSION or own.get("fusion-five-prime"):
            five, three = own.get("fusion-five-prime"), own.get("fusion-three-prime")
            if not (five and three):
                if len(genes) != 2:
                    self.miss(res, "component", "a fusion needs its two partner genes")
                    return
                five, three = genes
                self.miss(res, "component(gene-studied)", "fusion partner order taken from component order")
            fusion: dict[str, Any] = {"five_prime": five, "three_prime": three}
            for k, name in (
                ("fusion-in-frame", "in_frame"),
                ("fusion-kinase-domain", "retains_kinase_domain"),
            ):
                if isinstance(own.get(k), bool):
                    fusion[name] = own[k]
            prof.setdefault("fusions", []).append(fusion)
            return
        if not genes:
            self.miss(res, "component(gene-studied)", "a variant without the gene studied is not used")
            return
        if kind in (codes.SO_GAIN, codes.SO_LOSS) or own.get("cnv-call"):
            call = own.get("cnv-call") or ("gain" if kind == codes.SO_GAIN else "deletion")
            prof.setdefault("copy_number", []).append({"gene": genes[0], "call": call})
            return
        variant: dict[str, Any] = {"gene": genes[0]}
        if "amino_acid_change" in values:
            variant["hgvs_p"] = values["amino_acid_change"]
        if "dna_change" in values:
            variant["hgvs_c"] = values["dna_change"]
        if "vaf" in values:
            variant["vaf"] = values["vaf"]
        if isinstance(own.get("variant-type"), str):
            variant["type"] = own["variant-type"]
        if isinstance(own.get("variant-exon"), int):
            variant["exon"] = own["variant-exon"]
        if len(variant) == 1:
            self.miss(res, "component", "variant has neither a protein nor a DNA change: not used")
            return
        prof.setdefault("variants", []).append(variant)

    # -- Medications ----------------------------------------------------------------------------
    def _medication_name(self, res: dict[str, Any]) -> str | None:
        concept = res.get("medicationCodeableConcept")
        if concept is None and isinstance(res.get("medicationReference"), dict):
            ref = str(res["medicationReference"].get("reference", ""))
            target = None
            if ref.startswith("#"):
                target = next((c for c in res.get("contained") or [] if c.get("id") == ref[1:]), None)
            else:
                target = self.by_ref.get(ref) or next(
                    (r for k, r in self.by_ref.items() if ref.endswith(k)), None
                )
            concept = (target or {}).get("code")
            if concept is None and res["medicationReference"].get("display"):
                return str(res["medicationReference"]["display"])
        return _text(concept)

    def _medication(self, res: dict[str, Any], period_key: str) -> None:
        name = self._medication_name(res)
        if name is None:
            self.miss(res, "medication[x]", "no medication text, display or resolvable reference")
            return
        status = res.get("status")
        if status in ("entered-in-error", "cancelled", "not-taken", "draft"):
            self.miss(res, "status", f"status {status!r}: not a medication the patient takes or took")
            return
        raw_period = res.get(period_key)
        period: dict[str, Any] = raw_period if isinstance(raw_period, dict) else {}
        dosage = (res.get("dosage") or res.get("dosageInstruction") or [{}])[0]
        route = _text(dosage.get("route")) if isinstance(dosage, dict) else None
        end = _datetime_or_day(period.get("end"))
        own = (
            _ismart_code({"coding": [c for e in res.get("category") or [] for c in _codings(e)]})
            if isinstance(res.get("category"), list)
            else _ismart_code(res.get("category"))
        )
        extra: dict[str, Any] = {}
        for ext in res.get("extension") or []:
            if ext.get("url") == codes.ISMART_EXT + "-medication" and isinstance(ext.get("valueString"), str):
                extra = _json_object(ext["valueString"])
        if status in ("active", "intended", "on-hold") and end is None:
            med: dict[str, Any] = {"name": name, **extra}
            if route:
                med["route"] = route.lower()
            self.d.setdefault("current_medications", []).append(med)
            return
        prior: dict[str, Any] = {"agent": name}
        if own and own.startswith("class-"):
            prior["class"] = own[6:]
        if route:
            prior["route"] = route.lower()
        if _day(period.get("start")):
            prior["first_dose"] = _day(period.get("start"))
        if end is None:
            self.miss(res, f"{period_key}.end", "a past medication without its last day: last dose unknown")
        prior["last_dose"] = end
        prior.update(extra)
        self.d.setdefault("prior_therapy", []).append(prior)

    def _MedicationStatement(self, res: dict[str, Any]) -> None:
        self._medication(res, "effectivePeriod")

    def _MedicationRequest(self, res: dict[str, Any]) -> None:
        if res.get("intent") not in (None, "order", "original-order", "instance-order", "plan"):
            self.miss(res, "intent", f"intent {res.get('intent')!r} is not an order")
            return
        # A request has no period of administration of its own; its validity period is the nearest.
        holder = dict(res)
        holder["_period"] = (res.get("dispenseRequest") or {}).get("validityPeriod") or {}
        if res.get("status") in ("completed", "stopped"):
            self._medication(holder, "_period")
        else:
            self._medication(holder, "_period")

    def _Medication(self, res: dict[str, Any]) -> None:
        pass  # read through the statements and requests that refer to it

    # -- Procedure ------------------------------------------------------------------------------
    def _Procedure(self, res: dict[str, Any]) -> None:
        if res.get("status") not in ("completed", "in-progress"):
            self.miss(res, "status", f"status {res.get('status')!r}: not a procedure that took place")
            return
        own = _ismart_code(res.get("code"))
        text = (_text(res.get("code")) or "").lower()
        day = _day(_when(res, "performedDateTime", "performedPeriod"))
        extra = {}
        for ext in res.get("extension") or []:
            if ext.get("url") == codes.ISMART_EXT + "-procedure" and isinstance(ext.get("valueString"), str):
                extra = _json_object(ext["valueString"])
        if own == "hsct" or "stem cell transplant" in text or "hsct" in text:
            entry: dict[str, Any] = {"date": day}
            if own is None:
                entry["type"] = (
                    "allogeneic" if "allogen" in text else "autologous" if "autolog" in text else None
                )
            self.d.setdefault("hsct", []).append({**entry, **extra})
        elif own == "radiotherapy" or "radiotherapy" in text or "radiation therapy" in text:
            self.d.setdefault("radiotherapy", []).append({"end_date": day, **extra})
        elif own == "surgery":
            self.d.setdefault("surgery", []).append(
                {"date": day, "procedure": _text(res.get("code")), **extra}
            )
        else:
            self.miss(
                res, "code", f"not HSCT, radiotherapy or a procedure ismart reads ({text or 'no text'})"
            )
            return
        if day is None:
            self.miss(res, "performed[x]", "no date: the washout cannot be counted")

    # -- finish ---------------------------------------------------------------------------------
    def _finish(self) -> None:
        p = self.d["patient"]
        parts = self.d.pop("_parts", {})
        if self.weights:
            day, value = max(self.weights)
            p["weight_kg"] = value
            p["measured_on"] = day
            heights = [h for h in self.heights if h[0] == day] or self.heights
            if heights:
                p["height_cm"] = max(heights)[1]
        elif self.heights:
            p["height_cm"] = max(self.heights)[1]
            p["measured_on"] = max(self.heights)[0]
        cardiac = dict(parts.get("cardiac", {}))
        if self.ecg:
            day = max(self.ecg)
            cardiac["ecg"] = {"date": day, **self.ecg[day], **cardiac.get("ecg", {})}
        if self.echo:
            day = max(self.echo)
            cardiac["echo"] = {"date": day, **self.echo[day], **cardiac.get("echo", {})}
        if cardiac:
            self.d["cardiac"] = cardiac
        if "diagnosis" in parts:
            self.d.setdefault("diagnosis", {}).update(parts["diagnosis"])
        if "profiling" in parts:
            self.d.setdefault("profiling", {}).update(parts["profiling"])
        for name in parts.get("empty", []):
            if name.startswith("profiling."):
                self.d.setdefault("profiling", {}).setdefault(name.split(".", 1)[1], [])
            else:
                self.d.setdefault(name, [])
        if self.patients == 0:
            self.report.append(Unmapped("Patient", "", "no Patient resource: birth date and sex are missing"))


# Parts of sections with a FHIR home whose remaining fields ride in the extension.
_EXT_PARTS = ("diagnosis", "profiling", "cardiac", "empty")
# ismart-coded observations (no verified LOINC code): field and accepted units.
_OWN_FIELDS = {
    "qtcf_ms": ["ms"],
    "rr_ms": ["ms"],
    "shortening_fraction_pct": ["%"],
}


def import_resources(
    resources: list[dict[str, Any]], *, patient_id: str, urls: dict[str, dict[str, Any]] | None = None
) -> ImportResult:
    """Map FHIR resources (JSON form) of one patient to dossier data and a mapping report.

    ``urls`` maps a Bundle entry's fullUrl to its resource, for references of the form urn:uuid:...
    """
    return _Importer(resources, patient_id, urls).run()


def full_urls(resources: list[dict[str, Any]]) -> dict[str, dict[str, Any]]:
    """fullUrl -> resource for every Bundle entry (nested bundles too)."""
    out: dict[str, dict[str, Any]] = {}
    for res in resources:
        if res.get("resourceType") != "Bundle":
            continue
        for entry in res.get("entry") or []:
            if isinstance(entry, dict) and isinstance(entry.get("resource"), dict):
                if isinstance(entry.get("fullUrl"), str):
                    out[entry["fullUrl"]] = entry["resource"]
                out |= full_urls([entry["resource"]])
    return out


def flatten(resource: dict[str, Any]) -> list[dict[str, Any]]:
    """A Bundle's entries (nested bundles too), or the single resource itself."""
    if resource.get("resourceType") != "Bundle":
        return [resource]
    out: list[dict[str, Any]] = []
    for entry in resource.get("entry") or []:
        inner = entry.get("resource") if isinstance(entry, dict) else None
        if isinstance(inner, dict):
            out.extend(flatten(inner))
    return out


def _subject(res: dict[str, Any]) -> str | None:
    for key in ("subject", "patient"):
        ref = res.get(key)
        if isinstance(ref, dict) and isinstance(ref.get("reference"), str):
            return str(ref["reference"])
    return None


def _points_to(reference: str, patient: dict[str, Any]) -> bool:
    pid = str(patient.get("id", ""))
    return bool(pid) and (reference.endswith(f"Patient/{pid}") or reference.endswith(pid))


def import_many(
    resources: list[dict[str, Any]], *, patient_id: str, urls: dict[str, dict[str, Any]] | None = None
) -> ImportResult:
    """Like import_resources for Bundles and bulk exports: the first Patient and what refers to it.

    Resources of any further patient are listed in the report (one dossier holds one patient).
    """
    flat = [r for res in resources for r in flatten(res)]
    patients = [r for r in flat if r.get("resourceType") == "Patient"]
    if len(patients) <= 1:
        return import_resources(flat, patient_id=patient_id, urls=urls)
    first = patients[0]
    chosen: list[dict[str, Any]] = []
    report: list[Unmapped] = []
    for res in flat:
        ref = _subject(res)
        if res.get("resourceType") == "Patient" and res is not first:
            report.append(
                Unmapped(_ref(res), "", "another patient: one dossier holds the first patient only")
            )
        elif ref is not None:
            if _points_to(ref, first):
                chosen.append(res)
            else:
                report.append(Unmapped(_ref(res), "subject", "belongs to another patient: not imported"))
        else:
            chosen.append(res)
    result = import_resources(chosen, patient_id=patient_id, urls=urls)
    result.report[:0] = report
    return result
