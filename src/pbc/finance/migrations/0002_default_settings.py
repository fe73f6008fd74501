"""Default finance settings, dated (a later row with a later date replaces each)."""

import datetime as dt
from decimal import Decimal

from django.db import migrations

DEFAULTS = [
    # key, line, value, valid_from, note
    ("practice_share", "", "0.7000", dt.date(2005, 4, 1), "PBC guidance: 70% practice, 30% PCT"),
    ("prescribing_lag_months", "", "2", dt.date(2005, 4, 1), "ePACT data about two months late"),
    ("fair_share_pace", "", "0.2500", dt.date(2005, 4, 1), "a quarter of the distance a year"),
    ("uplift", "", "0.0550", dt.date(2008, 4, 1), "2008/09 PCT allocation growth"),
    ("uplift", "", "0.0580", dt.date(2007, 4, 1), "2007/08 PCT allocation growth"),
]


def add(apps, schema_editor):
    FinanceSetting = apps.get_model("finance", "FinanceSetting")
    for key, line, value, valid_from, note in DEFAULTS:
        FinanceSetting.objects.get_or_create(
            key=key,
            line=line,
            valid_from=valid_from,
            defaults={"value": Decimal(value), "note": note},
        )


def remove(apps, schema_editor):
    FinanceSetting = apps.get_model("finance", "FinanceSetting")
    for key, line, _value, valid_from, _note in DEFAULTS:
        FinanceSetting.objects.filter(key=key, line=line, valid_from=valid_from).delete()


class Migration(migrations.Migration):
    dependencies = [("finance", "0001_initial")]
    operations = [migrations.RunPython(add, remove)]
