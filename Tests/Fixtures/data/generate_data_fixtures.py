#!/usr/bin/env python3
"""Generate the CSV data fixtures for the DeepSwift data-loading tests.

Usage:  python3 Tests/Fixtures/data/generate_data_fixtures.py
        (needs scikit-learn for iris.csv; e.g. /work/venv-torch/bin/python)

Writes, next to this script:

  iris.csv                         Fisher's Iris, 150 rows, from scikit-learn's bundled copy
  malformed/unterminated_quote.csv quoted field that never closes
  malformed/ragged.csv             a row with 2 fields instead of 3
  malformed/bad_number.csv         `1.2.3` in a numeric column
  malformed/stray_quote.csv        `"` inside an unquoted field
  malformed/empty.csv              zero bytes
  malformed/header_only.csv        header line, no records
  malformed/bad_utf8.csv           invalid UTF-8 byte 0xFF inside a field
  malformed/expected_errors.json   machine-readable version of the error table in README.md
  malformed/quoted.csv             well-formed RFC 4180 file (CRLF, quotes, embedded newline, ...)
                                   plus one `#` comment line
  malformed/quoted_expected.json   records of quoted.csv as parsed by Python's csv module
                                   (header and comment line excluded)

Deterministic: everything is a pure function of this script (and of the Iris data shipped with
scikit-learn); re-running rewrites byte-identical files. All files are written in binary mode, so
line endings are exactly what is spelled out below (LF everywhere except quoted.csv, which is CRLF).
The script checks its own outputs (iris against load_iris(), quoted.csv against the csv module,
every malformed file against its documented error position) and exits non-zero on a mismatch.
"""

import csv
import io
import json
import os
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
MALFORMED = os.path.join(HERE, "malformed")

IRIS_HEADER = ["sepal_length", "sepal_width", "petal_length", "petal_width", "species"]


def write_bytes(path, data):
    assert isinstance(data, bytes)
    os.makedirs(os.path.dirname(path), exist_ok=True)
    with open(path, "wb") as f:
        f.write(data)
    print(f"wrote {os.path.relpath(path, HERE)} ({len(data)} bytes)")


def write_json(path, obj):
    write_bytes(path, (json.dumps(obj, indent=1, ensure_ascii=True) + "\n").encode("ascii"))


# ---------------------------------------------------------------------------
# iris.csv
# ---------------------------------------------------------------------------
def iris_csv():
    """iris.csv from scikit-learn's bundled sklearn/datasets/data/iris.csv.

    The numeric fields are copied verbatim from that file's text (so they are written exactly
    as in the original data, e.g. `5.1`, `3.0`), and cross-checked against load_iris(); the
    integer target is replaced by its name from load_iris().target_names. Row order kept."""
    from importlib import resources

    from sklearn.datasets import load_iris

    iris = load_iris()
    names = [str(n) for n in iris.target_names]
    assert names == ["setosa", "versicolor", "virginica"], names
    assert iris.data.shape == (150, 4)

    raw = resources.files("sklearn.datasets.data").joinpath("iris.csv").read_text(encoding="ascii")
    rows = list(csv.reader(io.StringIO(raw, newline="")))
    meta, body = rows[0], rows[1:]
    assert meta[:2] == ["150", "4"] and meta[2:] == names, meta
    assert len(body) == 150

    out = [",".join(IRIS_HEADER)]
    for i, r in enumerate(body):
        assert len(r) == 5, r
        nums, target = r[:4], int(r[4])
        for j, s in enumerate(nums):
            # one decimal, and the same value load_iris() holds
            assert len(s.split(".")[1]) == 1, s
            assert float(s) == iris.data[i, j] and f"{iris.data[i, j]:.1f}" == s, (i, j, s)
        assert target == iris.target[i]
        out.append(",".join(nums + [names[target]]))
    data = ("\n".join(out) + "\n").encode("ascii")
    write_bytes(os.path.join(HERE, "iris.csv"), data)


