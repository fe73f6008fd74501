"""Organisations (PCT, locality, GP practice, provider), memberships and the audit log."""

from __future__ import annotations

from decimal import Decimal

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import models
from django.db.models import Q

from pbc import codes
from pbc.orgs.roles import Role


def validate_practice_code(value: str) -> None:
    if not codes.is_practice_code(value):
        raise ValidationError(
            "%(value)s is not a GP practice ODS code: one capital letter then five digits, e.g. E82001.",
            params={"value": value},
            code="invalid_ods",
        )


def validate_provider_code(value: str) -> None:
    if not codes.is_provider_code(value):
        raise ValidationError(
            "%(value)s is not a provider ODS code: three capital letters or digits, e.g. RWG.",
            params={"value": value},
            code="invalid_ods",
        )


def validate_pct_code(value: str) -> None:
    if not codes.is_commissioner_code(value):
        raise ValidationError(
            "%(value)s is not a commissioner code: a PCT (5P3), care trust (TAK), CCG or "
            "sub-ICB location (00K, D2P2L), ICB (QHM) or national commissioner (YDD82).",
            params={"value": value},
            code="invalid_ods",
        )


class Pct(models.Model):
    """A commissioner: a primary care trust (or care trust) holding the commissioning budget
    for its localities in 2008; a CCG or sub-ICB location today (organisations of every era,
    created from the ODS practice file). `kind` is the code's era and type
    (`pbc.codes.commissioner_kind`); `parent_code` and `region_code` its place above."""

    code = models.CharField(max_length=5, unique=True, validators=[validate_pct_code])
    slug = models.SlugField(unique=True)
    name = models.CharField(max_length=200)
    kind = models.CharField(max_length=30, default="pct")
    parent_code = models.CharField(max_length=5, blank=True)
    region_code = models.CharField(max_length=5, blank=True)

    class Meta:
        ordering = ["name"]
        verbose_name = "PCT"
        verbose_name_plural = "PCTs"

    def __str__(self) -> str:
        return self.name


class Locality(models.Model):
    """A practice based commissioning locality: a consortium of practices within one PCT (2008),
    or a primary care network (today, `kind` "pcn", `code` its ODS code), or the practices of
    a commissioner that belong to no PCN (`kind` "no_pcn")."""

    class Kind(models.TextChoices):
        CONSORTIUM = "consortium", "PBC consortium"
        PCN = "pcn", "Primary care network"
        NO_PCN = "no_pcn", "Practices in no PCN"

    pct = models.ForeignKey(Pct, on_delete=models.PROTECT, related_name="localities")
    slug = models.SlugField(unique=True)
    name = models.CharField(max_length=200)
    kind = models.CharField(max_length=20, choices=Kind.choices, default=Kind.CONSORTIUM)
    code = models.CharField(max_length=10, blank=True)

    class Meta:
        ordering = ["name"]
        verbose_name_plural = "localities"

    def __str__(self) -> str:
        return self.name


class Practice(models.Model):
    """A GP practice, identified by its ODS code."""

    code = models.CharField(
        "ODS code", max_length=6, unique=True, validators=[validate_practice_code]
    )
    name = models.CharField(max_length=200)
    locality = models.ForeignKey(Locality, on_delete=models.PROTECT, related_name="practices")
    status = models.CharField(max_length=1, blank=True)  # ODS status: A, C, D, P
    open_date = models.DateField(null=True, blank=True)
    close_date = models.DateField(null=True, blank=True)

    class Meta:
        ordering = ["code"]

    def __str__(self) -> str:
        return f"{self.name} ({self.code})"

    @property
    def pct(self) -> Pct:
        return self.locality.pct


class Provider(models.Model):
    """A provider of care the localities commission from (acute trust, community, independent)."""

    class Kind(models.TextChoices):
        ACUTE = "acute", "Acute trust"
        COMMUNITY = "community", "Community services"
        MENTAL_HEALTH = "mental_health", "Mental health trust"
        INDEPENDENT = "independent", "Independent sector"

    code = models.CharField(
        "ODS code", max_length=5, unique=True, validators=[validate_provider_code]
    )
    name = models.CharField(max_length=200)
    kind = models.CharField(max_length=20, choices=Kind.choices, default=Kind.ACUTE)

    class Meta:
        ordering = ["name"]

    def __str__(self) -> str:
        return f"{self.name} ({self.code})"

    def market_forces_factor(self, financial_year: str) -> Decimal | None:
        row = self.mff_values.filter(financial_year=financial_year).first()
        return row.value if row else None


