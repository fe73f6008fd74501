"""`pbc demo`: build the demo geography, users and (as later issues add them) data and plans.

Every step is idempotent: running the demo twice leaves one copy of everything.
"""

from __future__ import annotations

import base64
from collections.abc import Callable
from dataclasses import dataclass

from django.contrib.auth import get_user_model
from django.db import transaction

from pbc.demo import challenges as challenges_demo
from pbc.demo import finance as finance_demo
from pbc.demo import plans as plans_demo
from pbc.demo import population as population_demo
from pbc.demo import returns as returns_demo
from pbc.demo import scheme as scheme_demo
from pbc.demo import services as services_demo
from pbc.demo import steps
from pbc.demo import warehouse as warehouse_demo
from pbc.orgs.models import Locality, MarketForcesFactor, Membership, Pct, Practice, Provider
from pbc.orgs.roles import Role
from pbc.refresh import pipeline
from pbc.signin import second_factor
from pbc.synth import geography

DEMO_PASSWORD = "pbc-demo-2009"
# Every demo user who needs a second factor (pbc.signin.second_factor: PCT analysts, practice
# users, the site administrator) has an authenticator enrolled with this documented key (base32,
# as authenticator apps take it). `pbc demo totp USER` prints the current code.
DEMO_TOTP_SECRET = "PBCDEMOSEEDFORWESTANDEASTHERTS23"


@dataclass(frozen=True)
class DemoUser:
    username: str
    full_name: str
    role: Role
    organisation: str  # PCT code, locality slug, practice code or provider code


# The site's administrator (the Django admin): a superuser holding no role in any organisation.
# No user with a membership is staff or superuser (pbc.orgs.actions).
DEMO_ADMIN = "admin"

DEMO_USERS: tuple[DemoUser, ...] = (
    DemoUser("analyst", "Alex Analyst", Role.PCT_ANALYST, "5P3"),
    DemoUser("enh-analyst", "Erin Analyst", Role.PCT_ANALYST, "5P2"),
    DemoUser("locality", "Lee Manager", Role.LOCALITY_MANAGER, "dacorum"),
    DemoUser("board", "Bea Board", Role.BOARD_MEMBER, "dacorum"),
    DemoUser("wh-locality", "Wyn Manager", Role.LOCALITY_MANAGER, "welwyn-hatfield"),
    DemoUser(
        "practice",
        "Dr Pat Practice",
        Role.PRACTICE_USER,
        geography.WEST_HERTS.localities[0].practices[0].code,
    ),
    DemoUser(
        "practice2",
        "Dr Sam Second",
        Role.PRACTICE_USER,
        geography.WEST_HERTS.localities[0].practices[1].code,
    ),
    DemoUser("provider", "Pip Provider", Role.PROVIDER_USER, "RWG"),
)


@transaction.atomic
def load_geography(scale: str = "full") -> None:
    for pct_spec in geography.PCTS:
        pct, _ = Pct.objects.update_or_create(
            code=pct_spec.code, defaults={"slug": pct_spec.slug, "name": pct_spec.name}
        )
        for loc_spec in pct_spec.localities:
            if scale == "test" and loc_spec.slug not in geography.TEST_SCALE_LOCALITIES:
                continue
            locality, _ = Locality.objects.update_or_create(
                slug=loc_spec.slug, defaults={"pct": pct, "name": loc_spec.name}
            )
            for p in loc_spec.practices:
                Practice.objects.update_or_create(
                    code=p.code, defaults={"name": p.name, "locality": locality}
                )
    for spec in geography.PROVIDERS:
        provider, _ = Provider.objects.update_or_create(
            code=spec.code, defaults={"name": spec.name, "kind": spec.kind}
        )
        for year, value in spec.mff.items():
            MarketForcesFactor.objects.update_or_create(
                provider=provider, financial_year=year, defaults={"value": value}
            )