# ---------------------------------------------------------------------------
# malformed/
# ---------------------------------------------------------------------------
# Conventions for the expected-error positions (also in README.md):
#   line    1-based physical line number in the file, the header `a,b,c` is line 1
#   column  1-based field index within the record (a = 1, b = 2, c = 3), with its header name
#   char    1-based byte offset within that line (all files are ASCII apart from the 0xFF byte)
MALFORMED_FILES = [
    {
        "file": "unterminated_quote.csv",
        "content": b'a,b,c\n1,2,3\n1,"abc,3\n4,5,6\n',
        "error": "unterminated_quote",
        "line": 3, "column": 2, "column_name": "b", "char": 3,
        "expected": 'closing `"` of the quoted field opened at line 3, column 2 (b); '
                    "end of input is reached inside the quoted field (after line 4), "
                    "so everything from the opening quote to EOF belongs to that one field",
        "eof_line": 4,
    },
    {
        "file": "ragged.csv",
        "content": b"a,b,c\n1,2,3\n4,5,6\n7,8\n9,10,11\n",
        "error": "field_count",
        "line": 4, "column": 3, "column_name": "c", "char": 4,
        "expected": "3 fields (as in the header); line 4 `7,8` has 2, field 3 (c) is missing "
                    "(the line ends at char 4)",
        "found_fields": 2, "expected_fields": 3,
    },
    {
        "file": "bad_number.csv",
        "content": b"a,b,c\n1.0,2.0,3.0\n4.0,1.2.3,6.0\n7.0,8.0,9.0\n",
        "error": "bad_number",
        "line": 3, "column": 2, "column_name": "b", "char": 5,
        "expected": "a floating-point number in column 2 (b); found `1.2.3` (chars 5-9). "
                    "The file is valid CSV: this is a conversion error, not a syntax error",
        "found": "1.2.3",
    },
    {
        "file": "stray_quote.csv",
        "content": b'a,b,c\n1,ab"c,3\n4,5,6\n',
        "error": "stray_quote",
        "line": 2, "column": 2, "column_name": "b", "char": 5,
        "expected": 'no `"` inside an unquoted field (RFC 4180 section 2.5: fields containing '
                    'double quotes must be enclosed in double quotes); found `"` at char 5 of '
                    'line 2 in field `ab"c`. A lenient parser (Python csv) reads it literally '
                    "as the field `ab\"c`",
        "lenient_record": ["1", 'ab"c', "3"],
    },
    {
        "file": "empty.csv",
        "content": b"",
        "error": "empty_input",
        "line": 1, "column": None, "column_name": None, "char": 1,
        "expected": "a header row; the file has zero bytes (no header, no records). A lenient "
                    "reader may instead return an empty table with no columns",
    },
    {
        "file": "header_only.csv",
        "content": b"a,b,c\n",
        "error": "no_records",
        "line": 2, "column": None, "column_name": None, "char": 1,
        "expected": "at least one data record after the header; end of input at line 2. "
                    "Syntactically valid CSV: a plain parser returns header [a,b,c] and 0 "
                    "records (a 0 x 3 table); only a loader that requires data should fail here",
    },
    {
        "file": "bad_utf8.csv",
        "content": b"a,b,c\n1,2,3\n4,x\xffy,6\n7,8,9\n",
        "error": "invalid_utf8",
        "line": 3, "column": 2, "column_name": "b", "char": 4,
        "expected": "valid UTF-8; byte 0xFF (never valid in UTF-8) at byte 4 of line 3, inside "
                    "field 2 (b) `x\\xFFy`; 0-based byte offset 15 in the file",
        "byte_offset": 15,
    },
]


