"""Many new rows of one model at once: the batch paths (a cohort's awards and their outbox emails).

``RowMaker(Model).new(**values)`` builds an unsaved instance: its field values, defaults filled in,
written straight into the instance's ``__dict__`` with a fresh ``ModelState``, which is what
``Model.__init__`` ends with for these fields (it calls each field's descriptor, and those of plain,
foreign-key and file fields only store the value there). About a fifth of the cost of
``Model(**kwargs)``. It falls back to the model's constructor for a model with ``pre_init`` or
``post_init`` receivers or a field whose descriptor does more (``tests/issuers/test_rows.py``
compares the two).
``rows_insert`` stores them: on PostgreSQL a large batch goes through one ``COPY`` with the primary
keys taken from the table's sequence beforehand (several times faster than the multi-row ``INSERT``
of ``bulk_create``, and nothing is read back); otherwise ``bulk_create``.
``RowWrites`` stores the new rows of several tables, and other writes, together: on PostgreSQL, when
each table has fewer than ``COPY_FROM`` new rows, as *one* statement of data-modifying ``WITH`` parts
(a single award's five INSERTs were five round trips and four trips through the ORM's insert compiler),
each value converted by its field as ``bulk_create`` converts it; otherwise each part on its own
(``rows_insert``). ``tests/issuers/test_rows.py`` compares the two.
"""

from __future__ import annotations

import functools
import itertools
import json
import operator
import os
import re
import uuid
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any, Generic, TypeVar

from django.db import connection, models
from django.db.models.base import ModelState
from django.db.models.fields.files import FileDescriptor
from django.db.models.fields.related_descriptors import ForeignKeyDeferredAttribute
from django.db.models.query_utils import DeferredAttribute
from django.db.models.signals import post_init, pre_init
from django.utils import timezone

M = TypeVar("M", bound=models.Model)
COPY_FROM = 100  # below this many rows, bulk_create's INSERT is as quick
# Descriptors whose __set__ (if any) only stores the value in the instance's __dict__ on a new instance.
_PLAIN_DESCRIPTORS = (DeferredAttribute, ForeignKeyDeferredAttribute, FileDescriptor)


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
        self._static = {name: default for name, default, call in self._defaults if not call}
        self._calls = [(name, default) for name, default, call in self._defaults if call]
        self._direct: bool | None = None  # decided at the first row, once every app's receivers are connected
        pk = model._meta.pk
        assert pk is not None  # every concrete model has one
        self.pk_attname, self.pk_column = pk.attname, str(pk.column)
        # A key the database gives (a sequence), not one made here (a UUID default)
        self.pk_generated = pk.attname not in {name for name, default in self._calls}

    def insert_fields(self, objs: Sequence[M]) -> tuple[list[models.Field[Any, Any]], bool]:
        """The fields an ``INSERT`` of these new instances writes, as ``bulk_create`` chooses them (the
        primary key left to the database when none of them has one), and whether it is left out."""
        if self.pk_generated and all(getattr(obj, self.pk_attname) is None for obj in objs):
            return [f for f in self.fields if f.attname != self.pk_attname], True
        return self.fields, False

    def _can_write_directly(self) -> bool:
        model = self.model
        return (not pre_init.has_listeners(model) and not post_init.has_listeners(model)
                and all(type(model.__dict__.get(f.attname)) in _PLAIN_DESCRIPTORS for f in self.fields))

    def new(self, **values: Any) -> M:
        """An unsaved instance; ``values`` name fields by attname (``tenant_id``, not ``tenant``)."""
        if not values.keys() <= self.names:
            raise TypeError(f"{self.model.__name__} has no field {sorted(values.keys() - self.names)}")
        if self._direct is None:
            self._direct = self._can_write_directly()
        if not self._direct:
            return self.model(*[values[name] if name in values else (default() if call else default)
                                for name, default, call in self._defaults])
        state = dict(self._static)
        for name, default in self._calls:
            if name not in values:
                state[name] = default()
        state.update(values)
        obj = self.model.__new__(self.model)
        state["_state"] = ModelState()
        obj.__dict__.update(state)
        return obj