def _organisation_kwargs(user: DemoUser) -> dict[str, object]:
    if user.role == Role.PCT_ANALYST:
        return {"pct": Pct.objects.get(code=user.organisation)}
    if user.role in (Role.LOCALITY_MANAGER, Role.BOARD_MEMBER):
        return {"locality": Locality.objects.get(slug=user.organisation)}
    if user.role == Role.PRACTICE_USER:
        return {"practice": Practice.objects.get(code=user.organisation)}
    return {"provider": Provider.objects.get(code=user.organisation)}


def demo_email(username: str) -> str:
    return f"{username}@example.org"


@transaction.atomic
def create_users() -> None:
    User = get_user_model()
    for spec in DEMO_USERS:
        first, _, last = spec.full_name.rpartition(" ")
        user, created = User.objects.get_or_create(
            username=spec.username, defaults={"first_name": first, "last_name": last}
        )
        if created:
            user.set_password(DEMO_PASSWORD)
            user.save()
        # An address for the notices of pbc.signin.notifications (development writes them to
        # files under the data directory's mail folder; example.org reaches nobody).
        User.objects.filter(pk=user.pk, email="").update(email=demo_email(spec.username))
        # A demo built before issue 13 made `analyst` a superuser: a member never is.
        User.objects.filter(pk=user.pk).update(is_staff=False, is_superuser=False)
        Membership.objects.get_or_create(
            user=user, role=spec.role.value, **_organisation_kwargs(spec)
        )
    admin, created = User.objects.get_or_create(
        username=DEMO_ADMIN,
        defaults={
            "first_name": "Ada",
            "last_name": "Admin",
            "is_staff": True,
            "is_superuser": True,
        },
    )
    if created:
        admin.set_password(DEMO_PASSWORD)
        admin.save()
    User.objects.filter(pk=admin.pk, email="").update(email=demo_email(DEMO_ADMIN))
    enrol_second_factors()


def demo_totp_key() -> str:
    """The demo authenticator key as django-otp stores it (hex)."""
    return base64.b32decode(DEMO_TOTP_SECRET).hex()


def enrol_second_factors() -> None:
    """Enrol each demo user who needs a second factor (once: a rebuild keeps their devices)."""
    User = get_user_model()
    names = [u.username for u in DEMO_USERS] + [DEMO_ADMIN]
    for user in User.objects.filter(username__in=names).order_by("username"):
        if second_factor.needs_second_factor(user) and not second_factor.is_enrolled(user):
            second_factor.enrol(user, demo_totp_key())


def totp_code(username: str) -> str:
    """The current code of a demo user's authenticator (`pbc demo totp USER`)."""
    user = get_user_model().objects.filter(username=username).first()
    if user is None:
        raise LookupError(f"no user {username!r}")
    device = second_factor.authenticator_of(user)
    if device is None:
        raise LookupError(f"{username!r} has no authenticator: their role does not need one")
    return second_factor.current_code(device)


def is_loaded(scale: str | None = None) -> bool:
    """Whether the demo is fully built in this database: its users exist and the last build (of
    `scale`, or of any scale) completed every step (`pbc demo --if-missing`)."""
    User = get_user_model()
    users = User.objects.filter(username__in=[u.username for u in DEMO_USERS]).count()
    if users != len(DEMO_USERS):
        return False
    return steps.completed(scale, [step.name for step in STEPS])


def logins_text() -> str:
    lines = [f"Demo logins (password for all: {DEMO_PASSWORD}):"]
    for u in DEMO_USERS:
        lines.append(f"  {u.username:<12} {u.role.label:<17} {u.organisation}")
    lines.append(f"  {DEMO_ADMIN:<12} {'Site administrator':<17} Django admin only, no role")
    lines.append(
        "PCT analysts, practice users and admin also need a code: `pbc demo totp USER` prints it "
        f"(authenticator key {DEMO_TOTP_SECRET})."
    )
    return "\n".join(lines)


def _load_plans(scale: str, report: Callable[[str], None]) -> None:
    plans_demo.load(scale, report=report)


