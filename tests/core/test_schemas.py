"""The validation layer (core.schemas): every contract refuses a broken file with one line naming the
file, the row and the problem, and accepts extra columns and documented optional ones."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from core import schemas
from core.claims import PER_CLASS_COLUMNS, RUN_COLUMNS
from core.schemas import SchemaError, read_document, read_table
from core.schemas.documents import repair_notes
from core.schemas.tables import PapersRow, TableContract

PAPERS_HEADER = "forum,number,title,decision,accepted,code_url,repo_url,repo_subpath,host"
PAPER = "f1,1,A title,Accept (Poster),True,https://github.com/o/r,https://github.com/o/r,,github.com"


def write(path: Path, text: str | bytes) -> Path:
    if isinstance(text, str):
        text = text.encode("utf-8")
    path.write_bytes(text)
    return path


def problem(path: Path, contract: str | None = None) -> str:
    with pytest.raises(SchemaError) as caught:
        read_table(path, contract)
    message = str(caught.value)
    assert "\n" not in message and caught.value.exit_code == 2
    return message.removeprefix(f"{path}: ")


def test_a_well_formed_papers_csv_reads_as_text_cells(tmp_path: Path) -> None:
    path = write(tmp_path / "papers.csv", f"\ufeff{PAPERS_HEADER},code_source,new_column\n{PAPER},code,x\n\n")
    table = read_table(path)
    assert table.header[:2] == ("forum", "number") and len(table) == 1
    assert table.rows[0]["accepted"] == "True" and table.rows[0]["new_column"] == "x"
    assert table.lines == [2]


@pytest.mark.parametrize(
    ("content", "expected"),
    [
        (b"", "empty file (no header line)"),
        (
            f'{PAPERS_HEADER}\n{PAPER}\nf2,2,"unclosed,Reject,False,,,,\nf3,3,x,Reject,False,,,,\n',
            "line 3: a quoted",
        ),
        (f"{PAPERS_HEADER}\n{PAPER},extra\n", "line 2: 10 cells where the header has 9"),
        (f"{PAPERS_HEADER},forum\n", "line 1: duplicate column name(s) forum"),
        (f"{PAPERS_HEADER}\nf1,1,caf\xe9".encode("latin-1"), "line 2: not UTF-8 (byte 0xe9)"),
        (f"{PAPERS_HEADER}\n".encode("utf-16"), "line 1: a NUL byte: not a text file"),
        ("id,name,link\n1,x,y\n", "lacks the required column(s) forum, number, title, decision, accepted"),
        (f"{PAPERS_HEADER}\nf1,one,T,,,,,,\n", "row 1 (line 2): number: Input should be a valid integer"),
        (
            f"{PAPERS_HEADER}\nf1,1,T,,maybe,,,,\n",
            "row 1 (line 2): accepted: Input should be a valid boolean",
        ),
        (f"{PAPERS_HEADER}\n,1,T,,,,,,\n", "row 1 (line 2): forum: must not be empty (got '')"),
        (
            f"{PAPERS_HEADER}\n{PAPER}\nf2,2,T,,,,ext::sh -c touch% canary,,\n",
            "row 2 (line 3): repo_url: holds whitespace or control characters",
        ),
        (
            f"{PAPERS_HEADER}\nf1,1,T,,,,file:///etc,,\n",
            "row 1 (line 2): repo_url: is not an http(s)://host/owner/repo URL",
        ),
        (
            f"{PAPERS_HEADER}\nf1,1,T,,,,https://github.com/o/r,a\x1b[2Jb,\n",
            "row 1 (line 2): repo_subpath: holds control",
        ),
    ],
)
def test_broken_papers_csv_is_one_line(tmp_path: Path, content: str | bytes, expected: str) -> None:
    message = problem(write(tmp_path / "papers.csv", content))
    assert message.startswith(expected), message
    assert message.endswith(f"fix it, or write it again with `audit crawl VENUE --out {tmp_path}`")


def test_the_first_problem_is_named_and_the_others_counted(tmp_path: Path) -> None:
    rows = "\n".join(f"f{i},x{i},T,,,,,," for i in range(5))
    message = problem(write(tmp_path / "papers.csv", f"{PAPERS_HEADER}\n{rows}\n"))
    assert message.startswith("row 1 (line 2): number: Input should be a valid integer")
    assert "(got 'x0'); 4 more row(s) with problems;" in message


def test_a_huge_cell_is_read_not_refused(tmp_path: Path) -> None:
    """csv's default limit is 128 KiB; a hostile 1 MB title is data, not a broken file."""
    title = "T" * 1_000_000
    table = read_table(write(tmp_path / "papers.csv", f"{PAPERS_HEADER}\nf1,1,{title},,,,,,\n"))
    assert len(table.rows[0]["title"]) == 1_000_000


