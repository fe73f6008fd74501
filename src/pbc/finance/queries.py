"""What other apps read of finance, as plain data (no model instances leave the app)."""

from __future__ import annotations

from pbc.finance.models import Contract


def block_contracts(financial_year: str) -> set[tuple[str, str]]:
    """The (PCT code, provider code) pairs on a block contract in `financial_year`."""
    return set(
        Contract.objects.filter(
            financial_year=financial_year, kind=Contract.Kind.BLOCK
        ).values_list("pct__code", "provider__code")
    )
