"""The pluggable screening sources. Each turns addresses into reasons; none decides alone.

A source implements `ScreeningSource`: given the subjects of a leg and the context (venue, list
snapshot), it returns reasons per address. The screener combines them. Sources that cannot
answer do not raise through the gate: they return an `*_unavailable` reason whose outcome the
configuration chooses, deny by default (fail closed).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Protocol

from pydantic import BaseModel, ConfigDict, Field
from sqlalchemy import Engine

from risk.compliance._lists import ListEffect, ListSnapshot, ListStore
from risk.compliance._model import (
    AddressRole,
    Decision,
    Reason,
    ReasonCode,
    RiskCategory,
    ScreenedAddress,
)
from risk.compliance._transfers import TransferGraph, read_transfers
from risk.compliance._typologies import TypologyRules, all_typologies


@dataclass(frozen=True)
class ScreeningContext:
    """What every source may read while screening one leg."""

    venue: str
    snapshot: ListSnapshot
    ts_ns: int


Findings = dict[str, list[Reason]]


class ScreeningSource(Protocol):
    """One place screening knowledge comes from."""

    @property
    def name(self) -> str: ...

    def findings(self, subjects: Sequence[ScreenedAddress],
                 context: ScreeningContext) -> Findings: ...


_EFFECT_REASONS = {
    ListEffect.SANCTIONS: (ReasonCode.SANCTIONS_LIST_HIT, Decision.DENY, RiskCategory.SANCTIONS,
                           100),
    ListEffect.DENY: (ReasonCode.LOCAL_DENY_LIST, Decision.DENY, RiskCategory.LOCAL_POLICY, 100),
    ListEffect.ALLOW: (ReasonCode.ALLOW_LISTED, Decision.ALLOW, RiskCategory.LOCAL_POLICY, 0),
    ListEffect.MIXER: (ReasonCode.MIXER_CONTACT, Decision.REVIEW, RiskCategory.MIXER, 70),
}


class ListSource:
    """The versioned lists (OFAC SDN, local deny, allow and mixer lists) at the snapshot."""

    name = "lists"

    def __init__(self, store: ListStore, require_sanctions_list: bool = True) -> None:
        self.store = store
        self.require_sanctions_list = require_sanctions_list

    def findings(self, subjects: Sequence[ScreenedAddress],
                 context: ScreeningContext) -> Findings:
        found: Findings = {}
        missing = self.require_sanctions_list and not context.snapshot.has_effect(
            ListEffect.SANCTIONS)
        for subject in subjects:
            reasons = found.setdefault(subject.address, [])
            if missing:
                reasons.append(Reason(
                    ReasonCode.NO_SANCTIONS_LIST,
                    "no sanctions list is loaded; load one with `crossbook screen sync`",
                    Decision.DENY, RiskCategory.UNAVAILABLE, 100, self.name))
            for hit in context.snapshot.hits(subject.address):
                reasons.append(self._reason(hit.list_version.version, subject.address,
                                            hit.list_version.list_name,
                                            hit.list_version.effect,
                                            hit.list_version.published.isoformat()))
        return found

    def _reason(self, version: int, address: str, list_name: str, effect: ListEffect,
                published: str) -> Reason:
        code, outcome, category, score = _EFFECT_REASONS[effect]
        entries = self.store.entries(version, address) if effect is ListEffect.SANCTIONS else []
        who = "; ".join(f"{e.entity_name} (uid {e.entity_uid}, listed as {e.currency})"
                        for e in entries)
        text = f"on list {list_name!r} version {version} published {published}"
        return Reason(code, f"{text}: {who}" if who else text, outcome, category, score,
                      self.name)


class ExposurePolicy(BaseModel):
    """How exposure to listed addresses counts, and the typology thresholds."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    max_hops: int = Field(default=2, ge=1, le=6)
    direct_outcome: Decision = Field(default=Decision.REVIEW,
                                     description="a transfer with a listed address")
    indirect_outcome: Decision = Field(default=Decision.REVIEW,
                                       description="listed address 2..max_hops transfers away")
    hop_scores: tuple[int, ...] = Field(default=(90, 60, 40, 30, 20, 10),
                                        description="risk score at 1, 2, ... hops")
    typologies: TypologyRules = Field(default_factory=TypologyRules)
    # Pools and token contracts trade with everyone: their transfer graph says nothing about
    # the leg, so they get the list and oracle checks only.
    roles: frozenset[AddressRole] = Field(
        default=frozenset(AddressRole) - {AddressRole.POOL, AddressRole.TOKEN},
        description="roles whose exposure and typologies are checked")


