"""The demo geography: two Hertfordshire PCTs, their localities, practices and providers.

One definition read by both the synthetic data generator (`pbc.synth`) and the Django demo
loader (`pbc demo`), so the warehouse and the app database always describe the same world.

The PCTs, localities and providers are the real organisations the two seed plans name. Practice
codes and names are synthetic (shape-valid ODS codes in an unused range) so that no real practice
is associated with generated data. List sizes are demo scale choices: Dacorum and Welwyn Hatfield
match their plans (about 140,000 and 100,000 patients); the other localities are smaller than the
real ones to keep `make run` within a few minutes.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal


@dataclass(frozen=True)
class PracticeSpec:
    code: str
    name: str
    list_size: int


@dataclass(frozen=True)
class LocalitySpec:
    slug: str
    name: str
    practices: tuple[PracticeSpec, ...]

    @property
    def population(self) -> int:
        return sum(p.list_size for p in self.practices)


@dataclass(frozen=True)
class PctSpec:
    code: str
    slug: str
    name: str
    localities: tuple[LocalitySpec, ...]


@dataclass(frozen=True)
class ProviderSpec:
    code: str
    name: str
    kind: str  # "acute", "community", "mental_health", "independent"
    # market forces factor by financial year ("2008/09" style labels)
    mff: dict[str, Decimal]
    # which PCT's patients mainly use it (None: used by both)
    main_pct: str | None


FINANCIAL_YEARS: tuple[str, ...] = ("2005/06", "2006/07", "2007/08", "2008/09")


def _practices(
    prefix: str, start: int, names: list[str], sizes: list[int]
) -> tuple[PracticeSpec, ...]:
    assert len(names) == len(sizes)
    return tuple(
        PracticeSpec(code=f"{prefix}{start + i:03d}", name=name, list_size=size)
        for i, (name, size) in enumerate(zip(names, sizes, strict=True))
    )


# Dacorum: 19 practices as the Dacorum plan says, about 140,000 patients.
_DACORUM_NAMES = [
    "Gade Valley Surgery",
    "Bulbourne Medical Centre",
    "Kings Langley Road Surgery",
    "Berkhamsted Castle Practice",
    "Tring Vale Practice",
    "Grovehill Health Centre",
    "Highfield Surgery",
    "Adeyfield Family Practice",
    "Leverstock Green Practice",
    "Boxmoor Village Surgery",
    "Apsley Mills Practice",
    "Warners End Surgery",
    "Chaulden Medical Practice",
    "Bennetts End Surgery",
    "Markyate Village Surgery",
    "Northchurch Surgery",
    "Bovingdon Practice",
    "Nash Mills Surgery",
    "Woodhall Farm Practice",
]
_DACORUM_SIZES = [
    11200, 9800, 6400, 12600, 10100, 8300, 5400, 7700, 6900, 7200,
    4800, 8900, 6100, 5600, 3300, 4200, 4500, 7000, 10000,
]  # fmt: skip

_WELWYN_NAMES = [
    "Welwyn Garden City Health Centre",
    "Hatfield Town Practice",
    "Peartree Lane Surgery",
    "Handside Surgery",
    "Potters Bar Road Practice",
    "Birchwood Medical Centre",
    "Haldens Surgery",
    "Lister Avenue Practice",
    "Welham Green Surgery",
    "Digswell Practice",
]
_WELWYN_SIZES = [14800, 13200, 9600, 10400, 8800, 11300, 7900, 9100, 6500, 8400]


def _small_locality(
    slug: str, name: str, prefix: str, start: int, towns: list[str]
) -> LocalitySpec:
    sizes = [7200, 5400, 8600, 4700, 6100][: len(towns)]
    return LocalitySpec(
        slug=slug,
        name=name,
        practices=_practices(prefix, start, [f"{t} Surgery" for t in towns], sizes),
    )


WEST_HERTS = PctSpec(
    code="5P3",
    slug="west-herts",
    name="West Hertfordshire PCT",
    localities=(
        LocalitySpec(
            slug="dacorum",
            name="Dacorum",
            practices=_practices("E82", 601, _DACORUM_NAMES, _DACORUM_SIZES),
        ),
        _small_locality(
            "st-albans-harpenden",
            "St Albans and Harpenden",
            "E82",
            701,
            ["Verulam", "Harpenden Common", "Marshalswick", "Fleetville"],
        ),
        _small_locality(
            "watford-three-rivers",
            "Watford and Three Rivers",
            "E82",
            801,
            ["Cassiobury", "Rickmansworth", "Oxhey", "Croxley"],
        ),
    ),
)

EAST_NORTH_HERTS = PctSpec(
    code="5P2",
    slug="east-north-herts",
    name="East and North Hertfordshire PCT",
    localities=(
        LocalitySpec(
            slug="welwyn-hatfield",
            name="Welwyn Hatfield",
            practices=_practices("E81", 601, _WELWYN_NAMES, _WELWYN_SIZES),
        ),
        _small_locality(
            "stevenage", "Stevenage", "E81", 701, ["Bedwell", "Shephall", "Chells", "Symonds Green"]
        ),
        _small_locality(
            "north-herts",
            "North Hertfordshire",
            "E81",
            801,
            ["Hitchin Priory", "Letchworth", "Baldock", "Royston"],
        ),
    ),
)

PCTS: tuple[PctSpec, ...] = (WEST_HERTS, EAST_NORTH_HERTS)


def _mff(base: str) -> dict[str, Decimal]:
    value = Decimal(base)
    return {year: value for year in FINANCIAL_YEARS}


PROVIDERS: tuple[ProviderSpec, ...] = (
    ProviderSpec("RWG", "West Hertfordshire Hospitals NHS Trust", "acute", _mff("1.1082"), "5P3"),
    ProviderSpec("RWH", "East and North Hertfordshire NHS Trust", "acute", _mff("1.0853"), "5P2"),
    ProviderSpec(
        "RC9", "Luton and Dunstable Hospital NHS Foundation Trust", "acute", _mff("1.0541"), None
    ),
    ProviderSpec("RAL", "Royal Free Hampstead NHS Trust", "acute", _mff("1.2204"), None),
    ProviderSpec(
        "RWR",
        "Hertfordshire Partnership NHS Foundation Trust",
        "mental_health",
        _mff("1.0970"),
        None,
    ),
    ProviderSpec(
        "NT4", "Dacorum Tier 2 Ophthalmology Service", "independent", _mff("1.0000"), "5P3"
    ),
)


def all_localities() -> list[tuple[PctSpec, LocalitySpec]]:
    return [(pct, loc) for pct in PCTS for loc in pct.localities]


def all_practices() -> list[tuple[PctSpec, LocalitySpec, PracticeSpec]]:
    return [(pct, loc, p) for pct in PCTS for loc in pct.localities for p in loc.practices]


def locality(slug: str) -> LocalitySpec:
    for _pct, loc in all_localities():
        if loc.slug == slug:
            return loc
    raise KeyError(f"unknown locality {slug!r}")


# The test scale: two localities (one per PCT) and a few thousand patients, built in seconds.
TEST_SCALE_LOCALITIES: tuple[str, ...] = ("dacorum", "welwyn-hatfield")