def run_row(**cells: str) -> dict[str, str]:
    row = dict.fromkeys(RUN_COLUMNS, "")
    row |= {"paper_id": "P", "protocol": "quick", "seed": "0", "arm": "dense", "test_accuracy": "97.5"}
    return row | cells


def csv_text(columns: list[str], rows: list[dict[str, str]]) -> str:
    return "\n".join([",".join(columns), *(",".join(r.get(c, "") for c in columns) for r in rows)]) + "\n"


def test_runs_csv_contract(tmp_path: Path) -> None:
    columns = list(RUN_COLUMNS)
    good = [run_row(), run_row(seed="1.0", round="", test_accuracy="nan"), run_row(seed="2", sparsity="0.95")]
    assert len(read_table(write(tmp_path / "runs.csv", csv_text(columns, good)))) == 3
    assert problem(write(tmp_path / "runs.csv", "seed,accuracy\n0,97\n")).startswith(
        "lacks the required column(s) paper_id, protocol, arm, model, dataset, target_sparsity"
    )
    garbage = csv_text(columns, [run_row(), run_row(test_accuracy="ninety")])
    assert problem(write(tmp_path / "runs.csv", garbage)).startswith(
        "row 2 (line 3): test_accuracy: Input should be a valid number, unable to parse string as a number"
    )
    fractional = csv_text(columns, [run_row(seed="1.5")])
    assert problem(write(tmp_path / "runs.csv", fractional)).startswith("row 1 (line 2): seed: Input should")
    # The engine's additions are optional columns: an older runs.csv without them is valid.
    assert len(read_table(write(tmp_path / "runs.csv", csv_text(columns[:17], [run_row()])))) == 1


def test_per_class_csv_contract(tmp_path: Path) -> None:
    assert "class" in PER_CLASS_COLUMNS
    header = "protocol,seed,arm,target_sparsity,class,accuracy,n"
    assert len(read_table(write(tmp_path / "per_class.csv", f"{header}\nquick,0,dense,0.0,3,97.1,50\n"))) == 1
    message = problem(write(tmp_path / "per_class.csv", f"{header}\nquick,0,dense,0.0,three,97.1,50\n"))
    assert message.startswith("row 1 (line 2): class: Input should be a valid integer")


def test_repos_csv_statuses_are_the_declared_ones(tmp_path: Path) -> None:
    header = "repo_url,status,commit,size_kb,n_python_files,has_submodules,path,error"
    ok = "https://github.com/o/r,network,,,,false,,Could not resolve host: github.com"
    assert read_table(write(tmp_path / "repos.csv", f"{header}\n{ok}\n")).rows[0]["status"] == "network"
    message = problem(write(tmp_path / "repos.csv", f"{header}\nhttps://github.com/o/r,cloned,,,,,,\n"))
    assert message.startswith("row 1 (line 2): status: Input should be 'ok', 'not_found', 'timeout'")
    assert set(schemas.REPO_STATUSES) >= {"ok", "not_found", "timeout", "network", "too_large", "invalid"}


def test_a_contract_is_extended_with_one_line() -> None:
    """Other tools add columns: a subclass (or one line in the model) makes them part of the contract."""

    class WithSource(PapersRow):
        code_source: str = ""
        domain: str = "ml"

    contract = TableContract("papers.csv", WithSource)
    assert contract.required == schemas.TABLES["papers.csv"].required
    assert contract.optional[-2:] == ("code_source", "domain")