class ExposureSource:
    """Exposure to sanctioned and denied addresses through indexed transfers, and typologies.

    The transfer graph is kept in memory and topped up from the store before each screening,
    so transfers indexed between two legs count for the second one.
    """

    name = "exposure"

    def __init__(self, engine: Engine, policy: ExposurePolicy | None = None,
                 graph: TransferGraph | None = None,
                 extra_listed: Callable[[], frozenset[str]] | None = None) -> None:
        self._engine = engine
        self.policy = policy or ExposurePolicy()
        self.graph = graph or TransferGraph()
        # More listed addresses to measure exposure to, read at each screening (for example
        # the on-chain oracle's list as indexed: `lambda: oracle_listed(engine)`).
        self.extra_listed = extra_listed
        self._last_id = 0

    def refresh(self) -> int:
        """Add transfers stored since the last refresh; return how many."""
        new = read_transfers(self._engine, self._last_id)
        for row_id, transfer in new:
            self.graph.add(transfer)
            self._last_id = row_id
        return len(new)

    def findings(self, subjects: Sequence[ScreenedAddress],
                 context: ScreeningContext) -> Findings:
        self.refresh()
        listed = context.snapshot.addresses(ListEffect.SANCTIONS) | \
            context.snapshot.addresses(ListEffect.DENY)
        if self.extra_listed is not None:
            listed |= self.extra_listed()
        mixers = context.snapshot.addresses(ListEffect.MIXER)
        found: Findings = {}
        for subject in subjects:
            reasons = found.setdefault(subject.address, [])
            if subject.role not in self.policy.roles:
                continue
            path = None if subject.address in listed else self.graph.exposure(
                subject.address, listed, self.policy.max_hops)
            if path is not None:
                reasons.append(self._exposure_reason(path.hops, path.path))
            for hit in all_typologies(self.graph, subject.address, self.policy.typologies,
                                      mixers):
                category = _TYPOLOGY_CATEGORY[hit.code]
                reasons.append(Reason(hit.code, hit.text, Decision.REVIEW, category, hit.score,
                                      self.name))
        return found

    def _exposure_reason(self, hops: int, path: tuple[str, ...]) -> Reason:
        scores = self.policy.hop_scores
        score = scores[min(hops, len(scores)) - 1]
        route = " -> ".join(path)
        if hops == 1:
            return Reason(ReasonCode.DIRECT_EXPOSURE,
                          f"transacted directly with listed address {path[-1]}",
                          self.policy.direct_outcome, RiskCategory.EXPOSURE, score, self.name)
        return Reason(ReasonCode.INDIRECT_EXPOSURE,
                      f"{hops} hops from listed address {path[-1]}: {route}",
                      self.policy.indirect_outcome, RiskCategory.EXPOSURE, score, self.name)


_TYPOLOGY_CATEGORY = {
    ReasonCode.STRUCTURING: RiskCategory.STRUCTURING,
    ReasonCode.FAN_IN: RiskCategory.LAYERING,
    ReasonCode.FAN_OUT: RiskCategory.LAYERING,
    ReasonCode.PEEL_CHAIN: RiskCategory.LAYERING,
    ReasonCode.MIXER_CONTACT: RiskCategory.MIXER,
}


def unavailable_reason(code: ReasonCode, source: str, detail: str, outcome: Decision) -> Reason:
    """The reason a source gives for every address when it could not answer."""
    what = "fail closed" if outcome is Decision.DENY else f"configured: {outcome.value}"
    return Reason(code, f"{detail} ({what})", outcome, RiskCategory.UNAVAILABLE,
                  100 if outcome is Decision.DENY else 50, source)


def every(subjects: Sequence[ScreenedAddress], reason: Reason) -> Findings:
    """The same reason for every subject."""
    return {subject.address: [reason] for subject in subjects}


def policy_for(venue: str, policies: Mapping[str, Decision] | None,
               default: Decision) -> Decision:
    """The per-venue outcome of an outage (`default` for venues not named)."""
    return (policies or {}).get(venue, default)