def check_malformed(spec):
    """Assert that the documented position matches the bytes actually written."""
    data = spec["content"]
    name = spec["file"]
    lines = data.split(b"\n")
    if name == "empty.csv":
        assert data == b""
        return
    if name == "header_only.csv":
        assert data == b"a,b,c\n"
        return
    line = lines[spec["line"] - 1]
    char = spec["char"]
    if name == "unterminated_quote.csv":
        assert line[char - 1:char] == b'"' and line.count(b'"') == 1 and data.count(b'"') == 1
        assert len(lines) - 1 == spec["eof_line"]  # trailing "" after the final LF
    elif name == "ragged.csv":
        assert len(line.split(b",")) == 2 and len(line) + 1 == char
        assert all(len(l.split(b",")) == 3 for i, l in enumerate(lines[:-1]) if i != 3)
    elif name == "bad_number.csv":
        fields = line.split(b",")
        assert fields[1] == b"1.2.3" and line.index(b"1.2.3") + 1 == char
    elif name == "stray_quote.csv":
        assert line.index(b'"') + 1 == char and line.split(b",")[1] == b'ab"c'
        rec = list(csv.reader(io.StringIO(data.decode("ascii"), newline="")))[1]
        assert rec == spec["lenient_record"], rec
    elif name == "bad_utf8.csv":
        assert line.index(b"\xff") + 1 == char and data.index(b"\xff") == spec["byte_offset"]
        try:
            data.decode("utf-8")
            raise AssertionError("bad_utf8.csv decodes")
        except UnicodeDecodeError as e:
            assert e.start == spec["byte_offset"], e
    # the field index of `char` is the documented column
    if name != "ragged.csv":
        assert line[:char - 1].count(b",") + 1 == spec["column"], name


# quoted.csv: physical lines, joined with CRLF. The `#` line is a comment line (an option of the
# reader, not RFC 4180); it is removed before the csv module computes quoted_expected.json.
QUOTED_LINES = [
    "a,b,c",
    '1,"hello, world",3',                      # delimiter inside a quoted field
    "# a comment line: skipped when comment lines are enabled",
    '2,"she said ""hi""",4',                    # escaped double quotes
    '3,"line one\r\nline two",5',               # embedded CRLF inside a quoted field
    "4,,6",                                     # empty (unquoted) field
    '"",plain,"7"',                             # empty quoted field; quoted plain value
    '5,"#not a comment","a ""quoted"", comma"',  # '#' not at line start; quotes + delimiter
    "6, spaced ,x#y",                           # spaces kept verbatim; '#' mid-field is data
]
COMMENT_LINE_INDEX = 2  # 0-based index in QUOTED_LINES; physical line 3 of the file


def quoted_csv():
    text = "\r\n".join(QUOTED_LINES) + "\r\n"
    data = text.encode("ascii")
    write_bytes(os.path.join(MALFORMED, "quoted.csv"), data)

    # The comment line must not sit inside a quoted field, so dropping it textually is the same
    # as a reader skipping lines whose first character is '#'.
    assert QUOTED_LINES[COMMENT_LINE_INDEX].startswith("#")
    no_comment = "\r\n".join(l for i, l in enumerate(QUOTED_LINES) if i != COMMENT_LINE_INDEX) + "\r\n"
    rows = list(csv.reader(io.StringIO(no_comment, newline=""), dialect="excel", strict=True))
    header, records = rows[0], rows[1:]
    assert header == ["a", "b", "c"]
    assert all(len(r) == 3 for r in records), records
    # spot checks of the RFC 4180 features
    assert records[0][1] == "hello, world"
    assert records[1][1] == 'she said "hi"'
    assert records[2][1] == "line one\r\nline two"
    assert records[3] == ["4", "", "6"]
    assert records[4] == ["", "plain", "7"]
    assert len(records) == 7
    write_json(os.path.join(MALFORMED, "quoted_expected.json"), records)


def main():
    iris_csv()
    for spec in MALFORMED_FILES:
        check_malformed(spec)
        write_bytes(os.path.join(MALFORMED, spec["file"]), spec["content"])
    errors = [{k: v for k, v in spec.items() if k != "content"} for spec in MALFORMED_FILES]
    write_json(os.path.join(MALFORMED, "expected_errors.json"), {
        "conventions": {
            "line": "1-based physical line number; the header a,b,c is line 1",
            "column": "1-based field index within the record (a=1, b=2, c=3); column_name is the header name",
            "char": "1-based byte offset within that line",
        },
        "files": errors,
    })
    quoted_csv()
    return 0


if __name__ == "__main__":
    sys.exit(main())
