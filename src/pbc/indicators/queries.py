"""What other apps read of indicators, as plain data."""

from __future__ import annotations

import datetime as dt

from pbc.indicators.models import ManualValue


def values_entered_since(since: dt.datetime) -> tuple[int, dt.datetime | None]:
    """How many values were entered by hand after `since`, and when the latest was."""
    entered = ManualValue.objects.filter(entered_at__gt=since)
    latest: dt.datetime | None = (
        entered.order_by("-entered_at").values_list("entered_at", flat=True).first()
    )
    return entered.count(), latest
