"""External screening APIs behind one adapter shape, failing closed when they cannot answer.

A provider (Chainalysis KYT, TRM, Elliptic, ... behind an adapter) answers, per address, a risk
level, a category and whether the exposure is direct or indirect. `HttpScreeningProvider` speaks
a small JSON shape over HTTP (POST `{"addresses": [...]}` -> `{"results": [{"address",
"risk_level", "category", "exposure"}]}`); a vendor adapter maps its API onto the same types.
Whether an outage denies, sends to review or allows is configured per venue; deny by default.
"""

from __future__ import annotations

import json
import urllib.error
import urllib.request
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from enum import StrEnum
from typing import Any, Protocol

from pydantic import BaseModel, ConfigDict, Field

from risk.compliance._model import (
    Decision,
    Reason,
    ReasonCode,
    RiskCategory,
    ScreenedAddress,
    normalize_address,
)
from risk.compliance._sources import (
    Findings,
    ScreeningContext,
    every,
    policy_for,
    unavailable_reason,
)
from risk.compliance.errors import ProviderUnavailable


class RiskLevel(StrEnum):
    """A provider's verdict on an address, lowest first."""

    LOW = "low"
    MEDIUM = "medium"
    HIGH = "high"
    SEVERE = "severe"

    @property
    def rank(self) -> int:
        return list(RiskLevel).index(self)


class ExposureKind(StrEnum):
    """Whether the provider saw the risk on the address itself or some hops away."""

    DIRECT = "direct"
    INDIRECT = "indirect"


@dataclass(frozen=True)
class ProviderAssessment:
    """One provider's answer for one address."""

    address: str
    risk_level: RiskLevel
    category: str  # the provider's own category ("sanctions", "mixer", "darknet market", ...)
    exposure: ExposureKind


class ScreeningProvider(Protocol):
    """An external screening API."""

    @property
    def name(self) -> str: ...

    def assess(self, addresses: Sequence[str]) -> list[ProviderAssessment]:
        """Assess every address; raise `ProviderUnavailable` when the API cannot answer."""
        ...


class HttpScreeningProvider:
    """A provider reached over HTTP with a JSON body; no API key is ever logged."""

    def __init__(self, name: str, url: str, timeout_s: float = 5.0,
                 headers: Mapping[str, str] | None = None) -> None:
        self.name = name
        self.url = url
        self.timeout_s = timeout_s
        self._headers = {"Content-Type": "application/json", **(headers or {})}

    def __repr__(self) -> str:  # headers may carry an API key: never in a repr
        return f"HttpScreeningProvider(name={self.name!r}, url={self.url!r})"

    def assess(self, addresses: Sequence[str]) -> list[ProviderAssessment]:
        body = json.dumps({"addresses": list(addresses)}).encode()
        request = urllib.request.Request(self.url, data=body, headers=self._headers,
                                         method="POST")
        try:
            with urllib.request.urlopen(request, timeout=self.timeout_s) as response:
                document = json.loads(response.read())
        except (urllib.error.URLError, OSError, TimeoutError) as error:
            raise ProviderUnavailable(self.name, f"{self.url}: {error}") from error
        except ValueError as error:
            raise ProviderUnavailable(self.name, f"answer is not JSON: {error}") from error
        return self._parse(document)

    def _parse(self, document: Any) -> list[ProviderAssessment]:
        try:
            return [ProviderAssessment(normalize_address(r["address"], "results.address"),
                                       RiskLevel(r["risk_level"]), str(r["category"]),
                                       ExposureKind(r["exposure"]))
                    for r in document["results"]]
        except (KeyError, TypeError, ValueError) as error:
            raise ProviderUnavailable(self.name, f"answer has an unknown shape: {error}") \
                from error


class ProviderPolicy(BaseModel):
    """How a provider's answers and outages count."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    review_at: RiskLevel = Field(default=RiskLevel.MEDIUM)
    deny_at: RiskLevel = Field(default=RiskLevel.SEVERE)
    on_unavailable: Decision = Field(default=Decision.DENY,
                                     description="outcome when the provider cannot answer")
    venue_on_unavailable: dict[str, Decision] = Field(
        default_factory=dict, description="per-venue override of on_unavailable")


_LEVEL_SCORES = {RiskLevel.LOW: 10, RiskLevel.MEDIUM: 40, RiskLevel.HIGH: 70,
                 RiskLevel.SEVERE: 100}


class ProviderSource:
    """A `ScreeningProvider` as a screening source."""

    def __init__(self, provider: ScreeningProvider, policy: ProviderPolicy | None = None) -> None:
        self.provider = provider
        self.policy = policy or ProviderPolicy()

    @property
    def name(self) -> str:
        return f"provider:{self.provider.name}"

    def findings(self, subjects: Sequence[ScreenedAddress],
                 context: ScreeningContext) -> Findings:
        try:
            answers = self.provider.assess([s.address for s in subjects])
        except ProviderUnavailable as error:
            outcome = policy_for(context.venue, self.policy.venue_on_unavailable,
                                 self.policy.on_unavailable)
            return every(subjects, unavailable_reason(
                ReasonCode.PROVIDER_UNAVAILABLE, self.name, str(error), outcome))
        by_address = {a.address: a for a in answers}
        found: Findings = {}
        for subject in subjects:
            reasons = found.setdefault(subject.address, [])
            answer = by_address.get(subject.address)
            if answer is None:  # an address the provider skipped is not a clean address
                outcome = policy_for(context.venue, self.policy.venue_on_unavailable,
                                     self.policy.on_unavailable)
                reasons.append(unavailable_reason(
                    ReasonCode.PROVIDER_UNAVAILABLE, self.name,
                    f"{self.provider.name} returned no assessment for the address", outcome))
                continue
            reasons.append(self._reason(answer))
        return found

    def _reason(self, answer: ProviderAssessment) -> Reason:
        if answer.risk_level.rank >= self.policy.deny_at.rank:
            outcome = Decision.DENY
        elif answer.risk_level.rank >= self.policy.review_at.rank:
            outcome = Decision.REVIEW
        else:
            outcome = Decision.ALLOW
        return Reason(ReasonCode.PROVIDER_RISK,
                      f"{self.provider.name}: {answer.risk_level.value} risk, "
                      f"{answer.exposure.value} exposure to {answer.category}",
                      outcome, RiskCategory.PROVIDER, _LEVEL_SCORES[answer.risk_level],
                      self.name)
