"""Versioned address lists: every load is a new, immutable version with its publication date.

Store versions are one global sequence over all lists. A *snapshot at version N* holds, for each
list, its newest version numbered at most N; a decision records N as its `list_version`, so
replaying it reads exactly the lists it was made against, however many updates came later.
"""

from __future__ import annotations

import dataclasses
import hashlib
import time
from collections import OrderedDict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime
from enum import StrEnum
from typing import Any

from sqlalchemy import Engine, func, insert, select
from sqlalchemy.exc import SQLAlchemyError

from risk.compliance._model import normalize_address
from risk.compliance._ofac import ListedAddress, ListFormat, ParsedList
from risk.compliance._tables import list_entries, list_versions, open_store
from risk.compliance.errors import StoreError, UnknownListVersion

_CACHED_VERSIONS = 8  # address sets kept in memory; a 1M-address list is ~130 MB
_INSERT_CHUNK = 50_000


class ListEffect(StrEnum):
    """What being on a list means for an address."""

    SANCTIONS = "sanctions"  # an official sanctions list (OFAC SDN): deny
    DENY = "deny"  # the desk's own deny list: deny
    ALLOW = "allow"  # the desk's allow list: clears review findings, never a sanctions hit
    MIXER = "mixer"  # known mixers: contact is a risk flag, not a sanctions hit


@dataclass(frozen=True)
class ListVersion:
    """One loaded version of one list."""

    version: int
    list_name: str
    effect: ListEffect
    format: str
    published: date
    digest: str
    entry_count: int
    loaded_ts_ns: int
    source: str

    @classmethod
    def from_row(cls, row: Any) -> ListVersion:
        return cls(version=row.version, list_name=row.list_name, effect=ListEffect(row.effect),
                   format=row.format, published=date.fromisoformat(row.published),
                   digest=row.digest, entry_count=row.entry_count,
                   loaded_ts_ns=row.loaded_ts_ns, source=row.source)

    def to_dict(self) -> dict[str, Any]:
        return {"version": self.version, "list_name": self.list_name,
                "effect": self.effect.value, "format": self.format,
                "published": self.published.isoformat(), "digest": self.digest,
                "entry_count": self.entry_count, "loaded_ts_ns": self.loaded_ts_ns,
                "source": self.source}


@dataclass(frozen=True)
class ListHit:
    """An address found on a list version."""

    list_version: ListVersion
    address: str


@dataclass(frozen=True)
class ListSnapshot:
    """The lists as they stood at one store version, with their addresses in memory."""

    version: int
    lists: tuple[ListVersion, ...]
    members: tuple[frozenset[str], ...]  # same order as `lists`

    def hits(self, address: str) -> list[ListHit]:
        """Every list (at this snapshot) that holds `address` (already normalized)."""
        return [ListHit(listed, address)
                for listed, members in zip(self.lists, self.members, strict=True)
                if address in members]

    def addresses(self, effect: ListEffect) -> frozenset[str]:
        """The union of every list with `effect`."""
        sets = [m for listed, m in zip(self.lists, self.members, strict=True)
                if listed.effect is effect]
        return sets[0] if len(sets) == 1 else frozenset().union(*sets)

    def has_effect(self, effect: ListEffect) -> bool:
        return any(listed.effect is effect for listed in self.lists)


