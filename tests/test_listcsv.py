"""One list CSV for the CLI and the website: the same reading rules, the same spreadsheet-safe file."""

from __future__ import annotations

import csv
import io
import re
from pathlib import Path

import pytest
from web_support import page_csrf, web_site

from callerid.cli import main
from callerid.listcsv import guard, read_csv, unguard, write_csv
from callerid.model import ListEntry
from callerid.store import Store

FORMULAS = [
    '=HYPERLINK("http://evil","click")',
    "+81 3 1234 5678 cmd",
    "-2+3",
    "@SUM(A1)",
    'x;=HYPERLINK("http://evil")',  # a spreadsheet that splits on ";" starts a cell at "="
    "Sato; +cmd|' /C calc'!A0",
    'a,"=1+1"',
]


def read_ok(text: str, region: str = "JP") -> list[ListEntry]:
    entries, errors = read_csv(text, region)
    assert errors == []
    return entries


def test_csv_round_trip() -> None:
    entries = [
        ListEntry("allow", "+81312345678", "孫の太郎"),
        ListEntry("block", "+8133581*", 'Sales, "urgent"'),
        ListEntry("block", "+8014190110", ""),
    ]
    text = write_csv(entries)
    assert text.splitlines()[0] == "\ufeffkind,pattern,label"  # the BOM Japanese Excel needs
    assert text.splitlines()[1] == "allow,\t+81312345678,孫の太郎"  # a tab: text, never a number
    assert read_ok(text) == entries
    assert write_csv(read_ok(text)) == text


def test_read_csv_normalises_and_accepts_what_people_write() -> None:
    text = (
        "\ufeff# exported by hand\nallow,03-1234-5678,Taro\n\nBLOCK, 0120-* ,sales\nblock,+1 875 555 0110\n"
    )
    assert read_ok(text) == [
        ListEntry("allow", "+81312345678", "Taro"),
        ListEntry("block", "+81120*", "sales"),
        ListEntry("block", "+18755550110", ""),
    ]


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("kind,pattern,label\nallow,03-1234-5678\nmaybe,0312345678,x\n", "line 3: the first column"),
        ("allow,,x\n", "line 1: no number"),
        ("allow\n", "line 1: no number"),
        ("block,03-*-1,x\n", "line 1: '\\*' may only end"),
        ("block,0312345678,a,b\n", "line 1: 4 columns"),
        ("block,03\u202e1234,x\n", "line 1: use only digits"),
    ],
)
def test_bad_csv_lines_are_named(text: str, message: str) -> None:
    entries, errors = read_csv(text, "JP")
    assert len(errors) == 1
    assert re.search(message, errors[0]), errors


def test_bad_lines_are_listed_and_good_ones_kept() -> None:
    entries, errors = read_csv("allow,0312345678,ok\ngrey,0312345679,x\nblock,not a number,x\n", "JP")
    assert [e.pattern for e in entries] == ["+81312345678"]
    assert [e.split(":")[0] for e in errors] == ["line 2", "line 3"]


@pytest.mark.parametrize("label", FORMULAS)
def test_no_cell_a_spreadsheet_makes_of_a_label_starts_a_formula(label: str) -> None:
    text = write_csv([ListEntry("block", "+81120444555", label)])
    label_cell = next(csv.reader(io.StringIO(text.splitlines()[1])))[2]  # kind and pattern are ours
    for separator in (None, ";", ","):  # the file's commas, and a spreadsheet that splits on ; or ,
        cells = [label_cell] if separator is None else label_cell.split(separator)
        for cell in cells:
            assert not cell.lstrip(' "').startswith(("=", "+", "-", "@")), (separator, cell)
    assert read_ok(text) == [ListEntry("block", "+81120444555", label)]


def test_guard_leaves_ordinary_labels_alone() -> None:
    for label in ("Dr Sato", "孫の太郎", 'Sales, "urgent"', "Tanaka 03-1234", "a-b", ""):
        assert guard(label) == label and unguard(label) == label


# -- the CLI and the website write and read the same file -------------------------------------------


@pytest.fixture
def site(tmp_path: Path):  # noqa: ANN201
    with web_site(tmp_path / "web", logged_in=True) as site:
        yield site


def run_cli(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str, str]:
    status = main(list(argv))
    out, err = capsys.readouterr()
    return status, out, err


def test_cli_export_neutralises_formulas_like_the_website(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], site
) -> None:
    db = str(tmp_path / "lists.db")
    for number, label in zip(("0120111111", "0120222222", "0120333333", "0120444444", "0120555555"),
                             FORMULAS[:5], strict=True):
        assert run_cli(capsys, "list", "block", "add", number, f"--label={label}", "--db", db)[0] == 0
        site.store.add_list_entry("block", number, label)
    status, cli_csv, _ = run_cli(capsys, "list", "block", "export", "--db", db)
    assert status == 0
    web_csv = site.client.get("/lists/export.csv").get_data(as_text=True)
    assert cli_csv == web_csv  # the same bytes: one writer
    labels = [row[2] for row in csv.reader(io.StringIO(cli_csv))][1:]
    assert all(label.startswith("'") or ";'" in label for label in labels), labels
    assert 'x;\'=HYPERLINK("http://evil")' in labels

    # ... and the CLI reads the website's file back to the same labels.
    target = str(tmp_path / "copy.db")
    (tmp_path / "web.csv").write_text(web_csv, encoding="utf-8")
    status, out, _ = run_cli(capsys, "list", "block", "import", str(tmp_path / "web.csv"), "--db", target)
    assert status == 0 and "imported 5 entries" in out
    with Store(target) as store:
        assert sorted(e.label for e in store.list_entries("block")) == sorted(FORMULAS[:5])


def test_cli_import_refuses_what_the_website_skips(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], site
) -> None:
    body = "kind,pattern,label\nallow,0312345678,ok\nblock,0312345678,a,b\n"
    token = page_csrf(site.client, "/lists")
    upload = {"csrf_token": token, "csv": (io.BytesIO(body.encode()), "l.csv")}
    site.client.post("/lists/import", data=upload, content_type="multipart/form-data")
    assert len(site.store.list_entries("allow")) == 1  # the website keeps the good line ...
    (tmp_path / "l.csv").write_text(body, encoding="utf-8")
    status, _, err = run_cli(capsys, "list", "allow", "import", str(tmp_path / "l.csv"),
                             "--db", str(tmp_path / "cli.db"))
    # ... the CLI is all or nothing
    assert status == 2 and "line 3: 4 columns" in err and "nothing was imported" in err
