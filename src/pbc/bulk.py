"""Insert many rows of a model fast: `insert_rows(Model, rows)`.

`Model.objects.bulk_create` builds a model instance per row and compiles a multi-row INSERT per
batch, preparing every value through the field machinery; for the hundreds of thousands of facts
a refresh stores that is most of its time. `insert_rows` takes plain mappings (field attribute
name -> value, e.g. `practice_id`), prepares each value once with a converter chosen per field
(values a driver takes as they are pass straight through), and runs one parameterised INSERT
with `executemany` (on PostgreSQL, one `COPY … FROM STDIN` per batch). Fields a row leaves out
get the field's default (`auto_now` and `auto_now_add` fields: one "now" for the whole insert).

Use it only for plain rows: no signals are sent, no `save()` runs, primary keys are not returned.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from itertools import islice
from typing import Any

from django.db import connections, models, router
from django.utils import timezone

BATCH = 5000

# Field types whose Python values (int, str, bool, None) every driver takes as they are.
_PASS_THROUGH = (
    models.ForeignKey,  # given as the primary key it points to
    models.IntegerField,  # and its small/big/positive kinds
    models.CharField,
    models.TextField,
    models.BooleanField,
    models.FloatField,
)


def _converter(field: models.Field[Any, Any], connection: Any) -> Callable[[Any], Any]:
    if isinstance(field, _PASS_THROUGH) and not isinstance(field, models.AutoField):
        return lambda value: value
    if type(field) is models.DateField:
        return connection.ops.adapt_datefield_value  # type: ignore[no-any-return]
    if isinstance(field, models.DateTimeField):
        return _repeats_once(lambda value: field.get_db_prep_save(value, connection))
    if isinstance(field, models.JSONField):
        # Most rows carry an empty object (the field's usual default): prepared once.
        empty = field.get_db_prep_save({}, connection)
        return lambda value: (
            empty
            if type(value) is dict and not value
            else field.get_db_prep_save(value, connection)
        )
    return lambda value: field.get_db_prep_save(value, connection)


def _repeats_once(convert: Callable[[Any], Any]) -> Callable[[Any], Any]:
    """`convert`, worked out once for a run of the same object (rows stamped with one `now`)."""
    last: list[Any] = [object(), None]

    def once(value: Any) -> Any:
        if value is not last[0]:
            last[0], last[1] = value, convert(value)
        return last[1]

    return once


def _default(field: models.Field[Any, Any]) -> Callable[[], Any]:
    """A field's default for rows that leave it out; `auto_now` and `auto_now_add` fields take
    one "now" for the whole insert (the moment it started), not one per row."""
    if getattr(field, "auto_now", False) or getattr(field, "auto_now_add", False):
        now = timezone.now() if isinstance(field, models.DateTimeField) else timezone.localdate()
        return lambda: now
    return field.get_default


def insert_rows(
    model: type[models.Model], rows: Iterable[Mapping[str, Any]], batch_size: int = BATCH
) -> int:
    """Insert `rows` (mappings of field attribute names to values) into `model`'s table; return
    how many were inserted. Run it inside the caller's transaction for all-or-nothing."""
    fields = [f for f in model._meta.concrete_fields if not f.primary_key]
    using = router.db_for_write(model)
    connection = connections[using]
    quote = connection.ops.quote_name
    columns = ", ".join(quote(f.column) for f in fields)
    marks = ", ".join(["%s"] * len(fields))
    sql = f"INSERT INTO {quote(model._meta.db_table)} ({columns}) VALUES ({marks})"
    plan = [(f.attname, _converter(f, connection), _default(f)) for f in fields]
    known = {f.attname for f in fields}
    missing = object()
    inserted = 0
    it = iter(rows)
    copy = f"COPY {quote(model._meta.db_table)} ({columns}) FROM STDIN"
    with connection.cursor() as cursor:
        while batch := list(islice(it, batch_size)):
            unknown = set(batch[0]) - known
            if unknown:
                raise ValueError(f"{model.__name__} has no field(s) {', '.join(sorted(unknown))}")
            params = []
            for row in batch:
                values = []
                for name, convert, default in plan:
                    value = row.get(name, missing)
                    values.append(convert(default() if value is missing else value))
                params.append(values)
            if connection.vendor == "postgresql":
                # PostgreSQL's COPY: one stream of rows, no statement per row.
                with cursor.cursor.copy(copy) as stream:
                    for values in params:
                        stream.write_row(values)
            else:
                cursor.executemany(sql, params)
            inserted += len(batch)
    return inserted
