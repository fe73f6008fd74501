"""The ODS sync's working set (`pbc.orgs.ods.sync`): every commissioner, locality, practice and
organisation link is read once, changed in memory and written back in batches, so a national
file (some 8,000 practices, 1,300 PCNs, 200 commissioners) costs a fixed number of reads and a
write per batch of rows rather than several queries per practice.

Each row is still validated as a save would (`full_clean`), less the checks the working set
answers itself: a code's uniqueness (every row of the table is in hand, keyed by code) and a
new commissioner's slug (checked against every slug). Only rows whose values changed are
written; new rows are created with `bulk_create` (its primary keys come back, so the rows
made in the same sync can point at them)."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.core.exceptions import ValidationError

from pbc import codes
from pbc.orgs.models import Locality, OrgLink, Pct, Practice

BATCH = 500
"""Rows per INSERT or UPDATE statement (SQLite allows 32,766 parameters per statement)."""

LinkKey = tuple[str, str, str, str, dt.date | None]
PLAIN_FIELDS = ("name", "status", "open_date", "close_date")
PRACTICE_FIELDS = ("locality", *PLAIN_FIELDS)


class OrgStore:
    """The organisations as they stand, and what the sync makes of them, until `flush`."""

    def __init__(self) -> None:
        self.pcts = {p.code: p for p in Pct.objects.all()}
        self.slugs = {p.slug for p in self.pcts.values()}
        self.dirty_pcts: dict[str, Pct] = {}
        localities = list(Locality.objects.all())  # ordered by name, as `.first()` read them
        self.by_slug = {loc.slug: loc for loc in localities}
        self.by_id = {loc.pk: loc for loc in localities}
        self.pcns: dict[str, list[Locality]] = {}
        for loc in localities:
            if loc.kind == Locality.Kind.PCN:
                self.pcns.setdefault(loc.code, []).append(loc)
        self.new_localities: list[Locality] = []
        self.dirty_localities: dict[int, Locality] = {}
        self.practices = {p.code: p for p in Practice.objects.all()}
        self.new_practices: list[Practice] = []
        self.dirty_practices: list[Practice] = []
        self.links: dict[LinkKey, dict[str, Any]] = {}

    # Commissioners

    def commissioner(self, code: str) -> tuple[Pct, bool]:
        """The commissioner of this (normalised) code, made if new (named by its code);
        whether it was made."""
        pct = self.pcts.get(code)
        if pct is not None:
            return pct, False
        pct = Pct(code=code, slug=code.lower(), name=code, kind=codes.commissioner_kind(code))
        if pct.slug in self.slugs:
            raise ValidationError({"slug": [f"PCT with this Slug already exists ({pct.slug})."]})
        self.slugs.add(pct.slug)
        self.pcts[code] = pct
        self.dirty_pcts[code] = pct
        return pct, True

    def set_pct(self, pct: Pct, **values: str) -> None:
        """Set a commissioner's fields, validated as a save would; written if changed."""
        changed = False
        for name, value in values.items():
            if getattr(pct, name) != value:
                setattr(pct, name, value)
                changed = True
        if changed or pct.pk is None:
            pct.full_clean(validate_unique=False, validate_constraints=False)
            self.dirty_pcts[pct.code] = pct

    # Localities

    def pcn_locality(self, code: str) -> Locality | None:
        found = self.pcns.get(code)
        return found[0] if found else None

    def new_locality(self, **values: Any) -> Locality:
        locality = Locality(**values)
        self.new_localities.append(locality)
        self.by_slug[locality.slug] = locality
        if locality.kind == Locality.Kind.PCN:
            self.pcns.setdefault(locality.code, []).append(locality)
        return locality

    def locality_of(self, practice: Practice) -> Locality:
        return self.by_id[practice.locality_id]

    def name_pcn(self, code: str, name: str) -> None:
        """Every PCN locality of this code takes this name."""
        for locality in self.pcns.get(code, []):
            if locality.name != name:
                locality.name = name
                if locality.pk is not None:
                    self.dirty_localities[locality.pk] = locality

    # Practices

    def set_practice(self, code: str, values: dict[str, Any]) -> bool:
        """Create or update the practice of this code, validated as a save would; whether it
        is new."""
        practice = self.practices.get(code)
        new = practice is None
        if practice is None:
            practice = Practice(code=code, **values)
            self.practices[code] = practice
            self.new_practices.append(practice)
        else:
            before = [getattr(practice, f) for f in PLAIN_FIELDS], practice.locality_id
            for name, value in values.items():
                setattr(practice, name, value)
            if before != ([values[f] for f in PLAIN_FIELDS], values["locality"].pk):
                self.dirty_practices.append(practice)
        # The locality is in hand (perhaps not yet written): not looked up again.
        practice.full_clean(exclude=["locality"], validate_unique=False, validate_constraints=False)
        return new

    # Links

    def link(self, child_kind: str, child: str, parent_kind: str, parent: str, **kw: Any) -> None:
        """One dated edge, as `OrgLink.objects.update_or_create` would make it: the fields
        given (end date, source) are set, others kept; a later call for the same edge wins."""
        key = (child_kind, child, parent_kind, parent, kw.pop("start_date", None))
        self.links.setdefault(key, {}).update(kw)

    # Writing

    def flush(self) -> None:
        """Write what changed: commissioners, then localities, practices and links (each
        new row's foreign key is set from the row it points at, written before it)."""
        new_pcts = [p for p in self.dirty_pcts.values() if p.pk is None]
        old_pcts = [p for p in self.dirty_pcts.values() if p.pk is not None]
        Pct.objects.bulk_create(new_pcts, batch_size=BATCH)
        Pct.objects.bulk_update(
            old_pcts, ["name", "kind", "parent_code", "region_code"], batch_size=BATCH
        )
        Locality.objects.bulk_create(self.new_localities, batch_size=BATCH)
        Locality.objects.bulk_update(
            list(self.dirty_localities.values()), ["name"], batch_size=BATCH
        )
        Practice.objects.bulk_create(self.new_practices, batch_size=BATCH)
        Practice.objects.bulk_update(self.dirty_practices, list(PRACTICE_FIELDS), batch_size=BATCH)
        self._flush_links()

    def _flush_links(self) -> None:
        existing: dict[LinkKey, OrgLink] = {
            (o.child_kind, o.child_code, o.parent_kind, o.parent_code, o.start_date): o
            for o in OrgLink.objects.all()
        }
        new: list[OrgLink] = []
        changed: list[OrgLink] = []
        for key, values in self.links.items():
            link = existing.get(key)
            if link is None:
                child_kind, child, parent_kind, parent, start = key
                new.append(
                    OrgLink(
                        child_kind=child_kind,
                        child_code=child,
                        parent_kind=parent_kind,
                        parent_code=parent,
                        start_date=start,
                        **values,
                    )
                )
            elif any(getattr(link, f) != v for f, v in values.items()):
                for f, v in values.items():
                    setattr(link, f, v)
                changed.append(link)
        OrgLink.objects.bulk_create(new, batch_size=BATCH)
        OrgLink.objects.bulk_update(changed, ["end_date", "source"], batch_size=BATCH)