@functools.cache
def row_maker(model: type[M]) -> RowMaker[M]:
    """The process's one ``RowMaker`` of a model, for modules that write its rows together."""
    return RowMaker(model)


def rows_insert(maker: RowMaker[M], objs: Sequence[M]) -> None:
    """Insert new instances (from ``maker.new``); afterwards each has its primary key and counts as saved."""
    if connection.vendor != "postgresql" or len(objs) < COPY_FROM:
        maker.model._default_manager.bulk_create(objs, batch_size=1000)
        return
    meta = maker.model._meta
    pk = meta.pk
    assert pk is not None  # every concrete model has one
    if pk.attname not in {name for name, default, call in maker._defaults if call}:  # a sequence, not a UUID
        with connection.cursor() as cursor:
            cursor.execute("SELECT nextval(pg_get_serial_sequence(%s, %s)) FROM generate_series(1, %s)",
                           [meta.db_table, pk.column, len(objs)])
            for obj, (value,) in zip(objs, cursor.fetchall(), strict=True):
                setattr(obj, pk.attname, value)

    # The row is the instance's values in column order; only JSON and file columns are converted.
    take = operator.itemgetter(*[f.attname for f in maker.fields])
    convert: list[tuple[int, Callable[[Any], Any]]] = []
    for position, f in enumerate(maker.fields):
        if isinstance(f, models.JSONField):  # as text, which the server reads into jsonb like any COPY value
            convert.append((position, _json_text(f.encoder)))
        elif isinstance(f, models.FileField):
            convert.append((position, _file_name))
    rows = [take(obj.__dict__) for obj in objs]
    columns = [list(column) for column in zip(*rows, strict=True)]
    for position, conv in convert:
        columns[position] = [conv(value) for value in columns[position]]
    data = _copy_text(columns)
    names = ", ".join(connection.ops.quote_name(str(f.column)) for f in maker.fields)
    table = connection.ops.quote_name(meta.db_table)
    with connection.cursor() as cursor, cursor.cursor.copy(f"COPY {table} ({names}) FROM STDIN") as copy:
        if data is not None:
            copy.write(data)
        else:  # a value of a type _copy_text does not write: psycopg's own conversions, a row at a time
            for row in zip(*columns, strict=True):
                copy.write_row(row)
    alias = connection.alias  # once: each read goes through the connection proxy's thread-local lookup
    for obj in objs:
        obj._state.adding, obj._state.db = False, alias


_SPECIAL = re.compile(r"[\\\t\n\r]")
_ESCAPES = str.maketrans({"\\": "\\\\", "\t": "\\t", "\n": "\\n", "\r": "\\r"})


class _NotText(Exception):
    """A value ``_copy_text`` does not know how to write."""


def _value_text(value: Any) -> str:
    """One value in COPY's text format (what the server's input function of the column reads)."""
    if value is None:
        return "\\N"
    if isinstance(value, str):
        return value.translate(_ESCAPES) if _SPECIAL.search(value) else value
    kind = type(value)
    if kind is bool:
        return "t" if value else "f"
    if kind is int:
        return str(value)
    if kind is datetime or kind is date:  # ISO 8601, with the offset of an aware datetime
        return value.isoformat()
    if kind is uuid.UUID:
        return value.hex
    raise _NotText(kind)


def _column_text(column: list[Any]) -> Iterator[str] | list[str]:
    """A column's values as text: one conversion for a value every row shares (most of a batch's columns:
    its college, badge, moment, defaults), plain strings and numbers without a call per value."""
    first = column[0]
    if column[-1] == first and column.count(first) == len(column):
        return itertools.repeat(_value_text(first), len(column))
    kinds = set(map(type, column))
    if kinds == {str}:
        return column if _SPECIAL.search("".join(column)) is None else [_value_text(v) for v in column]
    if kinds == {int}:
        return list(map(str, column))
    if kinds == {uuid.UUID}:
        return [f"{v.int:032x}" for v in column]
    return [_value_text(v) for v in column]