def test_every_contract_lists_the_columns_its_writer_writes() -> None:
    """The writers' column lists must contain every required column of their contract."""
    from crawlers.cloning import REPOS_COLUMNS
    from crawlers.dependencies.tables import (
        ALL_TOOLS_COLUMNS,
        DEPENDENCY_COLUMNS,
        FRAMEWORK_COLUMNS,
        SIGNAL_COLUMNS,
    )
    from crawlers.papers import COLUMNS

    written = {
        "papers.csv": COLUMNS,
        "repos.csv": REPOS_COLUMNS,
        "dependencies.csv": DEPENDENCY_COLUMNS,
        "frameworks.csv": FRAMEWORK_COLUMNS,
        "repo_signals.csv": SIGNAL_COLUMNS,
        "all_tools.csv": ALL_TOOLS_COLUMNS,
        "runs.csv": RUN_COLUMNS,
        "per_class.csv": PER_CLASS_COLUMNS,
    }
    assert set(written) == set(schemas.TABLES)
    for name, columns in written.items():
        contract = schemas.TABLES[name]
        assert set(contract.required) <= set(columns), name
        assert set(contract.optional) <= set(columns), name


def test_documents(tmp_path: Path) -> None:
    env = write(tmp_path / "environment.json", json.dumps({"seeds": [0, 1], "failed_seeds": [], "x": 1}))
    assert read_document(env)["x"] == 1
    for text, expected in [
        ("{not json", "is not JSON"),
        ("[1, 2]", "holds a JSON list, not an object"),
        ('{"seeds": ["zero"]}', "seeds.0: Input should be a valid integer"),
        ('{"failed_seeds": [{"reason": "oom"}]}', "failed_seeds.0.seed: Field required"),
    ]:
        write(env, text)
        with pytest.raises(SchemaError) as caught:
            read_document(env)
        assert str(caught.value).startswith(f"{env}: {expected}"), caught.value
    claims = write(tmp_path / "claims.json", '{"paper_id": "P", "claims": "none"}')
    with pytest.raises(SchemaError, match=r"claims\.json: claims: Input should be a valid list"):
        read_document(claims)


def test_notes_of_the_wrong_shape_are_repaired_or_skipped() -> None:
    notes = [
        {"id": "a", "number": 1, "content": {"title": "Fine", "code": "https://github.com/o/a"}},
        {"id": "b", "number": "12", "content": {"title": ["Two", "parts"], "authors": 5}},
        {"id": "c", "content": {"title": {"value": 3}, "abstract": {"value": "v2 text"}}},
        {"id": "d", "content": "not an object"},
        {"number": 4, "content": {"title": "no id"}},
        "a string",
        None,
        {"id": "e", "details": {"directReplies": [1, {"invitation": 7, "content": []}]}, "content": {}},
        {"id": "f", "details": "x", "replyto": 5, "content": {}},
    ]
    kept, repairs = repair_notes(notes)
    assert [n["id"] for n in kept] == ["a", "b", "c", "e", "f"]
    assert kept[0] == notes[0]
    assert "number" not in kept[1] and kept[1]["content"] == {"title": "Two\nparts"}
    assert kept[2]["content"] == {"abstract": {"value": "v2 text"}}
    assert kept[3]["details"]["directReplies"] == [{"content": {}}]
    assert "details" not in kept[4] and "replyto" not in kept[4]
    assert repairs.skipped == {"not an object": 2, "no content object": 1, "no id": 1}
    assert repairs.dropped == {
        "number": 1,
        "content.authors": 1,
        "content.title": 1,
        "details": 1,
        "replyto": 1,
    }
    assert repairs.summary() == (
        "4 note(s) skipped (1 no content object, 1 no id, 2 not an object); wrongly typed fields read as "
        "missing: content.authors ×1, content.title ×1, details ×1, number ×1, replyto ×1"
    )
