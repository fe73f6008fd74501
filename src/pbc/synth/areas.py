"""Synthetic small areas: the LSOA each synthetic person lives in, and an IMD 2007 file ranking
those LSOAs, so that a person's deprivation comes from the area they live in (the plans'
"poorest 20% of communities" are areas), through the same `imd_lsoa` join real data takes.

The synthetic England has `AREAS_PER_DECILE` LSOAs in each national IMD decile (codes
E019DDNNN: E01 and six digits, as the check asks, in a block no real LSOA uses). A person of
quintile q lives in decile 2q-1 or 2q by the parity of their index, and in one of that
decile's areas by the rest of it: no random draws, so every other synthetic table is unchanged.
The file ranks the LSOAs 1 (most deprived) to N in decile order, with no decile column (the
2007 indices published ranks and scores only), so the quintile from the rank (ceil(5 x rank /
N)) is the person's own quintile.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

AREAS_PER_DECILE = 20
EDITION = "2007"


def lsoa_codes(quintile: np.ndarray, person: np.ndarray) -> np.ndarray:
    """The LSOA code of each person (quintile 1-5 and the person's index)."""
    decile = 2 * quintile.astype(np.int64) - 1 + person.astype(np.int64) % 2
    area = (person.astype(np.int64) // 2) % AREAS_PER_DECILE
    return np.array(
        [f"E019{d:02d}{a:03d}" for d, a in zip(decile, area, strict=True)], dtype=object
    )


def imd_frame() -> pd.DataFrame:
    """The synthetic IMD 2007 file in `imd_lsoa`'s own layout: every synthetic LSOA with its
    rank (1 most deprived) and score, no decile."""
    rows = []
    for decile in range(1, 11):
        for area in range(AREAS_PER_DECILE):
            rank = (decile - 1) * AREAS_PER_DECILE + area + 1
            rows.append(
                {
                    "imd_edition": EDITION,
                    "lsoa_code": f"E019{decile:02d}{area:03d}",
                    "lsoa_name": f"Synthetic area {decile}-{area + 1:02d}",
                    "local_authority_code": None,
                    "imd_score": round(70.0 - 0.33 * rank, 2),
                    "imd_rank": rank,
                    "imd_decile": None,
                }
            )
    return pd.DataFrame(rows)
