"""Bad input gets a clear error naming file, row and field, and out/ from the last good build stays intact."""
from __future__ import annotations

import csv
import shutil
from pathlib import Path

import pytest

from kg.build import build
from kg.cli import main
from kg.validate import quality_report
from tests.conftest import DATA, ONTOLOGY


@pytest.fixture
def good_out(tmp_path) -> Path:
    """out/ from a good build, to check that a failed build leaves it untouched."""
    out = tmp_path / "out"
    assert main(["build", "--out", str(out)]) == 0
    return out


def snapshot(folder: Path) -> dict[str, tuple[bytes, int]]:
    """Every file under ``folder`` (the store's files too), with its content and time."""
    return {str(p.relative_to(folder)): (p.read_bytes(), p.stat().st_mtime_ns)
            for p in sorted(folder.rglob("*")) if p.is_file()}


def edit_csv(path: Path, change) -> None:
    """Apply ``change(rows)`` to a CSV file's rows (header included) and write it back."""
    with path.open(newline="", encoding="utf-8") as f:
        rows = list(csv.reader(f))
    change(rows)
    with path.open("w", newline="", encoding="utf-8") as f:
        csv.writer(f).writerows(rows)


def set_cell(path: Path, key: str, column: str, value: str) -> int:
    """Set one cell of the row whose first cell is ``key``; returns that row's spreadsheet number."""
    found = {}

    def change(rows):
        col = rows[0].index(column)
        for number, row in enumerate(rows, start=1):
            if row[0] == key:
                row[col] = value
                found["row"] = number
                return
        raise AssertionError(f"{key} not in {path}")

    edit_csv(path, change)
    return found["row"]


def run_build(data: Path, out: Path, capsys, ontology: Path = ONTOLOGY) -> tuple[int, str]:
    code = main(["build", "--data", str(data), "--ontology", str(ontology), "--out", str(out)])
    return code, capsys.readouterr().err


def assert_fails_cleanly(data, good_out, capsys, *expected, ontology=ONTOLOGY):
    before = snapshot(good_out)
    code, err = run_build(data, good_out, capsys, ontology)
    assert code != 0
    for text in expected:
        assert text in err, f"{text!r} not in:\n{err}"
    assert snapshot(good_out) == before, "a failed build changed out/"
    return err


def test_missing_column(data_copy, good_out, capsys):
    def drop_place(rows):
        col = rows[0].index("place")
        for row in rows:
            del row[col]
    edit_csv(data_copy / "sites.csv", drop_place)
    assert_fails_cleanly(data_copy, good_out, capsys,
                         "sites.csv, row 1, field 'place': column is missing", "Add a column named 'place'")


def test_duplicate_id(data_copy, good_out, capsys):
    edit_csv(data_copy / "organizations.csv", lambda rows: rows.append(list(rows[5])))
    dup = (data_copy / "organizations.csv").read_text(encoding="utf-8").splitlines()[5].split(",")[0]
    err = assert_fails_cleanly(data_copy, good_out, capsys, "organizations.csv, row 45, field 'id'",
                               f"duplicate id '{dup}'", "already used in row 6")
    assert "nothing was written" in err


def test_reference_to_unknown_firm(data_copy, good_out, capsys):
    row = set_cell(data_copy / "sites.csv", "otis-berlin", "org", "otis-gmbh")
    assert_fails_cleanly(data_copy, good_out, capsys,
                         f"sites.csv, row {row}, field 'org': unknown organisation 'otis-gmbh'",
                         "Add it to organizations.csv first")


def test_reference_to_unknown_place_suggests_the_right_one(data_copy, good_out, capsys):
    row = set_cell(data_copy / "sites.csv", "kone-berlin", "place", "berln")
    assert_fails_cleanly(data_copy, good_out, capsys,
                         f"sites.csv, row {row}, field 'place': unknown place 'berln'", "Did you mean 'berlin'?")


