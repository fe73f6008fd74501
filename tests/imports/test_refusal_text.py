"""A refused import's message is stored and shown whole: its closing quote is kept."""

from __future__ import annotations

from pbc.imports.actions import refusal_text
from pbc.warehouse.sources import ImportRefused


def test_a_refusal_keeps_its_quotes() -> None:
    refusal = ImportRefused("apc.csv", "no column named 'HESID'")
    assert refusal_text(refusal) == "apc.csv: no column named 'HESID'"
    quoted = ImportRefused("'odd'.csv", 'sheet "Data"')
    assert refusal_text(quoted) == "'odd'.csv: sheet \"Data\""


def test_a_key_error_loses_only_the_quotes_str_adds() -> None:
    assert str(KeyError("unknown dataset 'xyz'")) == "\"unknown dataset 'xyz'\""
    assert refusal_text(KeyError("unknown dataset 'xyz'")) == "unknown dataset 'xyz'"
    assert refusal_text(KeyError("apc")) == "apc"
