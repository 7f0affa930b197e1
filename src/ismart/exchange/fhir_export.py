"""Dossier data -> FHIR R4 Bundle (JSON form); sub-protocols -> ResearchStudy; registrations ->
ResearchSubject. Pure: no I/O. The caller validates the result against the fhir.resources models.

What has a FHIR home becomes its resource (Patient, Condition, Observation with LOINC, the
Genomics Reporting IG variant Observation, MedicationStatement, Procedure). Sections with no FHIR
home ride in the documented ismart extension on Patient (``codes.ISMART_EXT``: sub-extensions
``section`` (code) and ``json`` (the section as JSON)); ``fhir_import`` reads it back.
"""

from __future__ import annotations

import json
import re
from typing import Any

from ismart.exchange import codes
from ismart.exchange.fhir_import import EXTENSION_SECTIONS

_LAB_LOINC = {
    "creatinine": "2160-0",
    "bilirubin_total": "1975-2",
    "bilirubin_direct": "1968-7",
    "alt": "1742-6",
    "ast": "1920-8",
}
_LAB_LOINC_MOLAR = {"creatinine": "14682-9", "bilirubin_total": "14631-6", "bilirubin_direct": "14629-0"}
_PREGNANCY_LOINC = {"pregnancy_serum_hcg": "2118-8", "pregnancy_urine_hcg": "2106-3"}


def _safe_id(text: str) -> str:
    cleaned = re.sub(r"[^A-Za-z0-9.\-]", "-", text)[:64]
    return cleaned or "patient"


def _concept(system: str, code: str, display: str | None = None) -> dict[str, Any]:
    coding: dict[str, Any] = {"system": system, "code": code}
    if display:
        coding["display"] = display
    return {"coding": [coding], **({"text": display} if display else {})}


def _section_ext(name: str, value: Any) -> dict[str, Any]:
    return {
        "url": codes.ISMART_EXT,
        "extension": [
            {"url": "section", "valueCode": name},
            {"url": "json", "valueString": json.dumps(value, sort_keys=True, default=str)},
        ],
    }