def test_unknown_subsector_code(data_copy, good_out, capsys):
    edit_csv(data_copy / "classifications.csv",
             lambda rows: rows.append(["otis", "28.77", "stated", "brief-berlin", ""]))
    last = len((data_copy / "classifications.csv").read_text(encoding="utf-8").splitlines())  # the added row
    assert_fails_cleanly(data_copy, good_out, capsys,
                         f"classifications.csv, row {last}, field 'code': unknown subsector code '28.77'")


def test_malformed_number(data_copy, good_out, capsys):
    def german_thousands(rows):
        for row in rows:
            if row[0] == "zf-brandenburg" and row[1] == "1600":
                row[1] = "1.600"
    edit_csv(data_copy / "headcounts.csv", german_thousands)
    assert_fails_cleanly(data_copy, good_out, capsys,
                         "headcounts.csv, row 15, field 'value': '1.600' is not a whole number",
                         "without thousands separators")


@pytest.mark.parametrize("value,message", [
    ("52,5200", "'52,5200' is not a number"),
    ("152.52", "152.52 is out of range for a latitude"),
])
def test_malformed_coordinate(data_copy, good_out, capsys, value, message):
    row = set_cell(data_copy / "places.csv", "cottbus", "lat", value)
    assert_fails_cleanly(data_copy, good_out, capsys, f"places.csv, row {row}, field 'lat': {message}")


def test_malformed_turtle(tmp_path, data_copy, good_out, capsys):
    ontology = tmp_path / "ontology"
    shutil.copytree(ONTOLOGY, ontology)
    text = (ontology / "bbmb.ttl").read_text(encoding="utf-8").splitlines()
    text[40] += " )("  # a token no Turtle allows there: the parser stops on this line, whatever follows
    (ontology / "bbmb.ttl").write_text("\n".join(text), encoding="utf-8")
    err = assert_fails_cleanly(data_copy, good_out, capsys, "bbmb.ttl", "is not valid Turtle", ontology=ontology)
    assert "41" in err  # the line of the error


def test_a_file_neither_utf8_nor_windows_1252_is_refused(data_copy, good_out, capsys):
    path = data_copy / "places.csv"
    lines = path.read_text(encoding="utf-8").encode("latin-1").split(b"\n")
    lines[2] = lines[2].replace(b",", b"\x81,", 1)  # 0x81: no character of Windows-1252, no UTF-8 either
    path.write_bytes(b"\n".join(lines))
    assert_fails_cleanly(data_copy, good_out, capsys, "places.csv, row 3: is not UTF-8 text (byte 0x",
                         "nor Windows-1252", "CSV UTF-8")


def test_a_utf8_file_with_a_stray_byte_is_refused_not_read_as_windows_1252(data_copy, good_out, capsys):
    """Read as Windows-1252, its UTF-8 umlauts would become 'Ã¤' without a word."""
    path = data_copy / "places.csv"
    raw = path.read_bytes()
    assert "ä".encode() in raw or "ü".encode() in raw or "ö".encode() in raw
    path.write_bytes(raw.replace(b",", b"\xe4,", 1))
    assert_fails_cleanly(data_copy, good_out, capsys, "places.csv, row 1: is not UTF-8 text", "CSV UTF-8")


def test_all_errors_are_reported_at_once(data_copy, good_out, capsys):
    set_cell(data_copy / "sites.csv", "kone-berlin", "place", "nowhere")
    set_cell(data_copy / "sites.csv", "otis-berlin", "functions", "factory")
    err = assert_fails_cleanly(data_copy, good_out, capsys, "'factory' is not allowed")
    assert "2 error(s)" in err or "error(s)" in err


def test_shacl_violation_names_the_row(data_copy, good_out, capsys):
    row = set_cell(data_copy / "organizations.csv", "gefertec", "description_de", "")
    set_cell(data_copy / "organizations.csv", "gefertec", "description_en", "")
    assert_fails_cleanly(data_copy, good_out, capsys,
                         f"organizations.csv, row {row}: Violation", "a firm needs a description",
                         "nothing was written")


