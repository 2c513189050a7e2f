"""Regenerate the JSON fixtures of tests/api from the API documents.

    python tests/api/data/extract_from_spec.py /work/shared/spec

Each fixture is the example body of one documented call, taken verbatim
from the document and made valid JSON where the document is sloppy
(doubled or trailing commas, a missing comma, ``...`` placeholders,
an unquoted URL). The tests read only the generated files, so they also
run from an installed wheel without the documents.
"""
from __future__ import annotations

import json
import re
import sys
from pathlib import Path

HERE = Path(__file__).parent

# fixture name -> (document prefix, 1-based line where the body's first bracket is)
BODIES = {
    "division_created": ("002", 58),
    "divisions_team": ("002", 93),
    "divisions_project": ("002", 154),
    "division": ("002", 246),
    "disciplines": ("002", None),
    "division_updated": ("002", None),
    "object_created": ("003", 151),
    "object": ("004", None),
    "object_freeattributes": ("004", None),
    "object_internal": ("004", None),
    "topology": ("003", 813),
    "threejs": ("003", 885),
    "meshblob": ("003", 1035),
    "threejs_discipline": ("003", 1115),
    "meshblob_discipline": ("003", 1525),
    "threejs_properties": ("003", 1667),
    "complexproperties": ("003", 2363),
    "comment": ("003", None),
    "comments": ("003", None),
    "attachment": ("003", None),
    "attachments": ("003", None),
    "hyperlink": ("003", None),
    "hyperlinks": ("003", None),
    "customtable": ("003", None),
    "customtables": ("003", None),
    "reports": ("003", None),
}

# bodies found by the title/status text just before them: (doc, anchor regex, nth match)
ANCHORS = {
    "disciplines": ("002", r"^Get the list of disciplines", 0),
    "division_updated": ("002", r"^Status: 200 OK", 4),
    "object": ("004", r"titleGET /<teamslug>/objects/<objectid>$", 0),
    "object_freeattributes": ("004", r"titleGET /<teamslug>/objects/<object_id>\?freeattributes=true", 0),
    "object_internal": ("004", r"titleGET <teamslug>/objects/<object_id>\?internal=true", 0),
    "comment": ("003", r"^Status: 201 Created", 1),
    "comments": ("003", r"^getCommentsOfObject$", 0),
    "attachment": ("003", r"^Status: 201 Created", 2),
    "attachments": ("003", r"^objGetAttachment$", 0),
    "hyperlink": ("003", r"^Status: 200 Created", 0),
    "hyperlinks": ("003", r"^objGetHyperlinks$", 0),
    "customtable": ("003", r"^Status: 201 Created", 3),
    "customtables": ("003", r"^getCustomTablesOfObject$", 0),
    "reports": ("003", r"^getReportsOfObject$", 0),
}


def _lines(spec: Path, prefix: str) -> list:
    (path,) = spec.glob(f"{prefix}_*.txt")
    return path.read_text("utf-8").splitlines()


def _block(lines: list, start: int) -> str:
    """The balanced {...} or [...] text starting at 0-based line ``start``."""
    depth = 0
    out = []
    in_str = False
    esc = False
    for line in lines[start:]:
        out.append(line)
        for ch in line:
            if in_str:
                if esc:
                    esc = False
                elif ch == "\\":
                    esc = True
                elif ch == '"':
                    in_str = False
            elif ch == '"':
                in_str = True
            elif ch in "{[":
                depth += 1
            elif ch in "}]":
                depth -= 1
        if depth == 0 and out:
            return "\n".join(out)
    raise ValueError("unbalanced block")


def _fix(text: str) -> str:
    text = text.replace("\u00a0", " ").replace("\t", " ")
    text = re.sub(r"^\s*\.\.\.\s*,?\s*$", "", text, flags=re.M)  # '...' placeholders
    text = text.replace("},,", "},")
    text = re.sub(r'("url":\s*)(https?://[^\s,}]+)', r'\1"\2"', text)  # unquoted URL
    text = re.sub(r"(\}|\])(\s*\n\s*\")", r"\1,\2", text)  # missing comma after } before "key"
    text = re.sub(r",(\s*[}\]])", r"\1", text)  # trailing commas
    return text


def main(spec_dir: str) -> None:
    spec = Path(spec_dir)
    for name, (prefix, line) in BODIES.items():
        lines = _lines(spec, prefix)
        if line is None:
            doc, pattern, nth = ANCHORS[name]
            hits = [i for i, t in enumerate(lines) if re.search(pattern, t)]
            start = hits[nth]
            while not lines[start].strip() in ("{", "["):
                start += 1
        else:
            start = line - 1
        data = json.loads(_fix(_block(lines, start)))
        (HERE / f"{name}.json").write_text(json.dumps(data, indent=1, ensure_ascii=False) + "\n", "utf-8")
        print(name, type(data).__name__)


if __name__ == "__main__":
    main(sys.argv[1] if len(sys.argv) > 1 else "../shared/spec")