def _copy_text(columns: list[list[Any]]) -> str | None:
    """The rows (given by column) as one buffer of COPY's text format: psycopg's ``write_row`` converted
    every value of every row, a tenth of recording a cohort. None if a value is of a type not written here."""
    try:
        texts = [_column_text(column) for column in columns]
    except _NotText:
        return None
    return "".join(f"{line}\n" for line in map("\t".join, zip(*texts, strict=True)))


_SET = object.__setattr__
_VERSION_4 = (0x4 << 76) | (0x8 << 60)  # version 4, variant RFC 4122 (RFC 9562, section 5.4)
_CLEAR = ~((0xF << 76) | (0xC << 60)) & ((1 << 128) - 1)


def random_ids(count: int, *, uuids: int, hex_bytes: int) -> tuple[list[list[uuid.UUID]], list[str]]:
    """Random values for ``count`` new rows from one ``os.urandom`` call: for each row ``uuids`` version-4
    UUIDs (what ``uuid.uuid4()`` makes) and a string of ``hex_bytes`` random bytes in hex, to cut into
    salts and nonces (``secrets.token_hex`` is ``os.urandom(n).hex()``). Per award, two ``uuid4()`` and
    two ``token_hex`` were a tenth of recording a cohort: one system call each, and ``UUID.__init__``
    checking its arguments; this sets the value as ``UUID.__init__`` ends by doing."""
    width = 16 * uuids + hex_bytes
    data = os.urandom(count * width)
    ids, texts = [], []
    for start in range(0, count * width, width):
        row = []
        for at in range(start, start + 16 * uuids, 16):
            value = uuid.UUID.__new__(uuid.UUID)
            _SET(value, "int", (int.from_bytes(data[at:at + 16], "big") & _CLEAR) | _VERSION_4)
            _SET(value, "is_safe", uuid.SafeUUID.unknown)
            row.append(value)
        ids.append(row)
        texts.append(data[start + 16 * uuids:start + width].hex())
    return ids, texts


@dataclass(slots=True)
class _Insert:
    maker: RowMaker[Any]
    objs: Sequence[models.Model]
    ids_into: dict[str, tuple[str, int]]  # JSON column -> (key, number of the insert part whose keys it lists)


@dataclass(slots=True)
class _Statement:
    sql: str
    params: list[Any] = field(default_factory=list)