class ListStore:
    """Every version of every address list, in a SQL database."""

    def __init__(self, url: str, engine: Engine | None = None) -> None:
        self.url = url
        self._engine = engine or open_store(url)
        self._members: OrderedDict[int, frozenset[str]] = OrderedDict()

    @property
    def engine(self) -> Engine:
        return self._engine

    def close(self) -> None:
        self._engine.dispose()

    def load(self, list_name: str, effect: ListEffect, parsed: ParsedList, source: str,
             ts_ns: int | None = None) -> ListVersion:
        """Store `parsed` as the newest version of `list_name`; return it.

        Loading bytes identical to the list's newest version adds nothing and returns that
        version, so a daily sync of an unchanged file does not multiply versions.
        """
        latest = self._newest_of(list_name)
        if latest is not None and latest.digest == parsed.digest and latest.effect is effect:
            return latest
        stored = ListVersion(version=0, list_name=list_name, effect=effect,
                             format=parsed.format.value, published=parsed.published,
                             digest=parsed.digest, entry_count=len(parsed.entries),
                             loaded_ts_ns=ts_ns or time.time_ns(), source=source)
        row = stored.to_dict()
        del row["version"]
        try:
            with self._engine.begin() as connection:
                key = connection.execute(insert(list_versions).values(**row)).inserted_primary_key
                assert key is not None
                version = int(key[0])
                self._insert_entries(connection, version, parsed.entries)
        except SQLAlchemyError as error:
            raise StoreError(f"could not store list {list_name!r}: {error}") from error
        return dataclasses.replace(stored, version=version)

    @staticmethod
    def _insert_entries(connection: Any, version: int, entries: Sequence[ListedAddress]) -> None:
        for start in range(0, len(entries), _INSERT_CHUNK):
            chunk = entries[start:start + _INSERT_CHUNK]
            connection.execute(insert(list_entries), [
                {"version": version, "address": e.address, "currency": e.currency,
                 "entity_uid": e.entity_uid, "entity_name": e.entity_name} for e in chunk])

    def load_addresses(self, list_name: str, effect: ListEffect, addresses: Iterable[str],
                       published: date | None = None, source: str = "api") -> ListVersion:
        """Store a list given as addresses (local allow/deny/mixer lists managed in code)."""
        keys = sorted({normalize_address(a, f"{list_name} entry") for a in addresses})
        digest = hashlib.sha256("\n".join(keys).encode()).hexdigest()
        entries = tuple(ListedAddress(k, "ETH", "", "") for k in keys)
        when = published or datetime.now(UTC).date()
        return self.load(list_name, effect, ParsedList(ListFormat.PLAIN, when, digest, entries),
                         source)

    def latest_version(self) -> int:
        """The newest store version (0 when nothing was ever loaded)."""
        with self._engine.connect() as connection:
            value = connection.execute(select(func.max(list_versions.c.version))).scalar()
        return int(value or 0)

    def versions(self, list_name: str | None = None) -> list[ListVersion]:
        """Every stored version, oldest first (of one list, or of all)."""
        query = select(list_versions).order_by(list_versions.c.version)
        if list_name is not None:
            query = query.where(list_versions.c.list_name == list_name)
        with self._engine.connect() as connection:
            return [ListVersion.from_row(row) for row in connection.execute(query)]

    def _newest_of(self, list_name: str) -> ListVersion | None:
        found = self.versions(list_name)
        return found[-1] if found else None

    def snapshot(self, version: int | None = None) -> ListSnapshot:
        """The lists as of store version `version` (default: the newest)."""
        latest = self.latest_version()
        at = latest if version is None else version
        if version is not None and not 0 <= version <= latest:
            raise UnknownListVersion(version, latest)
        newest: dict[str, ListVersion] = {}
        for listed in self.versions():
            if listed.version <= at:
                newest[listed.list_name] = listed
        lists = tuple(sorted(newest.values(), key=lambda v: v.list_name))
        return ListSnapshot(at, lists, tuple(self._members_of(v.version) for v in lists))

    def _members_of(self, version: int) -> frozenset[str]:
        cached = self._members.get(version)
        if cached is not None:
            self._members.move_to_end(version)
            return cached
        query = select(list_entries.c.address).where(list_entries.c.version == version)
        with self._engine.connect() as connection:
            members = frozenset(connection.execute(query).scalars())
        self._members[version] = members
        while len(self._members) > _CACHED_VERSIONS:
            self._members.popitem(last=False)
        return members

    def entries(self, version: int, address: str) -> list[ListedAddress]:
        """The entries for `address` in one list version (who it belongs to, which currency)."""
        query = select(list_entries).where(list_entries.c.version == version,
                                           list_entries.c.address == address)
        with self._engine.connect() as connection:
            return [ListedAddress(r.address, r.currency, r.entity_uid, r.entity_name)
                    for r in connection.execute(query)]

    def contains(self, version: int, address: str) -> bool:
        """An indexed point lookup in the database, without loading the list into memory."""
        query = select(list_entries.c.version).where(list_entries.c.address == address,
                                                     list_entries.c.version == version).limit(1)
        with self._engine.connect() as connection:
            return connection.execute(query).first() is not None