class _Exporter:
    def __init__(self, dossier: dict[str, Any]) -> None:
        self.d = dossier
        self.pid = _safe_id(str((dossier.get("patient") or {}).get("id") or "patient"))
        self.entries: list[dict[str, Any]] = []
        self.n = 0
        self.not_exported: list[str] = []

    def add(self, res: dict[str, Any]) -> None:
        self.n += 1
        res["id"] = f"{self.pid}-{self.n}"
        self.entries.append(res)

    @property
    def subject(self) -> dict[str, str]:
        return {"reference": f"Patient/{self.pid}"}

    def run(self) -> dict[str, Any]:
        self.patient()
        self.diagnosis()
        self.vitals()
        self.labs()
        self.cardiac()
        self.genomics()
        self.medications()
        self.procedures()
        return {
            "resourceType": "Bundle",
            "type": "collection",
            "entry": [
                {"fullUrl": f"urn:ismart:{r['resourceType']}/{r['id']}", "resource": r} for r in self.entries
            ],
        }

    def patient(self) -> None:
        p = self.d.get("patient") or {}
        res: dict[str, Any] = {"resourceType": "Patient"}
        if p.get("sex"):
            res["gender"] = p["sex"]
        if p.get("birth_date"):
            res["birthDate"] = str(p["birth_date"])
        ext = [
            _section_ext(name, self.d[name]) for name in EXTENSION_SECTIONS if self.d.get(name) is not None
        ]
        ext += [
            _section_ext(f"patient.{k}", p[k]) for k in ("site", "inclusion_date") if p.get(k) is not None
        ]
        diag = self.d.get("diagnosis") or {}
        rest = {k: v for k, v in diag.items() if k in ("lineage", "status", "cns_status") and v is not None}
        if rest:
            ext.append(_section_ext("diagnosis", rest))
        prof = self.d.get("profiling") or {}
        prest = {
            k: v for k, v in prof.items() if k not in ("variants", "fusions", "copy_number") and v is not None
        }
        if prest:
            ext.append(_section_ext("profiling", prest))
        card = self.d.get("cardiac") or {}
        if card.get("significant_arrhythmia") is not None:
            ext.append(_section_ext("cardiac", {"significant_arrhythmia": card["significant_arrhythmia"]}))
        empty = sorted(k for k, v in self.d.items() if v == [])
        empty += [f"profiling.{k}" for k, v in prof.items() if v == []]
        if empty:
            ext.append(_section_ext("empty", empty))
        if ext:
            res["extension"] = ext
        self.entries.insert(0, {**res, "id": self.pid})

    def diagnosis(self) -> None:
        diag = self.d.get("diagnosis") or {}
        disease = diag.get("disease")
        if disease is None:
            return
        code = {
            "ALL": ("C91.0", "Acute lymphoblastic leukaemia"),
            "LBL": ("C83.5", "Lymphoblastic (diffuse) lymphoma"),
        }
        res: dict[str, Any] = {
            "resourceType": "Condition",
            "subject": self.subject,
            "code": _concept(codes.ICD10[0], *code[disease]),
        }
        if diag.get("first_diagnosis_date"):
            res["onsetDateTime"] = str(diag["first_diagnosis_date"])
        self.add(res)

    def _obs(
        self, system: str, code: str, display: str, value: float, unit: str, when: Any, **extra: Any
    ) -> None:
        res: dict[str, Any] = {
            "resourceType": "Observation",
            "status": "final",
            "subject": self.subject,
            "code": _concept(system, code, display),
            "valueQuantity": {"value": value, "unit": unit, "system": codes.UCUM, "code": unit},
        }
        if when is not None:
            res["effectiveDateTime"] = str(when) if len(str(when)) == 10 else str(when)[:10]
        res.update(extra)
        self.add(res)

    def vitals(self) -> None:
        p = self.d.get("patient") or {}
        if p.get("weight_kg") is not None:
            self._obs(codes.LOINC, "29463-7", "Body weight", p["weight_kg"], "kg", p.get("measured_on"))
        if p.get("height_cm") is not None:
            self._obs(codes.LOINC, "8302-2", "Body height", p["height_cm"], "cm", p.get("measured_on"))

    def labs(self) -> None:
        for lab in self.d.get("labs") or []:
            test = lab["test"]
            when = lab.get("collected_at")
            if test in _PREGNANCY_LOINC and lab.get("result"):
                res = {
                    "resourceType": "Observation",
                    "status": "final",
                    "subject": self.subject,
                    "code": _concept(codes.LOINC, _PREGNANCY_LOINC[test], test),
                    "valueString": lab["result"],
                }
                if when is not None:
                    res["effectiveDateTime"] = str(when)[:10] if len(str(when)) <= 10 else _dt(when)
                self.add(res)
                continue
            if lab.get("value") is None:
                self.not_exported.append(f"labs: {test} without a value")
                continue
            unit = lab.get("unit") or ""
            molar = "mol" in unit.lower()
            loinc = (_LAB_LOINC_MOLAR if molar else _LAB_LOINC).get(test)
            system, code = (codes.LOINC, loinc) if loinc else (codes.ISMART_SYSTEM, f"lab-{test}")
            extra: dict[str, Any] = {}
            rr = {}
            if lab.get("uln") is not None:
                rr["high"] = {"value": lab["uln"], "unit": unit, "system": codes.UCUM, "code": unit}
            if lab.get("lln") is not None:
                rr["low"] = {"value": lab["lln"], "unit": unit, "system": codes.UCUM, "code": unit}
            if rr:
                extra["referenceRange"] = [rr]
            self._obs(system, code, test, lab["value"], unit, None, **extra)
            if when is not None:
                self.entries[-1]["effectiveDateTime"] = _dt(when)

    def cardiac(self) -> None:
        card = self.d.get("cardiac") or {}
        ecg = card.get("ecg") or {}
        day = ecg.get("date")
        for key, loinc, name, unit in (
            ("qt_ms", "8634-8", "QT interval", "ms"),
            ("heart_rate_bpm", "8867-4", "Heart rate", "/min"),
        ):
            if ecg.get(key) is not None:
                self._obs(codes.LOINC, loinc, name, ecg[key], unit, day)
        for key in ("qtcf_ms", "rr_ms"):
            if ecg.get(key) is not None:
                self._obs(codes.ISMART_SYSTEM, key, key, ecg[key], "ms", day)
        echo = card.get("echo") or {}
        if echo.get("lvef_pct") is not None:
            self._obs(
                codes.LOINC,
                "10230-1",
                "Left ventricular ejection fraction",
                echo["lvef_pct"],
                "%",
                echo.get("date"),
            )
        if echo.get("shortening_fraction_pct") is not None:
            self._obs(
                codes.ISMART_SYSTEM,
                "shortening_fraction_pct",
                "shortening fraction",
                echo["shortening_fraction_pct"],
                "%",
                echo.get("date"),
            )
        if (ecg and day is None and any(ecg.values())) or (
            echo and echo.get("date") is None and any(echo.values())
        ):
            self.not_exported.append("cardiac: a finding without its date has no FHIR effective time")

    def _variant_obs(self, components: list[dict[str, Any]]) -> None:
        g = codes.tables()["genomics"]
        self.add(
            {
                "resourceType": "Observation",
                "status": "final",
                "category": [
                    _concept("http://terminology.hl7.org/CodeSystem/observation-category", "laboratory")
                ],
                "subject": self.subject,
                "code": _concept(codes.LOINC, g["variant_code"], "Genetic variant assessment"),
                "valueCodeableConcept": _concept(codes.LOINC, "LA9633-4", "Present"),
                "component": components,
            }
        )

    def genomics(self) -> None:
        comp = codes.tables()["genomics"]["components"]

        def gene(symbol: str) -> dict[str, Any]:
            return {
                "code": _concept(codes.LOINC, comp["gene_studied"], "Gene studied"),
                "valueCodeableConcept": {
                    "coding": [{"system": codes.HGNC, "display": symbol}],
                    "text": symbol,
                },
            }

        def own(code: str, **value: Any) -> dict[str, Any]:
            return {"code": _concept(codes.ISMART_SYSTEM, code), **value}

        def so(term: str) -> dict[str, Any]:
            return {
                "code": _concept(codes.LOINC, comp["dna_change_type"], "DNA change type"),
                "valueCodeableConcept": _concept(codes.SO, term),
            }

        prof = self.d.get("profiling") or {}
        for v in prof.get("variants") or []:
            cs = [gene(v["gene"])]
            if v.get("hgvs_p"):
                cs.append(
                    {
                        "code": _concept(codes.LOINC, comp["amino_acid_change"], "Amino acid change"),
                        "valueCodeableConcept": _concept(codes.HGVS, v["hgvs_p"]),
                    }
                )
            if v.get("hgvs_c"):
                cs.append(
                    {
                        "code": _concept(codes.LOINC, comp["dna_change"], "DNA change"),
                        "valueCodeableConcept": _concept(codes.HGVS, v["hgvs_c"]),
                    }
                )
            if v.get("vaf") is not None:
                cs.append(
                    {
                        "code": _concept(codes.LOINC, comp["allelic_frequency"], "Allelic frequency"),
                        "valueQuantity": {"value": v["vaf"], "system": codes.UCUM, "code": "1"},
                    }
                )
            if v.get("type"):
                cs.append(own("variant-type", valueString=v["type"]))
            if v.get("exon") is not None:
                cs.append(own("variant-exon", valueInteger=v["exon"]))
            self._variant_obs(cs)
        for f in prof.get("fusions") or []:
            cs = [
                so(codes.SO_FUSION),
                gene(f["five_prime"]),
                gene(f["three_prime"]),
                own("fusion-five-prime", valueString=f["five_prime"]),
                own("fusion-three-prime", valueString=f["three_prime"]),
            ]
            for key, code in (
                ("in_frame", "fusion-in-frame"),
                ("retains_kinase_domain", "fusion-kinase-domain"),
            ):
                if f.get(key) is not None:
                    cs.append(own(code, valueBoolean=f[key]))
            self._variant_obs(cs)
        for c in prof.get("copy_number") or []:
            term = codes.SO_GAIN if c["call"] in ("gain", "amplification") else codes.SO_LOSS
            self._variant_obs([gene(c["gene"]), so(term), own("cnv-call", valueString=c["call"])])

    def medications(self) -> None:
        for m in self.d.get("current_medications") or []:
            res: dict[str, Any] = {
                "resourceType": "MedicationStatement",
                "status": "active",
                "subject": self.subject,
                "medicationCodeableConcept": {"text": m["name"]},
            }
            if m.get("route"):
                res["dosage"] = [{"route": {"text": m["route"]}}]
            if m.get("required_during_study") is not None:
                res["extension"] = [_med_ext({"required_during_study": m["required_during_study"]})]
            self.add(res)
        for t in self.d.get("prior_therapy") or []:
            res = {
                "resourceType": "MedicationStatement",
                "status": "completed",
                "subject": self.subject,
                "medicationCodeableConcept": {"text": t["agent"]},
            }
            period = {}
            if t.get("first_dose"):
                period["start"] = str(t["first_dose"])
            if t.get("last_dose"):
                period["end"] = _dt(t["last_dose"])
            if period:
                res["effectivePeriod"] = period
            if t.get("class"):
                res["category"] = _concept(codes.ISMART_SYSTEM, f"class-{t['class']}")
            if t.get("route"):
                res["dosage"] = [{"route": {"text": t["route"]}}]
            rest = {k: t[k] for k in ("regimen", "half_life_days") if t.get(k) is not None}
            if rest:
                res["extension"] = [_med_ext(rest)]
            self.add(res)

    def procedures(self) -> None:
        for kind, date_key in (("hsct", "date"), ("radiotherapy", "end_date"), ("surgery", "date")):
            for item in self.d.get(kind) or []:
                label = item.get("procedure") if kind == "surgery" else None
                res: dict[str, Any] = {
                    "resourceType": "Procedure",
                    "status": "completed",
                    "subject": self.subject,
                    "code": _concept(codes.ISMART_SYSTEM, kind, label or kind),
                }
                if item.get(date_key):
                    res["performedDateTime"] = str(item[date_key])[:10]
                rest = {k: v for k, v in item.items() if k not in (date_key, "procedure") and v is not None}
                if rest:
                    res["extension"] = [
                        {"url": codes.ISMART_EXT + "-procedure", "valueString": json.dumps(rest, default=str)}
                    ]
                self.add(res)