def test_unflagged_conflicting_headcount_is_reported(data_copy):
    edit_csv(data_copy / "headcounts.csv",
             lambda rows: rows.append(["korsch", "250", "", "", "about", "", "", "", "brief-berlin", ""]))
    issues = quality_report(build(data_copy, ONTOLOGY).store)
    unflagged = [i for i in issues if not i.recorded]
    assert [(i.kind, i.subject) for i in unflagged] == [("contradiction", "KORSCH")]
    assert "200" in unflagged[0].description and "250" in unflagged[0].description


def test_validate_command_lists_the_flags(capsys):
    assert main(["validate"]) == 0
    out = capsys.readouterr().out
    assert "[flag] implausible" in out and "2.71 billion" in out
    assert "conforms" in out


# ----------------------------------------------------------------- a cell's own source (companion columns)
def _errors(data: Path) -> str:
    from kg.tables import DataErrors, read_tables
    with pytest.raises(DataErrors) as caught:
        read_tables(data)
    return str(caught.value)


def test_a_companion_source_without_its_value_is_an_error(data_copy):
    row = set_cell(data_copy / "organizations.csv", "otis", "founded_source", "ext-otis-1")
    err = _errors(data_copy)
    assert f"organizations.csv, row {row}, field 'founded_source': names a source, but 'founded' is empty" in err
    assert "Fill 'founded', or empty 'founded_source'" in err


def test_a_companion_source_must_be_a_known_source(data_copy):
    row = set_cell(data_copy / "sites.csv", "rabofsky-berlin", "place_source", "ext-rabofski")
    err = _errors(data_copy)
    assert f"sites.csv, row {row}, field 'place_source': unknown source 'ext-rabofski'" in err
    assert "Did you mean 'ext-rabofsky'?" in err


def test_an_empty_companion_source_means_the_rows_source(data_copy):
    """Otis's parent with its parent_source left empty: the build takes the row's source for it, as the tables'
    README says, instead of refusing the row."""
    from kg.build import build
    from kg.namespaces import ORG
    from kg.tables import read_tables

    set_cell(data_copy / "organizations.csv", "otis", "parent_source", "")
    otis = read_tables(data_copy).keys("organizations")["otis"]
    result = build(data_copy)
    graphs = {q.graph_name.value.rsplit("/", 1)[-1] for q in result.store.quads_for_pattern(
        result.iris.org("otis"), ORG.subOrganizationOf, result.iris.org(otis["parent"]))}
    assert graphs and graphs <= set(otis.many("source"))


def test_a_comparison_with_a_difference_needs_its_unit(data_copy):
    row = set_cell(data_copy / "comparisons.csv", "brandenburg-vocational-above-berlin", "unit", "")
    assert f"comparisons.csv, row {row}, field 'unit': is empty" in _errors(data_copy)


# ----------------------------------------------------------------- issue 10: accepted although wrong, tracebacks
def run_build_args(data: Path, out: Path, capsys, *extra: str) -> tuple[int, str]:
    code = main(["build", "--data", str(data), "--out", str(out), *extra])
    return code, capsys.readouterr().err


def fails_cleanly_both_ways(data, good_out, capsys, *expected):
    """With and without --no-validate: an error naming file, row and field; out/ unchanged; no traceback."""
    before = snapshot(good_out)
    for extra in ((), ("--no-validate",)):
        code, err = run_build_args(data, good_out, capsys, *extra)
        assert code != 0, extra
        for text in expected:
            assert text in err, f"{text!r} not in:\n{err}"
        assert "Traceback" not in err
        assert snapshot(good_out) == before, "a failed build changed out/"
    return err