def _load_services(scale: str, report: Callable[[str], None]) -> None:
    services_demo.load(scale, report=report)


def _load_finance(scale: str, report: Callable[[str], None]) -> None:
    finance_demo.load(scale, report=report)
    plans_demo.load_meetings(report)  # they name the finance demo's contracts


def _refresh_validation(scale: str, report: Callable[[str], None]) -> None:
    findings = pipeline.run_step("validation")
    report(f"validation findings stored: {findings.created:,} new")
    challenges_demo.load(report)  # some reviewed, challenged, signed off and answered


def _refresh_indicators(scale: str, report: Callable[[str], None]) -> None:
    indicators = pipeline.run_step("indicators")
    report(f"indicators computed: {indicators.values:,} values")


def _load_population(scale: str, report: Callable[[str], None]) -> None:
    population_demo.load(scale, report=report)


def _load_scheme(scale: str, report: Callable[[str], None]) -> None:
    scheme_demo.load(scale, report=report)


# The steps after the warehouse, in order. Validation, finance and indicators are the steps of
# `pbc refresh` (`pbc.refresh.pipeline`), run and recorded as it runs them, in its order
# (findings before statements). Each is skipped when it completed before in this
# database with the same inputs: the scale, the warehouse's state and every earlier step's
# inputs (`pbc.demo.steps`). `pbc demo --rebuild` runs them all. The estimates are seconds at
# full scale on 2 cores, measured on a shared machine (about the processor time each used;
# the imports wait on the disk as well).
STEPS: tuple[steps.Step, ...] = (
    steps.Step("plans", _load_plans, {"full": 2, "test": 2}),
    steps.Step("enhanced services", _load_services, {"full": 3, "test": 3}),
    steps.Step("synthetic data", None, {"full": 37, "test": 5}, always=True),
    steps.Step("warehouse imports", None, {"full": 25, "test": 5}, always=True),
    steps.Step("validation", _refresh_validation, {"full": 16, "test": 5}),
    steps.Step("finance", _load_finance, {"full": 12, "test": 10}),
    steps.Step("indicators", _refresh_indicators, {"full": 14, "test": 8}),
    steps.Step("risk scores", _load_population, {"full": 24, "test": 5}),
    steps.Step("prescribing scheme", _load_scheme, {"full": 2, "test": 2}),
)
RISK_STEP = STEPS[-1]


def build(
    scale: str = "full", report: Callable[[str], None] = print, *, rebuild: bool = False
) -> None:
    """Build the demo. `scale` is "full" (make run) or "test" (the test suite).

    Steps whose inputs did not change since they last completed in this database are skipped
    (unchanged synthetic files are not generated again, unchanged files not imported again);
    `rebuild` runs every step. Each step prints a line with an estimate before it starts."""
    load_geography(scale)
    create_users()
    report("geography and demo users ready")
    progress = steps.Progress(scale, STEPS, rebuild=rebuild, report=report)
    try:
        for step in STEPS:
            if step.name == "synthetic data":
                with progress.step(step) as done:
                    done(
                        "generated"
                        if warehouse_demo.generate(scale, rebuild)
                        else "unchanged, not generated again"
                    )
            elif step.name == "warehouse imports":
                with progress.step(step) as done:
                    loaded, imported = warehouse_demo.import_all(scale, rebuild)
                    # the periodic returns for the national measures, as a PCT uploads them
                    return_rows, returns_imported = returns_demo.load(scale)
                    done(
                        f"{sum(loaded.values()):,} rows; {imported} of {len(loaded)} files "
                        f"imported; returns {return_rows:,} rows, {returns_imported} of "
                        f"{len(returns_demo.RETURNS)} files imported"
                    )
                progress.inputs_changed(warehouse_demo.state())
                # The risk scores read only the warehouse: computed beside the refresh steps.
                if progress.will_run(RISK_STEP) and population_demo.start():
                    report("    risk scores: training and scoring started beside the refresh")
            else:
                progress.run(step)
    finally:
        population_demo.cancel()
    progress.finish()