def _med_ext(value: dict[str, Any]) -> dict[str, Any]:
    return {"url": codes.ISMART_EXT + "-medication", "valueString": json.dumps(value, default=str)}


def _dt(value: Any) -> str:
    """A dossier date or datetime as a FHIR dateTime (a time needs seconds and a zone: taken as UTC)."""
    text = str(value).replace(" ", "T")
    if len(text) <= 10:
        return text
    text = text[:16]
    return f"{text}:00+00:00"


def export_dossier(dossier: dict[str, Any]) -> tuple[dict[str, Any], list[str]]:
    """A dossier (as JSON-shaped data) as a FHIR Bundle, and what was not exported."""
    ex = _Exporter(dossier)
    bundle = ex.run()
    return bundle, ex.not_exported


# Sub-protocol recruitment status -> FHIR R4B ResearchStudy.status.
STUDY_STATUS = {
    "recruiting": "active",
    "not_yet_recruiting": "approved",
    "withdrawn": "withdrawn",
    "suspended": "temporarily-closed-to-accrual",
    "closed": "closed-to-accrual",
    "completed": "completed",
}
# Registry subject state -> FHIR R4B ResearchSubject.status.
SUBJECT_STATUS = {
    "new": "potential-candidate",
    "screened": "screening",
    "board_reviewed": "candidate",
    "registered": "on-study",
    "on_treatment": "on-study-intervention",
    "off_study": "off-study",
}