def test_a_two_way_parent_cycle_is_named(data_copy, good_out, capsys):
    row = set_cell(data_copy / "organizations.csv", "asml-holding", "parent", "asml-berlin")
    set_cell(data_copy / "organizations.csv", "asml-holding", "parent_source", "ext-asml-1")
    fails_cleanly_both_ways(data_copy, good_out, capsys, "field 'parent': the parents form a cycle: asml-berlin -> "
                            "asml-holding -> asml-berlin")
    assert row


def test_a_three_way_parent_cycle_is_named(data_copy, good_out, capsys):
    for child, parent in (("otis-worldwide", "otis"), ("asml-holding", "otis-worldwide")):
        set_cell(data_copy / "organizations.csv", child, "parent", parent)
        set_cell(data_copy / "organizations.csv", child, "parent_source", "ext-otis-1")
    set_cell(data_copy / "organizations.csv", "otis", "parent", "asml-holding")
    err = fails_cleanly_both_ways(data_copy, good_out, capsys, "organizations.csv, row 2, field 'parent': the parents "
                                  "form a cycle: otis -> asml-holding -> otis-worldwide -> otis")
    assert err.count("form a cycle") == 1


def test_a_place_within_cycle_is_named_once(data_copy, good_out, capsys):
    row = set_cell(data_copy / "places.csv", "berlin-brandenburg", "within", "berlin")
    err = fails_cleanly_both_ways(data_copy, good_out, capsys, f"places.csv, row {row}, field 'within': the "
                                  "containing places form a cycle: berlin-brandenburg -> berlin -> berlin-brandenburg")
    assert err.count("error: ") == 1  # the cycle, not errors about places that never name it


def test_a_subsector_broader_cycle_is_named(data_copy, good_out, capsys):
    row = set_cell(data_copy / "subsectors.csv", "26", "broader", "26.51")
    fails_cleanly_both_ways(data_copy, good_out, capsys, f"subsectors.csv, row {row}, field 'broader': the broader "
                            "codes form a cycle: 26 -> 26.51 -> 26.5 -> 26")


def test_a_negative_head_count_is_refused_even_without_validation(data_copy, good_out, capsys):
    row = set_cell(data_copy / "headcounts.csv", "otis-berlin", "value", "-330")
    fails_cleanly_both_ways(data_copy, good_out, capsys, f"headcounts.csv, row {row}, field 'value': -330 is negative")


def test_latitude_and_longitude_swapped_are_named(data_copy, good_out, capsys):
    set_cell(data_copy / "places.csv", "cottbus", "lat", "14.3342")
    row = set_cell(data_copy / "places.csv", "cottbus", "long", "51.7606")
    fails_cleanly_both_ways(data_copy, good_out, capsys, f"places.csv, row {row}, field 'lat': latitude 14.3342 and "
                            "longitude 51.7606 look swapped")


def test_coordinates_far_from_the_land_are_named(data_copy, good_out, capsys):
    row = set_cell(data_copy / "places.csv", "prenzlau", "lat", "48.3167")
    fails_cleanly_both_ways(data_copy, good_out, capsys, f"places.csv, row {row}, field 'lat': 48.3167, 13.8667 lies "
                            "more than 3 degrees from the other places of 'brandenburg'")


def test_a_nul_byte_in_a_name_is_named(data_copy, good_out, capsys):
    row = set_cell(data_copy / "organizations.csv", "otis", "name", "Ot\x00is")
    fails_cleanly_both_ways(data_copy, good_out, capsys, f"organizations.csv, row {row}, field 'name': contains a "
                            "NUL byte")


def test_a_huge_cell_is_a_message_not_a_traceback(data_copy, good_out, capsys):
    row = set_cell(data_copy / "organizations.csv", "otis", "note", "x" * 200_000)
    fails_cleanly_both_ways(data_copy, good_out, capsys, f"organizations.csv, row {row}: a cell is longer than "
                            "131,072 characters")