class RowWrites:
    """Writes made together, in the order added: new instances (``insert``) and statements that return
    nothing (``statement``). ``execute()`` stores them; then each instance has its primary key and counts
    as saved. A JSON column can list the primary keys of an earlier part's rows (``ids_into``), which
    the server assigns as it stores them: an announcement names the awards written beside it."""

    def __init__(self) -> None:
        self._parts: list[_Insert | _Statement] = []

    def insert(self, maker: RowMaker[M], objs: Sequence[M], *, ids_into: dict[str, tuple[str, int]] | None = None,
               ) -> int:
        """Queue new instances (from ``maker.new``); returns the part's number, for a later ``ids_into``.
        ``ids_into`` maps a JSON column to (key, part): that key of each row's object (a dict) becomes the
        list of the primary keys of that part's rows, in their order."""
        for column, (_, source) in (ids_into or {}).items():
            assert isinstance(self._parts[source], _Insert), column
        self._parts.append(_Insert(maker, objs, ids_into or {}))
        return len(self._parts) - 1

    def statement(self, sql: str, params: list[Any]) -> None:
        """Queue an ``INSERT``, ``UPDATE`` or ``DELETE`` that returns nothing (a tally's upsert, say)."""
        self._parts.append(_Statement(sql, params))

    def execute(self) -> None:
        inserts = [part for part in self._parts if isinstance(part, _Insert)]
        if connection.vendor == "postgresql" and all(len(part.objs) < COPY_FROM for part in inserts):
            self._execute_together()
            return
        for part in self._parts:
            if isinstance(part, _Statement):
                with connection.cursor() as cursor:
                    cursor.execute(part.sql, part.params)
                continue
            self._fill_ids(part)
            if part.objs:
                rows_insert(part.maker, part.objs)

    def _fill_ids(self, part: _Insert) -> None:
        for column, (key, source) in part.ids_into.items():
            ids = [obj.pk for obj in self._insert(source).objs]
            for obj in part.objs:
                getattr(obj, column)[key] = ids

    def _insert(self, number: int) -> _Insert:
        part = self._parts[number]
        assert isinstance(part, _Insert)
        return part

    def _execute_together(self) -> None:
        """One statement: ``WITH w0 AS (INSERT ...), w1 AS (INSERT ... RETURNING id), ... SELECT`` the keys
        the server gave. Every part of a ``WITH`` runs exactly once, whether or not the query reads it.
        Only our models' table and column names are formatted in; every value is a parameter."""
        quote = connection.ops.quote_name
        parts: list[str] = []
        params: list[Any] = []
        returning: list[_Insert] = []
        for number, part in enumerate(self._parts):
            if isinstance(part, _Statement):
                parts.append(f"w{number} AS ({part.sql})")
                params += part.params
            elif part.objs:
                sql, generated = self._insert_sql(part, params)
                parts.append(f"w{number} AS ({sql})")
                if generated:
                    returning.append(part)
        # array_agg over a part reads its rows in the order its INSERT returned them: the order of its
        # VALUES, which bulk_create relies on too to give each instance its key.
        selects = ", ".join(f"(SELECT array_agg({quote(part.maker.pk_column)}) "  # noqa: S608 - our names
                            f"FROM w{self._parts.index(part)})" for part in returning) or "1"
        with connection.cursor() as cursor:
            cursor.execute(f"WITH {', '.join(parts)} SELECT {selects}", params)  # noqa: S608 - our names
            keys = cursor.fetchone()
        for part, ids in zip(returning, keys, strict=False):
            for obj, value in zip(part.objs, ids, strict=True):
                setattr(obj, part.maker.pk_attname, value)
        alias = connection.alias
        for part in self._parts:
            if isinstance(part, _Insert):
                self._fill_ids(part)
                for obj in part.objs:
                    obj._state.adding, obj._state.db = False, alias

    def _insert_sql(self, part: _Insert, params: list[Any]) -> tuple[str, bool]:
        """The part's ``INSERT`` (its values added to ``params``), and whether it returns the keys it got."""
        quote = connection.ops.quote_name
        fields, generated = part.maker.insert_fields(part.objs)
        placeholders = []
        for f in fields:
            into = part.ids_into.get(f.attname)
            if into is None:
                placeholders.append("%s")
            elif self._insert(into[1]).objs:
                key_column = quote(self._insert(into[1]).maker.pk_column)
                placeholders.append(f"jsonb_set(%s, %s, (SELECT jsonb_agg({key_column}) FROM w{into[1]}))")  # noqa: S608
            else:
                placeholders.append("jsonb_set(%s, %s, '[]'::jsonb)")
        # Each value converted by its field, as bulk_create converts it (a JSON value to Jsonb, ...).
        prepare = [(f.attname, f.get_db_prep_save, part.ids_into.get(f.attname)) for f in fields]
        for obj in part.objs:
            values = obj.__dict__
            for attname, prep, into in prepare:
                params.append(prep(values[attname], connection))
                if into is not None:
                    params.append([into[0]])  # the path of the key jsonb_set replaces
        row = f"({', '.join(placeholders)})"
        columns = ", ".join(quote(str(f.column)) for f in fields)
        rows = ", ".join([row] * len(part.objs))
        sql = f"INSERT INTO {quote(part.maker.model._meta.db_table)} ({columns}) VALUES {rows}"  # noqa: S608
        return (f"{sql} RETURNING {quote(part.maker.pk_column)}" if generated else sql), generated


def _json_text(encoder: type[json.JSONEncoder] | None) -> Callable[[Any], str]:
    """``json.dumps(value, cls=encoder)`` (as ``JSONField`` dumps it) from one encoder made once, not one per
    value; empty lists and objects, most of a cohort's, without the encoder at all."""
    encode = (encoder or json.JSONEncoder)().encode

    def text(value: Any) -> str:
        if not value and isinstance(value, (list, dict)):
            return "[]" if isinstance(value, list) else "{}"
        return encode(value)

    return text


def _file_name(value: Any) -> str:
    """A file field's column: the name of its file, or the name a new row was given as a string."""
    if value is None:
        return ""
    return value if isinstance(value, str) else (value.name or "")


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
