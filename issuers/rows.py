"""Many new rows of one model at once: the batch paths (a cohort's awards and their outbox emails).

``RowMaker(Model).new(**values)`` builds an unsaved instance the way Django builds one it read from
the database (positional values, every default filled in once per field kind), about half the cost
of ``Model(**kwargs)``, which resolves every keyword and foreign-key object one by one.
``rows_insert`` stores them: on PostgreSQL a large batch goes through one ``COPY`` with the primary
keys taken from the table's sequence beforehand (several times faster than the multi-row ``INSERT``
of ``bulk_create``, and nothing is read back); otherwise ``bulk_create``.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any, Generic, TypeVar

from django.db import connection, models
from django.utils import timezone

M = TypeVar("M", bound=models.Model)
COPY_FROM = 100  # below this many rows, bulk_create's INSERT is as quick


class RowMaker(Generic[M]):
    def __init__(self, model: type[M]) -> None:
        self.model = model
        self.fields: list[models.Field[Any, Any]] = list(model._meta.concrete_fields)
        self.names = frozenset(f.attname for f in self.fields)
        # (attname, default, call it?) in the model's column order, decided once.
        self._defaults: list[tuple[str, Any, bool]] = []
        for f in self.fields:
            if getattr(f, "auto_now", False) or getattr(f, "auto_now_add", False):
                self._defaults.append((f.attname, timezone.now, True))
            elif f.has_default():
                self._defaults.append((f.attname, f.default, callable(f.default)))
            elif f.primary_key or f.null:
                self._defaults.append((f.attname, None, False))
            else:
                self._defaults.append((f.attname, "" if f.empty_strings_allowed else None, False))

    def new(self, **values: Any) -> M:
        """An unsaved instance; ``values`` name fields by attname (``tenant_id``, not ``tenant``)."""
        if not values.keys() <= self.names:
            raise TypeError(f"{self.model.__name__} has no field {sorted(values.keys() - self.names)}")
        return self.model(*[values[name] if name in values else (default() if call else default)
                            for name, default, call in self._defaults])


def rows_insert(maker: RowMaker[M], objs: Sequence[M]) -> None:
    """Insert new instances (from ``maker.new``); afterwards each has its primary key and counts as saved."""
    if connection.vendor != "postgresql" or len(objs) < COPY_FROM:
        maker.model._default_manager.bulk_create(objs, batch_size=1000)
        return
    from psycopg.types.json import Jsonb

    meta = maker.model._meta
    pk = meta.pk
    assert pk is not None  # every concrete model has one
    if pk.attname not in {name for name, default, call in maker._defaults if call}:  # a sequence, not a UUID
        with connection.cursor() as cursor:
            cursor.execute("SELECT nextval(pg_get_serial_sequence(%s, %s)) FROM generate_series(1, %s)",
                           [meta.db_table, pk.column, len(objs)])
            for obj, (value,) in zip(objs, cursor.fetchall(), strict=True):
                setattr(obj, pk.attname, value)

    def getter(f: models.Field[Any, Any]) -> Callable[[M], Any]:  # decided once per field, not per row
        if isinstance(f, models.JSONField):
            return lambda obj: Jsonb(getattr(obj, f.attname))
        if isinstance(f, models.FileField):
            return lambda obj: getattr(obj, f.attname).name or ""
        return lambda obj: obj.__dict__[f.attname]

    getters = [getter(f) for f in maker.fields]
    columns = ", ".join(connection.ops.quote_name(str(f.column)) for f in maker.fields)
    table = connection.ops.quote_name(meta.db_table)
    with connection.cursor() as cursor, cursor.cursor.copy(f"COPY {table} ({columns}) FROM STDIN") as copy:
        for obj in objs:
            copy.write_row([get(obj) for get in getters])
    for obj in objs:
        obj._state.adding, obj._state.db = False, connection.alias


def rows_update(model: type[models.Model], column: str, values: Sequence[tuple[int, Any]], **same: Any) -> None:
    """Set ``column`` of many rows, each its own value (``values``: (primary key, value)), and the columns
    ``same`` to one value each, in one statement per 400 rows (``UPDATE ... FROM``; PostgreSQL, SQLite
    3.33+). A small ``UPDATE`` per row costs more than the work that produced the value, and the ORM's
    ``bulk_update`` builds a ``CASE`` per row. Only column names and placeholders are formatted in."""
    meta = model._meta
    quote = connection.ops.quote_name
    table, pk = quote(meta.db_table), quote(str(meta.pk.column))  # type: ignore[union-attr]
    settings = [f"{quote(str(meta.get_field(column).column))} = v.value"]  # type: ignore[union-attr]
    settings += [f"{quote(str(meta.get_field(name).column))} = %s" for name in same]  # type: ignore[union-attr]
    for start in range(0, len(values), 400):  # SQLite allows 500 SELECTs in one UNION
        part = values[start:start + 400]
        rows = " UNION ALL ".join(["SELECT %s AS id, %s AS value"] * len(part))
        params: list[Any] = list(same.values())
        for key, value in part:
            params += [key, value]
        with connection.cursor() as cursor:
            cursor.execute(f"UPDATE {table} SET {', '.join(settings)} FROM ({rows}) AS v "  # noqa: S608
                           f"WHERE {table}.{pk} = v.id", params)
