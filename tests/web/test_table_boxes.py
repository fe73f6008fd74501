"""Every table of every template is in its own scrolling box (`.pbc-table-scroll`, issue 17):
a table wider than a phone's screen scrolls inside it, and the page never does (measured in
a browser by tests/web/test_layout_browser.py; this keeps a new template from forgetting)."""

from __future__ import annotations

import re
from pathlib import Path

TEMPLATES = Path(__file__).resolve().parents[2] / "src" / "pbc" / "web" / "templates"
OPEN = '<div class="pbc-table-scroll"><table'


def test_every_table_of_every_template_is_in_a_scrolling_box() -> None:
    unboxed = []
    checked = 0
    for path in sorted(TEMPLATES.rglob("*.jinja")):
        text = path.read_text(encoding="utf-8")
        for match in re.finditer(r"<table\b", text):
            checked += 1
            if text[max(0, match.start() - len(OPEN) + len("<table")) : match.end()] != OPEN:
                unboxed.append(
                    f"{path.relative_to(TEMPLATES)}: line {text.count(chr(10), 0, match.start()) + 1}"
                )
        if text.count("<table") != text.count("</table></div>"):
            unboxed.append(f"{path.relative_to(TEMPLATES)}: a table's box is not closed after it")
    assert checked > 80
    assert not unboxed, "tables outside a .pbc-table-scroll box:\n" + "\n".join(unboxed)
