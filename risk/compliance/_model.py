"""The values a screening speaks in: roles, reasons, per-address verdicts and the leg decision.

Every value is frozen. A `ScreeningDecision` carries everything needed to audit it later: the
addresses with their roles, each reason (code + text), and the list version it was made against,
so `Screener.replay` can answer the same question against the same list.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any

from risk.compliance.errors import InvalidAddress

_EVM_ADDRESS = re.compile(r"0x[0-9a-fA-F]{40}")


def normalize_address(value: str, field_name: str = "address") -> str:
    """Return the lowercase form of an EVM address, or raise `InvalidAddress`."""
    text = value.strip()
    if not _EVM_ADDRESS.fullmatch(text):
        raise InvalidAddress(field_name, value)
    return text.lower()


def is_evm_address(value: str) -> bool:
    """Whether `value` is a 0x-prefixed 20-byte hex address (any case)."""
    return _EVM_ADDRESS.fullmatch(value.strip()) is not None


class Decision(StrEnum):
    """What the gate does with a leg or an address. Ordered by severity."""

    ALLOW = "allow"
    REVIEW = "review"
    DENY = "deny"

    @property
    def severity(self) -> int:
        return _SEVERITY[self]


_SEVERITY = {Decision.ALLOW: 0, Decision.REVIEW: 1, Decision.DENY: 2}


def worst(decisions: list[Decision] | tuple[Decision, ...]) -> Decision:
    """The most severe of `decisions` (allow when there are none)."""
    return max(decisions, key=lambda d: d.severity, default=Decision.ALLOW)


class AddressRole(StrEnum):
    """Why an address is part of a leg."""

    CEX_DEPOSIT = "cex_deposit"
    CEX_WITHDRAWAL = "cex_withdrawal"
    POOL = "pool"
    TOKEN = "token"
    EXECUTOR = "executor"
    RECIPIENT = "recipient"
    SAFE_OWNER = "safe_owner"
    COUNTERPARTY = "counterparty"
    SUBJECT = "subject"  # screened on its own (CLI, ad hoc checks), not as part of a leg


class ReasonCode(StrEnum):
    """Why a source said what it said. Stable strings: they are stored in the audit trail."""

    SANCTIONS_LIST_HIT = "sanctions_list_hit"
    LOCAL_DENY_LIST = "local_deny_list"
    ALLOW_LISTED = "allow_listed"
    NO_SANCTIONS_LIST = "no_sanctions_list"
    ORACLE_SANCTIONED = "oracle_sanctioned"
    ORACLE_UNAVAILABLE = "oracle_unavailable"
    PROVIDER_RISK = "provider_risk"
    PROVIDER_UNAVAILABLE = "provider_unavailable"
    DIRECT_EXPOSURE = "direct_exposure"
    INDIRECT_EXPOSURE = "indirect_exposure"
    MIXER_CONTACT = "mixer_contact"
    STRUCTURING = "structuring"
    FAN_IN = "fan_in"
    FAN_OUT = "fan_out"
    PEEL_CHAIN = "peel_chain"
    SOURCE_FAILED = "source_failed"


class RiskCategory(StrEnum):
    """The family of risk a reason belongs to; the score is kept per category."""

    SANCTIONS = "sanctions"
    LOCAL_POLICY = "local_policy"
    EXPOSURE = "exposure"
    MIXER = "mixer"
    STRUCTURING = "structuring"
    LAYERING = "layering"
    PROVIDER = "provider"
    UNAVAILABLE = "unavailable"


@dataclass(frozen=True)
class Reason:
    """One finding of one source about one address: what it implies and why."""

    code: ReasonCode
    text: str
    outcome: Decision
    category: RiskCategory
    score: int  # 0..100: how much this finding alone weighs in the address's risk score
    source: str

    def to_dict(self) -> dict[str, Any]:
        return {"code": self.code.value, "text": self.text, "outcome": self.outcome.value,
                "category": self.category.value, "score": self.score, "source": self.source}

    @classmethod
    def from_dict(cls, raw: dict[str, Any]) -> Reason:
        return cls(code=ReasonCode(raw["code"]), text=raw["text"], outcome=Decision(raw["outcome"]),
                   category=RiskCategory(raw["category"]), score=int(raw["score"]),
                   source=raw["source"])


@dataclass(frozen=True)
class ScreenedAddress:
    """An address a leg touches, with its role in the leg."""

    address: str
    role: AddressRole

    def __post_init__(self) -> None:
        object.__setattr__(self, "address", normalize_address(self.address, f"{self.role}"))


@dataclass(frozen=True)
class ScreeningRequest:
    """Every address one leg touches, screened together before the leg is sent."""

    request_id: str  # the leg's client order id, or any id the caller audits under
    venue: str
    subjects: tuple[ScreenedAddress, ...]

    @classmethod
    def of(cls, request_id: str, venue: str,
           subjects: list[tuple[str, AddressRole]] | tuple[tuple[str, AddressRole], ...]
           ) -> ScreeningRequest:
        return cls(request_id, venue,
                   tuple(ScreenedAddress(address, role) for address, role in subjects))


@dataclass(frozen=True)
class AddressVerdict:
    """What the gate concluded about one address in one role."""

    address: str
    role: AddressRole
    decision: Decision
    risk_score: int
    category_scores: tuple[tuple[RiskCategory, int], ...]
    reasons: tuple[Reason, ...]

    def to_dict(self) -> dict[str, Any]:
        return {"address": self.address, "role": self.role.value,
                "decision": self.decision.value, "risk_score": self.risk_score,
                "category_scores": {c.value: s for c, s in self.category_scores},
                "reasons": [reason.to_dict() for reason in self.reasons]}

    @classmethod
    def from_dict(cls, raw: dict[str, Any]) -> AddressVerdict:
        return cls(address=raw["address"], role=AddressRole(raw["role"]),
                   decision=Decision(raw["decision"]), risk_score=int(raw["risk_score"]),
                   category_scores=tuple((RiskCategory(c), int(s))
                                         for c, s in raw["category_scores"].items()),
                   reasons=tuple(Reason.from_dict(r) for r in raw["reasons"]))


@dataclass(frozen=True)
class ScreeningDecision:
    """The gate's answer for one leg: the worst verdict wins, and the list version is kept."""

    request_id: str
    venue: str
    decision: Decision
    verdicts: tuple[AddressVerdict, ...]
    list_version: int  # the store's version the lists were read at (0: no list loaded yet)
    ts_ns: int
    sources: tuple[str, ...] = field(default=())

    @property
    def reasons(self) -> tuple[Reason, ...]:
        """Every reason of every address, in subject order."""
        return tuple(reason for verdict in self.verdicts for reason in verdict.reasons)

    def verdict_for(self, address: str) -> AddressVerdict:
        """The verdict of `address` (its first role, when it appears in several)."""
        key = normalize_address(address)
        for verdict in self.verdicts:
            if verdict.address == key:
                return verdict
        raise KeyError(address)

    def to_dict(self) -> dict[str, Any]:
        return {"request_id": self.request_id, "venue": self.venue,
                "decision": self.decision.value, "list_version": self.list_version,
                "ts_ns": self.ts_ns, "sources": list(self.sources),
                "verdicts": [verdict.to_dict() for verdict in self.verdicts]}

    def to_json(self) -> str:
        """One JSON object, keys sorted, for the audit trail."""
        return json.dumps(self.to_dict(), sort_keys=True)

    @classmethod
    def from_json(cls, text: str) -> ScreeningDecision:
        raw = json.loads(text)
        return cls(request_id=raw["request_id"], venue=raw["venue"],
                   decision=Decision(raw["decision"]),
                   verdicts=tuple(AddressVerdict.from_dict(v) for v in raw["verdicts"]),
                   list_version=int(raw["list_version"]), ts_ns=int(raw["ts_ns"]),
                   sources=tuple(raw["sources"]))
