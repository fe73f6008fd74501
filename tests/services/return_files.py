"""Provider return files written out for tests."""

from __future__ import annotations

import csv
import io


def csv_bytes(header: list[str], rows: list[dict[str, str]]) -> bytes:
    """A CSV return: the header, then each row's values in header order ('' where missing)."""
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(header)
    for row in rows:
        writer.writerow([row.get(h, "") for h in header])
    return out.getvalue().encode()