def test_a_folder_named_like_a_table(data_copy, good_out, capsys):
    (data_copy / "events.csv").unlink()
    (data_copy / "events.csv").mkdir()
    fails_cleanly_both_ways(data_copy, good_out, capsys, "events.csv: is a folder, not a CSV file")


@pytest.mark.parametrize("char", [">", '"', "{", " "])
def test_a_url_with_a_character_an_iri_cannot_hold(data_copy, good_out, capsys, char):
    row = set_cell(data_copy / "sources.csv", "brief", "url", f"https://example.org/a{char}b")
    fails_cleanly_both_ways(data_copy, good_out, capsys, f"sources.csv, row {row}, field 'url':",
                            "percent-encoded" if char != " " else "is not a web address")


def test_a_base_with_a_space(good_out, capsys):
    before = snapshot(good_out)
    assert main(["build", "--out", str(good_out), "--base", "https://example.org/my kg/"]) == 2
    err = capsys.readouterr().err
    assert "--base: 'https://example.org/my kg/' is not a valid IRI base: it contains ' '" in err
    assert "Traceback" not in err and snapshot(good_out) == before


def test_out_naming_a_file(tmp_path, capsys):
    target = tmp_path / "kg.ttl"
    target.write_text("mine", encoding="utf-8")
    assert main(["build", "--out", str(target)]) == 3  # an output that cannot be written
    assert "is a file, not a folder" in capsys.readouterr().err and target.read_text(encoding="utf-8") == "mine"


def test_semicolon_separated_files_are_read(data_copy, good_out, capsys):
    """What German Excel saves as "CSV": ';' between cells (and cells with ';' inside quoted)."""
    for name in ("places.csv", "organizations.csv"):
        path = data_copy / name
        with path.open(newline="", encoding="utf-8") as f:
            rows = list(csv.reader(f))
        with path.open("w", newline="", encoding="utf-8") as f:
            csv.writer(f, delimiter=";").writerows(rows)
    code, err = run_build_args(data_copy, good_out, capsys)
    assert code == 0, err
    from kg.tables import read_tables
    assert read_tables(data_copy).rows["places"][3].values == read_tables(DATA).rows["places"][3].values


@pytest.mark.parametrize("encoding", ["cp1252", "latin-1"])
def test_a_windows_1252_file_is_read_with_one_note(data_copy, good_out, capsys, encoding):
    """What German Excel saves as 'CSV': Windows-1252 (of which Latin-1's letters are a part)."""
    path = data_copy / "places.csv"
    path.write_bytes(path.read_text(encoding="utf-8").encode(encoding))
    code, err = run_build_args(data_copy, good_out, capsys)
    assert code == 0, err
    assert err.count("read as Windows-1252; save as UTF-8 to silence this") == 1
    assert f"{path}: read as Windows-1252" in err
    from kg.tables import read_tables
    assert [r.values for r in read_tables(data_copy, note=lambda _: None).rows["places"]] == [
        r.values for r in read_tables(DATA).rows["places"]]


def test_a_utf16_file_is_read(data_copy, good_out, capsys):
    path = data_copy / "places.csv"
    path.write_bytes(path.read_text(encoding="utf-8").encode("utf-16"))
    code, err = run_build_args(data_copy, good_out, capsys)
    assert code == 0, err


def test_an_empty_file(data_copy, good_out, capsys):
    (data_copy / "clusters.csv").write_bytes(b"")
    fails_cleanly_both_ways(data_copy, good_out, capsys, "clusters.csv: is empty", "at least its header row: id,name")


def test_an_unterminated_quote(data_copy, good_out, capsys):
    path = data_copy / "events.csv"
    lines = path.read_text(encoding="utf-8").splitlines(keepends=True)
    lines[3] = lines[3].replace(",", ',"', 1)
    path.write_text("".join(lines), encoding="utf-8")
    err = fails_cleanly_both_ways(data_copy, good_out, capsys, "events.csv, row 4:")
    assert "quote" in err