def research_studies(protocol: Any) -> list[dict[str, Any]]:
    """Each sub-protocol as a ResearchStudy (its sites as Locations, criteria as numbered text)."""
    out: list[dict[str, Any]] = []
    for sp in protocol.subprotocols:
        refs = []
        for i, site in enumerate(sp.sites):
            loc_id = f"site-{sp.id}-{i + 1}"
            out.append(
                {
                    "resourceType": "Location",
                    "id": loc_id,
                    "name": site.institution,
                    "address": {"city": site.city, "country": site.country},
                    "status": "active" if site.status == "recruiting" else "inactive",
                }
            )
            refs.append({"reference": f"Location/{loc_id}", "display": f"{site.institution} ({site.status})"})
        lines = [f"- {c.kind} {c.number or '-'}: {c.label}" for c in sp.criteria]
        study: dict[str, Any] = {
            "resourceType": "ResearchStudy",
            "id": f"subprotocol-{sp.id}",
            "title": sp.name,
            "status": STUDY_STATUS[sp.status],
            "description": f"Drugs: {', '.join(sp.drugs)}. Eligibility criteria:\n" + "\n".join(lines),
            "keyword": [{"text": sp.pathway}],
        }
        if sp.registry_id:
            study["identifier"] = [{"system": "https://clinicaltrials.gov", "value": sp.registry_id}]
        if refs:
            study["site"] = refs
        out.append(study)
    return out


def research_subject(*, code: str, subprotocol: str, state: str) -> dict[str, Any]:
    """A registry subject on one sub-protocol as a ResearchSubject (from plain data)."""
    return {
        "resourceType": "ResearchSubject",
        "id": _safe_id(code),
        "status": SUBJECT_STATUS[state],
        "study": {"reference": f"ResearchStudy/subprotocol-{subprotocol}"},
        "individual": {"reference": f"Patient/{_safe_id(code)}"},
    }
