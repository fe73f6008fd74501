"""The services demo: catalogue, sign-ups, 2008/09 claims, provider returns, survey results.

Deterministic (seeded by name) and idempotent: anything already there is left alone. Every
write goes through `actions`, so the demo exercises the same checks as an upload.

- Catalogue: the seven 2008/09 enhanced services (`catalogue.CATALOGUE_2008_09`).
- Sign-ups: every practice to smoking cessation and Choose & Book; about three in five to
  extended hours; Dacorum practices to counselling and end of life (from October 2008), Welwyn
  Hatfield practices to gynaecology and phlebotomy.
- Claims: 2008/09 Q1–Q3 for every sign-up: 60% to 130% of the quarter's target where the
  service has one (smoking cessation: 8 quitters), else 30% to 90% of its cap. Q1 and Q2
  approved and paid the month after the quarter; Q3 submitted (one over its cap, so queried).
- Any willing provider: Dacorum's physiotherapy from 1 October 2008, WHHT and two of the three
  private providers accredited at a price per case; the third's October return is a finding.
- Provider contracts for Dacorum: the Tier 2 ophthalmology service (NT4, £95 a case), WHHT
  physiotherapy (RWG, cost per case), MRSA screening and patient experience questionnaires
  (RWG), counselling waiting times (RWR).
- Returns: October to December 2008 for each monthly contract (January 2009 ophthalmology
  accepted with known problems); counselling for 2008/09 Q2 and Q3.
- Patient survey: 2008/09 Q2 and Q3 for every practice and domain; two actions in the log.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import random
from collections.abc import Callable
from decimal import Decimal

from django.contrib.auth import get_user_model

from pbc import codes, periods
from pbc.orgs.models import Locality, Practice, Provider
from pbc.services import actions, awp
from pbc.services.experience import SURVEY_TEMPLATE
from pbc.services.models import (
    Accreditation,
    Claim,
    ProviderChoice,
    ProviderContract,
    ProviderReturn,
    ServiceSpecification,
    SignUp,
    SurveyAction,
    SurveyResult,
)
from pbc.services.return_templates import TEMPLATES
from pbc.services.tabular import Table
from pbc.services.validation import validate

YEAR = "2008/09"
CLAIM_QUARTERS = [dt.date(2008, 4, 1), dt.date(2008, 7, 1), dt.date(2008, 10, 1)]
RETURN_MONTHS = [dt.date(2008, 10, 1), dt.date(2008, 11, 1), dt.date(2008, 12, 1)]
SURVEY_QUARTERS = [dt.date(2008, 7, 1), dt.date(2008, 10, 1)]
CONTRACTS = (  # provider, locality, template, price per case
    ("NT4", "dacorum", "tier2-ophthalmology", Decimal("95.00")),
    ("RWG", "dacorum", "physiotherapy", None),
    ("RWG", "dacorum", "mrsa-screening", None),
    ("RWG", "dacorum", "patient-experience", None),
    ("RWR", "dacorum", "counselling-waits", None),
    *(("NX" + str(i), "dacorum", "physiotherapy", None) for i in (1, 2, 3)),
)
# Dacorum's direct access physiotherapy from 1 October 2008 (the plan: the three private
# providers' contracts cease and the block part of WHHT's SLA is removed; any provider meeting
# the specification is accredited at an agreed cost per case). Fictional names. Two private
# providers and WHHT are accredited; the third has not met the specification yet but still
# sent its October return (a finding).
AWP_FROM = dt.date(2008, 10, 1)
PRIVATE_PHYSIO = (  # code, name, accredited price per case (None: not accredited)
    ("NX1", "Berkhamsted Physiotherapy Clinic", Decimal("150.00")),
    ("NX2", "Hemel Sports Injury and Physiotherapy Centre", Decimal("145.00")),
    ("NX3", "Tring Physiotherapy Practice", None),
)
WHHT_PHYSIO_PRICE = Decimal("155.00")
ONLY_MONTHS = {"NX3": [AWP_FROM]}  # returns sent only for these months
# The private providers are small (an eighth of WHHT's referrals); the accredited ones charge
# their agreed price for each case seen, the one not accredited its own per-attendance rate.
PRIVATE_PRICES: dict[str, Decimal | None] = {code: price for code, _, price in PRIVATE_PHYSIO}


def _rng(*parts: object) -> random.Random:
    return random.Random(":".join(str(p) for p in parts))


def _share(*parts: object) -> float:
    digest = hashlib.sha256(":".join(str(p) for p in parts).encode()).digest()
    return int.from_bytes(digest[:4], "big") / 2**32


def nhs_number(rng: random.Random) -> str:
    while True:
        first = "999" + "".join(str(rng.randrange(10)) for _ in range(6))
        check = codes.nhs_number_check_digit(first)
        if check is not None:
            return first + str(check)


def load(scale: str = "full", report: Callable[[str], None] = print) -> None:
    specs = {s.service.key: s for s in actions.ensure_catalogue(None, YEAR)}
    practices = list(Practice.objects.select_related("locality").order_by("code"))
    _sign_ups(specs, practices)
    _claims(specs)
    report("services: catalogue, sign-ups and claims ready")
    _accreditations()
    _choices()
    _returns(scale)
    report("services: accredited physiotherapy providers and provider returns ready")
    _surveys(practices)
    report("services: patient survey ready")


def _wants(service: str, practice: Practice) -> bool:
    locality = practice.locality.slug
    if service in ("smoking-cessation", "choose-and-book"):
        return True
    if service == "extended-hours":
        return _share("extended", practice.code) < 0.6
    if service in ("counselling", "end-of-life"):
        return locality == "dacorum"
    return locality == "welwyn-hatfield"  # gynaecology, phlebotomy


def _sign_ups(specs: dict[str, ServiceSpecification], practices: list[Practice]) -> None:
    for practice in practices:
        for key, spec in specs.items():
            if not _wants(key, practice):
                continue
            if SignUp.objects.filter(practice=practice, specification=spec).exists():
                continue
            signed = dt.date(2008, 10, 1) if key == "end-of-life" else dt.date(2008, 4, 1)
            actions.sign_up(None, practice, spec, signed)


def _claims(specs: dict[str, ServiceSpecification]) -> None:
    sign_ups = list(SignUp.objects.select_related("practice", "specification__service"))
    # The one claim over its cap: on a service paid by activity, not one counted against a target.
    over_cap_index = next(
        (i for i, row in enumerate(sign_ups) if not row.specification.target_per_quarter), -1
    )
    for quarter in CLAIM_QUARTERS:
        end = periods.quarter_end(quarter)
        for index, row in enumerate(sign_ups):
            spec = row.specification
            if not row.active_between(quarter, end):
                continue
            if Claim.objects.filter(
                practice=row.practice, specification=spec, quarter=quarter
            ).exists():
                continue
            cap = spec.cap_per_quarter or 100
            share = _share("claim", row.pk, quarter)
            if spec.target_per_quarter:  # around the target: 60% to 130% of it
                units = max(1, round(spec.target_per_quarter * (0.6 + 0.7 * share)))
            else:
                units = max(1, int(cap * (0.3 + 0.6 * share)))
            over_cap = quarter == CLAIM_QUARTERS[-1] and index == over_cap_index
            if over_cap:
                units = cap + 5
            payable = min(units, cap)
            claim = Claim.objects.create(
                practice=row.practice,
                specification=spec,
                quarter=quarter,
                units=units,
                payable_units=payable,
                amount=(spec.price_per_unit * payable).quantize(Decimal("0.01")),
                status=Claim.Status.QUERIED if over_cap else Claim.Status.SUBMITTED,
                problems=[f"units '{units}' is over the cap of {cap} a quarter"]
                if over_cap
                else [],
                submitted_by="demo",
            )
            if quarter < CLAIM_QUARTERS[-1]:
                actions.approve_claim(None, claim)
                actions.pay_claims(None, [claim], periods.add_months(quarter, 3))


def _accreditations() -> None:
    analyst = get_user_model().objects.filter(username="analyst").first()
    dacorum = Locality.objects.filter(slug="dacorum").first()
    if analyst is None or dacorum is None:
        return
    prices = [("RWG", WHHT_PHYSIO_PRICE)]
    for code, name, price in PRIVATE_PHYSIO:
        Provider.objects.get_or_create(
            code=code, defaults={"name": name, "kind": Provider.Kind.INDEPENDENT}
        )
        if price is not None:
            prices.append((code, price))
    for code, price in prices:
        if not Accreditation.objects.filter(
            locality=dacorum, service="physiotherapy", provider__code=code
        ).exists():
            awp.accredit(
                analyst, dacorum, service="physiotherapy", provider_code=code,
                accredited_from=AWP_FROM, price_per_case=price,
            )  # fmt: skip


# Each Dacorum practice's choice among the accredited physiotherapy providers from October 2008,
# recorded by the locality manager: about half refer to all three, the rest to WHHT and one of
# the private clinics. The demo practice user's own practice has made none yet (its user can).
AWP_CHOICES = (("RWG", "NX1", "NX2"), ("RWG", "NX1"), ("RWG", "NX2"))


def _choices() -> None:
    manager = get_user_model().objects.filter(username="locality").first()
    dacorum = Locality.objects.filter(slug="dacorum").first()
    if manager is None or dacorum is None:
        return
    from pbc.demo import DEMO_USERS

    own = next((u.organisation for u in DEMO_USERS if u.username == "practice"), None)
    for practice in dacorum.practices.order_by("code"):
        if practice.code == own or ProviderChoice.objects.filter(practice=practice).exists():
            continue
        share = _share("awp-choice", practice.code)
        chosen = AWP_CHOICES[0 if share < 0.5 else 1 if share < 0.8 else 2]
        awp.choose(
            manager, practice, service="physiotherapy", provider_codes=list(chosen),
            chosen_from=AWP_FROM,
        )  # fmt: skip


def _contracts() -> list[ProviderContract]:
    result = []
    for provider, locality, template, price in CONTRACTS:
        contract, _ = ProviderContract.objects.get_or_create(
            provider=Provider.objects.get(code=provider),
            locality=Locality.objects.get(slug=locality),
            template=template,
            defaults={"price_per_case": price},
        )
        result.append(contract)
    return result


def _returns(scale: str) -> None:
    per_month = 30 if scale == "test" else 120
    User = get_user_model()
    for contract in _contracts():
        template = TEMPLATES[contract.template]
        codes_ = list(contract.locality.practices.values_list("code", flat=True))
        user = User.objects.filter(
            memberships__provider=contract.provider, memberships__role="provider_user"
        ).first()
        if template.frequency == "quarterly":
            periods_ = [(q, False) for q in SURVEY_QUARTERS]
        else:
            periods_ = [(m, False) for m in ONLY_MONTHS.get(contract.provider.code, RETURN_MONTHS)]
            if contract.template == "tier2-ophthalmology":
                periods_.append((dt.date(2009, 1, 1), True))
        for period, damaged in periods_:
            if ProviderReturn.objects.filter(contract=contract, period=period).exists():
                continue
            rng = _rng("return", contract.template, contract.provider.code, period)
            private = PRIVATE_PRICES.get(contract.provider.code, "none")
            n = per_month // 8 if private != "none" else per_month
            table = BUILDERS[contract.template](rng, period, codes_, n)
            if isinstance(private, Decimal):
                table = _at_price(table, private)
            if damaged:
                table = _damage(table)
            checked = validate(template, table, period, frozenset(codes_), contract.locality.name)
            actions.submit_return(
                user,
                contract,
                checked,
                filename=f"{contract.provider.code}-{contract.template}-{period:%Y-%m}.csv",
                sha256=hashlib.sha256(repr(table).encode()).hexdigest(),
                accept_with_problems=damaged,
                note="Two referrals keyed with mistyped NHS numbers; provider correcting at source"
                if damaged
                else "",
            )


def _day(rng: random.Random, month: dt.date) -> dt.date:
    return month + dt.timedelta(days=rng.randrange((periods.month_end(month) - month).days + 1))


def _dob(rng: random.Random, young: int = 18, old: int = 95) -> str:
    return (
        dt.date(2008, 7, 1) - dt.timedelta(days=rng.randint(young * 365, old * 365))
    ).isoformat()


def ophthalmology_table(rng: random.Random, month: dt.date, practices: list[str], n: int) -> Table:
    template = TEMPLATES["tier2-ophthalmology"]
    rows = []
    for i in range(n):
        referred = _day(rng, month)
        triage = rng.choices(
            ["forwarded_to_acute", "returned_to_referrer", "treated_in_primary_care"], [3, 1, 6]
        )[0]
        seen = triage == "treated_in_primary_care"
        wait = rng.randint(3, 40) if seen else None
        outcome = (
            rng.choices(
                ["did_not_attend", "self_discharge", "treated_and_discharged", "referred_on"],
                [1, 1, 7, 2],
            )[0]
            if seen
            else ""
        )
        complaint = rng.random() < 0.02
        rows.append(
            (
                i + 2,
                [
                    nhs_number(rng),
                    _dob(rng),
                    rng.choice(practices),
                    rng.choices(
                        [
                            "gp",
                            "optometrist",
                            "ophthalmic_medical_practitioner",
                            "minor_injury_unit",
                            "a_and_e",
                            "out_of_hours",
                        ],
                        [6, 5, 1, 1, 1, 1],
                    )[0],
                    referred.isoformat(),
                    rng.choices(["urgent", "soon", "routine"], [1, 2, 7])[0],
                    rng.choice(["paper", "electronic", "telephone", "email"]),
                    triage,
                    (referred + dt.timedelta(days=wait)).isoformat() if wait is not None else "",
                    outcome,
                    f"{rng.randint(0, 4000) / 100:.2f}" if seen else "",
                    rng.choice(["H10.9", "H40.1", "H35.3", "H04.1", "H52.4"]) if seen else "",
                    "Y" if complaint else "N",
                    "Waited longer than expected" if complaint else "",
                    str(wait) if wait is not None else "",
                ],
            )
        )
    return Table(template.column_names, rows)


def physiotherapy_table(rng: random.Random, month: dt.date, practices: list[str], n: int) -> Table:
    rows = []
    for i in range(n):
        referred = _day(rng, month)
        status = rng.choices(
            ["waiting", "in_treatment", "discharged", "did_not_attend", "referred_on"],
            [2, 3, 6, 1, 1],
        )[0]
        first = referred + dt.timedelta(days=rng.randint(5, 60)) if status != "waiting" else None
        attendances = 0 if status in ("waiting", "did_not_attend") else rng.randint(1, 6)
        rows.append(
            (
                i + 2,
                [
                    nhs_number(rng),
                    _dob(rng, 16, 90),
                    rng.choice(practices),
                    referred.isoformat(),
                    first.isoformat() if first else "",
                    str(attendances),
                    str(rng.randint(0, 2) if status != "waiting" else 0),
                    status,
                    f"{Decimal(38) * max(attendances, 1):.2f}" if status != "waiting" else "0.00",
                ],
            )
        )
    return Table(TEMPLATES["physiotherapy"].column_names, rows)


def mrsa_table(rng: random.Random, month: dt.date, practices: list[str], n: int) -> Table:
    rows = []
    for i in range(n):
        admitted = _day(rng, month)
        screened = rng.random() < 0.85
        rows.append(
            (
                i + 2,
                [
                    nhs_number(rng),
                    rng.choice(practices),
                    admitted.isoformat(),
                    rng.choice(["11", "12", "13"]),
                    rng.choice(["100", "101", "110", "120", "502"]),
                    "Y" if screened else "N",
                    (admitted - dt.timedelta(days=rng.randint(0, 14))).isoformat()
                    if screened
                    else "",
                    rng.choices(["negative", "positive"], [97, 3])[0]
                    if screened
                    else "not_screened",
                ],
            )
        )
    return Table(TEMPLATES["mrsa-screening"].column_names, rows)


def experience_table(rng: random.Random, month: dt.date, practices: list[str], n: int) -> Table:
    """Questionnaires: about 88% rate their care good or better (a month may fall short)."""
    good = rng.uniform(0.8, 0.95)
    rows = []
    for i in range(n):
        rating = (
            rng.choice(["excellent", "very_good", "good"])
            if rng.random() < good
            else rng.choice(["fair", "poor"])
        )
        rows.append(
            (
                i + 2,
                [
                    _day(rng, month).isoformat(),
                    rng.choice(["100", "101", "110", "300", "502"]),
                    rating,
                    "Y" if rng.random() < 0.93 else "N",
                ],
            )
        )
    return Table(TEMPLATES["patient-experience"].column_names, rows)


def counselling_table(rng: random.Random, quarter: dt.date, practices: list[str], n: int) -> Table:
    rows = []
    for i, code in enumerate(practices):
        referrals = rng.randint(8, 40)
        held = referrals * rng.randint(3, 6)
        rows.append(
            (
                i + 2,
                [
                    code,
                    str(referrals),
                    str(int(referrals * 0.8)),
                    str(int(held * 0.1)),
                    str(held),
                    str(rng.randint(2, 12)),
                    str(rng.randint(0, 8)),
                    str(rng.randint(0, 4)),
                    str(rng.randint(0, 2)),
                ],
            )
        )
    return Table(TEMPLATES["counselling-waits"].column_names, rows)


BUILDERS: dict[str, Callable[[random.Random, dt.date, list[str], int], Table]] = {
    "tier2-ophthalmology": ophthalmology_table,
    "physiotherapy": physiotherapy_table,
    "mrsa-screening": mrsa_table,
    "patient-experience": experience_table,
    "counselling-waits": counselling_table,
}


def _at_price(table: Table, price: Decimal) -> Table:
    """Each case seen (any cost but nothing) charged at the agreed price per case."""
    column = table.header.index("case_cost")
    rows = [(n, list(cells)) for n, cells in table.rows]
    for _, cells in rows:
        if cells[column] != "0.00":
            cells[column] = f"{price:.2f}"
    return Table(table.header, rows)


def _damage(table: Table) -> Table:
    """Two mistyped NHS numbers (the last digit changed): a return with known problems."""
    rows = [(n, list(cells)) for n, cells in table.rows]
    for _, cells in rows[:2]:
        cells[0] = cells[0][:9] + str((int(cells[0][9]) + 1) % 10)
    return Table(table.header, rows)


def _surveys(practices: list[Practice]) -> None:
    for quarter in SURVEY_QUARTERS:
        for locality in Locality.objects.filter(practices__in=practices).distinct():
            if SurveyResult.objects.filter(practice__locality=locality, quarter=quarter).exists():
                continue
            mine = [p for p in practices if p.locality_id == locality.pk]
            rows = []
            for practice in mine:
                for domain in SurveyResult.Domain.values:
                    rng = _rng("survey", practice.code, domain, quarter)
                    responses = rng.randint(60, 220)
                    base = 0.62 + 0.3 * _share("survey-base", practice.code, domain)
                    positive = min(responses, int(responses * (base + rng.uniform(-0.05, 0.05))))
                    rows.append([practice.code, domain, str(responses), str(positive)])
            table = Table(SURVEY_TEMPLATE.column_names, [(i + 2, r) for i, r in enumerate(rows)])
            checked = validate(
                SURVEY_TEMPLATE, table, quarter, frozenset(p.code for p in mine), locality.name
            )
            actions.import_survey(None, locality, quarter, checked)
    dacorum = Locality.objects.filter(slug="dacorum").first()
    if dacorum is not None and not SurveyAction.objects.filter(locality=dacorum).exists():
        first = actions.record_survey_action(
            None,
            dacorum,
            quarter=SURVEY_QUARTERS[0],
            domain="appointments_access",
            action="Practices below the locality on access to review telephone answering at 8am "
            "and publish their extended hours sessions.",
            owner="Locality manager",
        )
        actions.report_survey_action(
            None, first, status="done", reported_to_board_on=dt.date(2008, 11, 12)
        )
        actions.record_survey_action(
            None,
            dacorum,
            quarter=SURVEY_QUARTERS[1],
            domain="cleanliness",
            action="Infection control audit of waiting areas with the PCT infection control team.",
            owner="Practice managers' forum",
        )