# ----------------------------------------------------------------- issue 16: cells that were accepted silently
def test_a_column_named_twice_in_the_header_names_both_positions(data_copy):
    positions = []

    def rename_legal_name(rows):
        positions.extend([rows[0].index("name") + 1, rows[0].index("legal_name") + 1])
        rows[0][rows[0].index("legal_name")] = "name"  # the legal name's column now repeats the name's
    edit_csv(data_copy / "organizations.csv", rename_legal_name)
    err = _errors(data_copy)
    first, second = positions
    letters = {n: chr(ord("A") + n - 1) for n in positions}
    assert (f"organizations.csv, row 1, field 'name': is the header of two columns: "
            f"{first} ({letters[first]}) and {second} ({letters[second]})") in err
    assert "rename or remove one of them" in err


@pytest.mark.parametrize("value", ["１９９１", "١٩٩١", "19９1"])
def test_a_year_in_other_digits_than_0_to_9_is_refused(data_copy, value):
    row = set_cell(data_copy / "organizations.csv", "werkzeugbau-dunkel", "founded", value)
    err = _errors(data_copy)
    assert f"organizations.csv, row {row}, field 'founded': '{value}' contains digits other than 0-9" in err


def test_a_head_count_in_full_width_digits_is_refused(data_copy):
    row = set_cell(data_copy / "headcounts.csv", "otis-berlin", "value", "３３０")
    assert f"headcounts.csv, row {row}, field 'value': '３３０' contains digits other than 0-9 (３０)" \
        in _errors(data_copy)


def test_a_coordinate_in_full_width_digits_is_refused(data_copy):
    row = set_cell(data_copy / "places.csv", "cottbus", "lat", "５１.７６")
    assert f"places.csv, row {row}, field 'lat': '５１.７６' contains digits other than 0-9" in _errors(data_copy)


@pytest.mark.parametrize("value,problem", [
    ("2024-13", "there is no month 13"), ("2024-00", "there is no month 00"), ("2024-1", "it has the wrong form"),
    ("2024/2014", "it ends before it starts"), ("2020-01/2024-99", "there is no month 99"),
    ("２０２４", "contains digits other than 0-9"),
])
def test_an_impossible_period_is_refused_on_its_row(data_copy, value, problem):
    row = set_cell(data_copy / "statistics.csv", "employees-berlin-2024", "period", value)
    assert f"statistics.csv, row {row}, field 'period': '{value}' " in (err := _errors(data_copy))
    assert problem in err


def test_the_periods_a_table_may_hold_are_read(data_copy):
    from kg.tables import read_tables
    for value in ("2024", "2024-01", "2024-12", "2014/2024", "2020-03/2024-11"):
        set_cell(data_copy / "statistics.csv", "employees-berlin-2024", "period", value)
        assert read_tables(data_copy).rows["statistics"]


def test_an_absurd_head_count_is_an_error_on_its_row(data_copy, good_out, capsys):
    row = set_cell(data_copy / "headcounts.csv", "otis-berlin", "value", "1" + "0" * 30)
    fails_cleanly_both_ways(data_copy, good_out, capsys,
                            f"headcounts.csv, row {row}, field 'value': {'1' + '0' * 30} is larger than 10,000,000")


def test_a_table_s_bad_cells_are_reported_in_one_round(data_copy):
    year = set_cell(data_copy / "organizations.csv", "werkzeugbau-dunkel", "founded", "１９９１")
    huge = set_cell(data_copy / "headcounts.csv", "otis-berlin", "max", "9" * 20)
    month = set_cell(data_copy / "statistics.csv", "employees-berlin-2024", "period", "2024-13")
    err = _errors(data_copy)
    assert f"organizations.csv, row {year}, field 'founded'" in err
    assert f"headcounts.csv, row {huge}, field 'max'" in err
    assert f"statistics.csv, row {month}, field 'period'" in err
