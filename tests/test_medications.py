"""The prohibited-medication table: shipped data, name matching and the site's licensed QT import."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
import yaml
from hypothesis import given
from hypothesis import strategies as st

from ismart.errors import ProfileFileError, ProtocolDataError
from ismart.medications import DrugEntry, MedicationTable

SHIPPED = Path(__file__).parent.parent / "src" / "ismart" / "reference" / "medications.yaml"
CLASSES = {
    "cyp3a4_strong_inhibitor",
    "cyp3a4_moderate_inhibitor",
    "cyp3a4_strong_inducer",
    "cyp3a4_moderate_inducer",
    "pgp_inhibitor",
    "qt_prolonging",
    "cyp3a4_weak_inhibitor",
    "herbal_interaction",
    "supportive_care",
    "antileukaemic",
}
TABLE = MedicationTable.load_default()
ALL_NAMES = [(drug.name, name) for drug in TABLE.drugs for name in (drug.name, *drug.synonyms)]


def _entry(name: str) -> DrugEntry:
    entry = TABLE.match(name)
    assert entry is not None, name
    return entry


def _raw() -> dict[str, Any]:
    data = yaml.safe_load(SHIPPED.read_text(encoding="utf-8"))
    assert isinstance(data, dict)
    return data


def _write(tmp_path: Path, data: Any, name: str = "table.yaml") -> Path:
    path = tmp_path / name
    path.write_text(yaml.safe_dump(data), encoding="utf-8")
    return path


# ---- the shipped file


def test_shipped_table_header_and_classes() -> None:
    assert TABLE.version == "2026.12.2"
    assert set(TABLE.classes) == CLASSES
    assert all(label.strip() for label in TABLE.classes.values())
    assert 200 <= len(TABLE.drugs) <= 300
    assert MedicationTable.load_default() is TABLE  # cached


def test_every_class_membership_cites_a_known_source() -> None:
    for drug in TABLE.drugs:
        assert drug.classes, drug.name
        assert set(drug.sources) == set(drug.classes), drug.name
        for source_id in drug.sources.values():
            assert source_id in TABLE.sources, (drug.name, source_id)
    for source in TABLE.sources.values():
        assert source.url.startswith(("http://", "https://")) and source.title


def test_qt_memberships_cite_labels_never_crediblemeds() -> None:
    for drug in TABLE.drugs:
        if "qt_prolonging" in drug.classes:
            source = TABLE.sources[drug.sources["qt_prolonging"]]
            assert "crediblemeds" not in source.url.lower(), drug.name
            assert drug.sources["qt_prolonging"].startswith(("label_", "review_", "ema_", "epar_", "fda_")), (
                drug.name
            )


def test_every_class_has_members_and_names_are_lowercase() -> None:
    for cls in CLASSES:
        assert any(cls in drug.classes for drug in TABLE.drugs), cls
    for drug in TABLE.drugs:
        assert drug.name == drug.name.lower().strip()


@pytest.mark.parametrize(
    ("drug", "cls"),
    [
        ("fluconazole", "cyp3a4_moderate_inhibitor"),
        ("fluconazole", "qt_prolonging"),
        ("voriconazole", "cyp3a4_strong_inhibitor"),
        ("posaconazole", "cyp3a4_strong_inhibitor"),
        ("itraconazole", "cyp3a4_strong_inhibitor"),
        ("ketoconazole", "cyp3a4_strong_inhibitor"),
        ("isavuconazole", "cyp3a4_moderate_inhibitor"),
        ("clarithromycin", "cyp3a4_strong_inhibitor"),
        ("erythromycin", "cyp3a4_moderate_inhibitor"),
        ("azithromycin", "pgp_inhibitor"),
        ("ritonavir", "cyp3a4_strong_inhibitor"),
        ("atazanavir", "cyp3a4_strong_inhibitor"),
        ("rifampicin", "cyp3a4_strong_inducer"),
        ("rifabutin", "cyp3a4_moderate_inducer"),
        ("carbamazepine", "cyp3a4_strong_inducer"),
        ("phenytoin", "cyp3a4_strong_inducer"),
        ("phenobarbital", "cyp3a4_strong_inducer"),
        ("st john's wort", "cyp3a4_moderate_inducer"),
        ("grapefruit juice", "cyp3a4_moderate_inhibitor"),
        ("dexamethasone", "cyp3a4_moderate_inducer"),
        ("ondansetron", "qt_prolonging"),
        ("ciclosporin", "pgp_inhibitor"),
    ],
)
def test_required_memberships(drug: str, cls: str) -> None:
    assert cls in _entry(drug).classes


def test_rifampicin_and_dexamethasone_do_not_prolong_qt() -> None:
    assert "qt_prolonging" not in TABLE.classes_of("rifampicin")
    assert TABLE.classes_of("dexamethasone") == {"cyp3a4_moderate_inducer"}


# ---- matching


@pytest.mark.parametrize(("drug", "name"), ALL_NAMES)
def test_every_name_and_synonym_resolves_to_its_drug(drug: str, name: str) -> None:
    assert _entry(name).name == drug
    assert _entry(name.upper()).name == drug


@pytest.mark.parametrize(
    ("text", "drug"),
    [
        ("Fluconazole 200 mg tablet", "fluconazole"),
        ("FLUCONAZOLE", "fluconazole"),
        ("fluconazole200mg", "fluconazole"),
        ("ondansetron hydrochloride", "ondansetron"),
        ("Ondansetron HCl 4 mg ODT", "ondansetron"),
        ("Zofran 8mg IV", "ondansetron"),
        ("rifampin 600 mg daily", "rifampicin"),
        ("St. John’s Wort extract", "st john's wort"),
        ("Saint Johns wort", "st john's wort"),
        ("hydroxy-chloroquine", "hydroxychloroquine"),
        ("hydroxy chloroquine sulfate 200 mg", "hydroxychloroquine"),
        ("Ery-Tab 250", "erythromycin"),
        ("erytab", "erythromycin"),
        ("cyclosporine (Neoral) 50 mg BID", "ciclosporin"),
        ("Kaletra (lopinavir/ritonavir)", "lopinavir"),
        ("Paxlovid", "nirmatrelvir/ritonavir"),
        ("nirmatrelvir / ritonavir", "nirmatrelvir/ritonavir"),
        ("posaconazole delayed-release tablets", "posaconazole"),
        ("Dexaméthasone", "dexamethasone"),
        ("isavuconazonium sulfate", "isavuconazole"),
    ],
)
def test_tolerant_matching(text: str, drug: str) -> None:
    assert _entry(text).name == drug


@pytest.mark.parametrize(
    "text",
    [
        "tablet",
        "200 mg",
        "",
        "   ",
        "water for injection",
        "!!!",
        "\u00e9\u00e8",
    ],
)
def test_non_drug_text(text: str) -> None:
    assert TABLE.match(text) is None
    assert TABLE.classes_of(text) == frozenset()


@pytest.mark.parametrize(
    "text",
    [
        "quinidinex",
        "erythromycinate",
        "prefluconazole",
        "ritonavirs",
        "metamizoles",
        "xato",
        "escitalopramx",
        "dexamethasonephosphate",
    ],
)
def test_never_matches_inside_a_longer_word(text: str) -> None:
    assert TABLE.match(text) is None


def test_a_name_does_not_match_another_drug_it_contains() -> None:
    assert _entry("quinidine").name == "quinidine"  # not quinine
    assert _entry("levoketoconazole").name == "levoketoconazole"  # not ketoconazole
    assert _entry("fosaprepitant").name == "fosaprepitant"  # not aprepitant
    assert _entry("fosphenytoin").name == "fosphenytoin"  # not phenytoin


@given(st.text())
def test_match_never_raises(text: str) -> None:
    entry = TABLE.match(text)
    assert entry is None or isinstance(entry, DrugEntry)
    assert isinstance(TABLE.classes_of(text), frozenset)


# ---- loading a table from a file


def test_from_yaml_round_trip(tmp_path: Path) -> None:
    table = MedicationTable.from_yaml(_write(tmp_path, _raw()))
    assert len(table.drugs) == len(TABLE.drugs)
    assert table.match("Diflucan") is not None


@pytest.mark.parametrize("version", [2, 0, "1", None, True])
def test_unknown_schema_version_refused(tmp_path: Path, version: Any) -> None:
    data = {**_raw(), "schema_version": version}
    with pytest.raises(ProtocolDataError, match="schema_version"):
        MedicationTable.from_yaml(_write(tmp_path, data))


def _mutated(change: str) -> dict[str, Any]:
    data = _raw()
    first = data["drugs"][0]
    if change == "extra":
        data["colour"] = "blue"
    elif change == "unknown_source":
        first["sources"] = {cls: "nowhere" for cls in first["classes"]}
    elif change == "unknown_class":
        first["classes"] = ["cyp2d6_inhibitor"]
        first["sources"] = {"cyp2d6_inhibitor": "cyp3a_fda_based"}
    elif change == "uncited_class":
        first["sources"] = {}
    elif change == "duplicate_name":
        data["drugs"][1]["synonyms"] = [first["name"]]
    elif change == "uppercase_name":
        first["name"] = first["name"].upper()
    return data


@pytest.mark.parametrize(
    "change",
    ["extra", "unknown_source", "unknown_class", "uncited_class", "duplicate_name", "uppercase_name"],
)
def test_invalid_table_refused(tmp_path: Path, change: str) -> None:
    with pytest.raises(ProtocolDataError):
        MedicationTable.from_yaml(_write(tmp_path, _mutated(change)))


def test_unreadable_or_non_mapping_table(tmp_path: Path) -> None:
    with pytest.raises(ProtocolDataError):
        MedicationTable.from_yaml(tmp_path / "missing.yaml")
    path = tmp_path / "list.yaml"
    path.write_text("- 1\n- 2\n", encoding="utf-8")
    with pytest.raises(ProtocolDataError):
        MedicationTable.from_yaml(path)
    path.write_text("a: [unclosed\n", encoding="utf-8")
    with pytest.raises(ProtocolDataError):
        MedicationTable.from_yaml(path)


# ---- the site's licensed QT import

GOOD_CSV = (
    "Generic Name,Brand Names,Risk Category\n"
    'Chlorpromazine,"Thorazine, Largactil",KR\n'
    'Itraconazole,"Sporanox, Onmel, Itrazole",KR\n'
    "Ondansetron,Zofran,KR\n"
    "Famotidine,Pepcid,CR\n"
    "Hydroxyzine,Atarax; Vistaril,CR\n"
    "Pseudo-drug special,Whatever,SR\n"
    "\n"
)


def _csv(tmp_path: Path, text: str, name: str = "qtdrugs.csv") -> Path:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


def test_import_adds_known_risk_drugs_only_by_default(tmp_path: Path) -> None:
    table = TABLE.with_qt_import(_csv(tmp_path, GOOD_CSV))
    assert "qt_prolonging" in table.classes_of("chlorpromazine 25 mg")
    assert _entry_of(table, "Largactil").name == "chlorpromazine"
    assert table.classes_of("famotidine") == frozenset()  # CR not chosen
    itraconazole = _entry_of(table, "Itrazole")  # a new brand name from the import
    assert itraconazole.name == "itraconazole"
    assert "qt_prolonging" in itraconazole.classes
    assert "cyp3a4_strong_inhibitor" in itraconazole.classes  # existing memberships kept
    assert itraconazole.sources["cyp3a4_strong_inhibitor"] == "cyp3a_fda_based"
    source = table.sources[itraconazole.sources["qt_prolonging"]]
    assert source.title == "site-licensed CredibleMeds import (qtdrugs.csv)"
    ondansetron = _entry_of(table, "ondansetron")
    assert ondansetron.sources["qt_prolonging"] == "label_ondansetron"  # label citation kept
    assert "qtdrugs.csv" in table.version
    assert "qt_prolonging" not in TABLE.classes_of("itraconazole")  # the original is unchanged


def _entry_of(table: MedicationTable, name: str) -> DrugEntry:
    entry = table.match(name)
    assert entry is not None, name
    return entry


def test_import_chosen_categories_and_header_variants(tmp_path: Path) -> None:
    text = (
        "generic_name;brand names;Category\n"
        "Famotidine;Pepcid;cr\n"
        "Hydroxyzine;Atarax, Vistaril;Conditional Risk\n"
        "Bepridil;Vascor;Known risk of TdP\n"
    )
    table = TABLE.with_qt_import(_csv(tmp_path, text), categories=("KR", "cr"))
    for name in ("famotidine", "Vistaril", "vascor"):
        assert "qt_prolonging" in table.classes_of(name)
    only_cr = TABLE.with_qt_import(_csv(tmp_path, text), categories="CR")
    assert only_cr.classes_of("bepridil") == frozenset()


def test_import_with_bom_and_without_brand_column(tmp_path: Path) -> None:
    path = tmp_path / "bom.csv"
    path.write_bytes("\ufeffGeneric Name,Risk Category\nDisopyramide,KR\n".encode())
    table = TABLE.with_qt_import(path)
    assert "qt_prolonging" in table.classes_of("disopyramide phosphate")


@pytest.mark.parametrize(
    ("text", "line", "message"),
    [
        ("", 1, "empty"),
        ("Drug,Brand Names\nChlorpromazine,Thorazine\n", 1, "Generic Name"),
        ("Generic Name,Brand Names\nChlorpromazine,Thorazine\n", 1, "Risk Category"),
        ("Generic Name,Brand Names,Risk Category\nChlorpromazine,Thorazine,XX\n", 2, "XX"),
        ("Generic Name,Brand Names,Risk Category\nChlorpromazine,Thorazine,KR\nFamotidine\n", 3, "columns"),
        ("Generic Name,Brand Names,Risk Category\n,Thorazine,KR\n", 2, "generic name"),
        ('Generic Name,Brand Names,Risk Category\nChlorpromazine,"Thorazine,KR\n', 2, "malformed"),
    ],
)
def test_broken_csv_names_file_and_line(tmp_path: Path, text: str, line: int, message: str) -> None:
    path = _csv(tmp_path, text, "broken.csv")
    with pytest.raises(ProfileFileError, match=message) as caught:
        TABLE.with_qt_import(path)
    assert caught.value.line == line
    assert caught.value.path == str(path)


def test_unreadable_csv_and_bad_categories(tmp_path: Path) -> None:
    with pytest.raises(ProfileFileError):
        TABLE.with_qt_import(tmp_path / "missing.csv")
    latin = tmp_path / "latin.csv"
    latin.write_bytes("Generic Name,Risk Category\nM\xe9thadone,KR\n".encode("latin-1"))
    with pytest.raises(ProfileFileError, match="UTF-8"):
        TABLE.with_qt_import(latin)
    with pytest.raises(ProfileFileError, match="risk categories"):
        TABLE.with_qt_import(_csv(tmp_path, GOOD_CSV), categories=("XR",))


# ---- issue 9 (second round): sources and verification state of every entry; EU brands


# Brand names sold in Europe for the drugs that decide B, C and D (EMA EPARs; national registers).
EU_BRANDS = {
    "Noxafil": "posaconazole", "Posanol": "posaconazole", "Vfend": "voriconazole",
    "Diflucan": "fluconazole", "Triflucan": "fluconazole", "Sporanox": "itraconazole",
    "Trisporal": "itraconazole", "Cresemba": "isavuconazole", "Klacid": "clarithromycin",
    "Zithromax": "azithromycin", "Erythrocine": "erythromycin", "Abboticin": "erythromycin",
    "Rulid": "roxithromycin", "Ciproxin": "ciprofloxacin", "Ciprobay": "ciprofloxacin",
    "Tavanic": "levofloxacin", "Avalox": "moxifloxacin", "Tarivid": "ofloxacin",
    "Venclyxto": "venetoclax", "Sprycel": "dasatinib", "Jakavi": "ruxolitinib",
    "Mekinist": "trametinib", "Tafinlar": "dabrafenib", "Oncaspar": "pegaspargase",
    "Spectrila": "asparaginase", "Enrylaze": "crisantaspase", "Erwinase": "crisantaspase",
    "Blincyto": "blinatumomab", "Besponsa": "inotuzumab ozogamicin", "Kymriah": "tisagenlecleucel",
    "Tecartus": "brexucabtagene autoleucel", "Xaluprine": "mercaptopurine",
}  # fmt: skip


@pytest.mark.parametrize(("brand", "inn"), sorted(EU_BRANDS.items()))
def test_european_brand_names_of_the_key_drugs_are_known(brand: str, inn: str) -> None:
    assert _entry(f"{brand} 100 mg").name == inn


def test_every_entry_cites_a_listed_source_for_each_class_and_for_its_other_names() -> None:
    for drug in TABLE.drugs:
        assert set(drug.sources) == set(drug.classes), drug.name
        assert all(src in TABLE.sources for src in drug.sources.values()), drug.name
        if drug.synonyms:
            assert drug.names_source in TABLE.sources, drug.name
        for src in (*drug.sources.values(), drug.names_source):
            if src is not None:
                assert TABLE.sources[src].url.startswith(("https://", "http://")), src


def test_an_entry_with_other_names_must_say_where_they_come_from() -> None:
    with pytest.raises(ValueError, match="cite where they come from"):
        DrugEntry(
            name="x", synonyms=("y",), classes=("supportive_care",), sources={"supportive_care": "who_atc"}
        )


def test_the_key_brands_cite_the_eu_product_information_they_were_checked_against() -> None:
    for inn, source in [
        ("venetoclax", "epar_venclyxto"), ("ruxolitinib", "epar_jakavi"), ("trametinib", "epar_mekinist"),
        ("dabrafenib", "epar_tafinlar"), ("blinatumomab", "epar_blincyto"),
        ("tisagenlecleucel", "epar_kymriah"),
        ("brexucabtagene autoleucel", "epar_tecartus"), ("pegaspargase", "epar_oncaspar"),
        ("dasatinib", "epar_sprycel"), ("inotuzumab ozogamicin", "epar_besponsa"),
    ]:  # fmt: skip
        entry = _entry(inn)
        assert entry.names_source == source and entry.names_verified, inn


def test_entries_whose_source_text_was_not_checked_are_flagged_not_dropped() -> None:
    unchecked = {d.name for d in TABLE.drugs if not d.verified}
    # QT memberships resting on a review whose drug table was not re-read, and herbal entries
    assert {"ciprofloxacin", "propofol", "pentamidine", "goldenseal", "curcumin"} <= unchecked
    # memberships read from the FDA-based table, the P-gp table, a label or the weak-inhibitor table
    assert not {"itraconazole", "posaconazole", "ondansetron", "sertraline", "st john's wort"} & unchecked


def test_a_verdict_resting_on_an_unchecked_entry_says_so() -> None:
    import sys

    sys.path.insert(0, str(Path(__file__).parent))
    from helpers import base_data, patch, screen_data

    result = screen_data(patch(base_data(), {"current_medications": [{"name": "Ciproxin 250 mg"}]}))
    d = next(s for s in result.subprotocols if s.id == "D")
    crit = next(c for c in d.criteria if c.key == "prohibited_medication")
    assert crit.status.value == "NOT_MET"
    assert (
        "qt_prolonging [review_nachimuthu_2012] (table entry not yet checked against its source)"
        in crit.summary
    )
    assert crit.evidence["names_not_yet_checked"] == ["Ciproxin 250 mg (ciprofloxacin)"]


def test_vocabulary_counts_by_class_and_source_are_what_the_note_reports() -> None:
    """The counts in the closing note come from here (run with -s to print them)."""
    from collections import Counter

    by_class = Counter(c for d in TABLE.drugs for c in d.classes)
    by_source = Counter(s for d in TABLE.drugs for s in d.sources.values())
    print("entries", len(TABLE.drugs), dict(by_class), dict(by_source))
    print("class unverified", sum(not d.verified for d in TABLE.drugs),
          "names unverified", sum(not d.names_verified for d in TABLE.drugs))  # fmt: skip
    assert sum(by_class.values()) >= len(TABLE.drugs) and set(by_class) <= CLASSES


@pytest.mark.parametrize(
    ("text", "dose_only"),
    [("5 ml suspensie", True), ("kg iv", True), ("80 mg", True), ("1 dd zo nodig", True),
     ("Posaconazol 300 mg", False), ("Zorbaxolan", False), ("", False)],
)  # fmt: skip
def test_dose_only_text_is_told_apart_from_a_name(text: str, dose_only: bool) -> None:
    from ismart.medications import is_dose_text

    assert is_dose_text(text) is dose_only


def test_a_met_resting_on_an_unchecked_entry_names_it_in_the_evidence() -> None:
    import sys

    sys.path.insert(0, str(Path(__file__).parent))
    from helpers import base_data, patch, screen_data

    result = screen_data(patch(base_data(), {"current_medications": [{"name": "Augmentin"}]}))
    b = next(s for s in result.subprotocols if s.id == "B")
    crit = next(c for c in b.criteria if c.key == "prohibited_medication")
    assert crit.status.value == "MET"
    assert crit.evidence["entries_not_yet_checked"] == ["amoxicillin/clavulanic acid"]