class MarketForcesFactor(models.Model):
    """A provider's market forces factor for one financial year ("2008/09")."""

    provider = models.ForeignKey(Provider, on_delete=models.CASCADE, related_name="mff_values")
    financial_year = models.CharField(max_length=7)
    value = models.DecimalField(max_digits=6, decimal_places=4)

    class Meta:
        ordering = ["provider", "financial_year"]
        constraints = [
            models.UniqueConstraint(
                fields=["provider", "financial_year"], name="one_mff_per_provider_year"
            ),
            models.CheckConstraint(
                condition=Q(value__gt=Decimal("0.5")) & Q(value__lt=Decimal("2")),
                name="mff_plausible",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.provider.code} {self.financial_year}: {self.value}"


class Membership(models.Model):
    """A user's role in one organisation. The role decides which kind of organisation it names."""

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="memberships"
    )
    role = models.CharField(max_length=30, choices=[(r.value, r.label) for r in Role])
    pct = models.ForeignKey(Pct, null=True, blank=True, on_delete=models.CASCADE)
    locality = models.ForeignKey(Locality, null=True, blank=True, on_delete=models.CASCADE)
    practice = models.ForeignKey(Practice, null=True, blank=True, on_delete=models.CASCADE)
    provider = models.ForeignKey(Provider, null=True, blank=True, on_delete=models.CASCADE)

    class Meta:
        constraints = [
            models.CheckConstraint(
                name="membership_names_the_roles_organisation",
                condition=(
                    Q(
                        role="pct_analyst",
                        pct__isnull=False,
                        locality__isnull=True,
                        practice__isnull=True,
                        provider__isnull=True,
                    )
                    | Q(
                        role__in=["locality_manager", "board_member"],
                        pct__isnull=True,
                        locality__isnull=False,
                        practice__isnull=True,
                        provider__isnull=True,
                    )
                    | Q(
                        role="practice_user",
                        pct__isnull=True,
                        locality__isnull=True,
                        practice__isnull=False,
                        provider__isnull=True,
                    )
                    | Q(
                        role="provider_user",
                        pct__isnull=True,
                        locality__isnull=True,
                        practice__isnull=True,
                        provider__isnull=False,
                    )
                ),
            ),
            *(
                models.UniqueConstraint(
                    fields=["user", "role", org],
                    condition=Q(**{f"{org}__isnull": False}),
                    name=f"one_membership_per_user_role_{org}",
                )
                for org in ("pct", "locality", "practice", "provider")
            ),
        ]

    def __str__(self) -> str:
        return f"{self.user} — {Role(self.role).label} of {self.organisation}"

    @property
    def organisation(self) -> Pct | Locality | Practice | Provider:
        org = self.pct or self.locality or self.practice or self.provider
        assert org is not None
        return org


class AuditEvent(models.Model):
    """Who did or saw what, to which object, when; before and after where something changed."""

    at = models.DateTimeField(auto_now_add=True, db_index=True)
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL
    )
    username = models.CharField(max_length=150, blank=True)
    action = models.CharField(max_length=50, db_index=True)
    object_type = models.CharField(max_length=100, blank=True)
    object_id = models.CharField(max_length=100, blank=True)
    path = models.CharField(max_length=500, blank=True)
    before = models.JSONField(null=True, blank=True)
    after = models.JSONField(null=True, blank=True)
    detail = models.TextField(blank=True)

    class Meta:
        ordering = ["-at", "-id"]

    def __str__(self) -> str:
        return f"{self.at:%Y-%m-%d %H:%M} {self.username or 'anonymous'} {self.action} {self.object_type} {self.object_id}"


class OrgLink(models.Model):
    """One dated edge of the organisation hierarchy: practice -> PCN or locality -> commissioner
    -> ICB, area team or SHA -> region, as the ODS files publish it (`source`). `end_date`
    empty: still in force. Kept for every era, so a practice's commissioner on a date is known
    even after it moved."""

    child_kind = models.CharField(max_length=20)
    child_code = models.CharField(max_length=10)
    parent_kind = models.CharField(max_length=20)
    parent_code = models.CharField(max_length=10)
    start_date = models.DateField(null=True, blank=True)
    end_date = models.DateField(null=True, blank=True)
    source = models.CharField(max_length=20)

    class Meta:
        ordering = ["child_code", "start_date"]
        constraints = [
            models.UniqueConstraint(
                fields=["child_kind", "child_code", "parent_kind", "parent_code", "start_date"],
                name="one_org_link_per_start",
            )
        ]

    def __str__(self) -> str:
        return f"{self.child_code} -> {self.parent_code} from {self.start_date}"
