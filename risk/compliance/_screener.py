"""The compliance gate: screen every address a leg touches, decide, and leave an audit record.

Each screening reads the store's newest list version first, so a list loaded while the engine
runs applies from the next leg on. The decision is the worst verdict over the leg's addresses;
an address's verdict is the worst outcome of its reasons, except that an allow-listed address
is cleared of review findings (never of a sanctions or deny-list hit). A source that raises
instead of answering denies (fail closed).
"""

from __future__ import annotations

import dataclasses
import time
from collections.abc import Callable, Sequence
from typing import Protocol

from risk.compliance._lists import ListSnapshot, ListStore
from risk.compliance._model import (
    AddressVerdict,
    Decision,
    Reason,
    ReasonCode,
    RiskCategory,
    ScreenedAddress,
    ScreeningDecision,
    ScreeningRequest,
    worst,
)
from risk.compliance._sources import (
    Findings,
    ListSource,
    ScreeningContext,
    ScreeningSource,
    every,
    unavailable_reason,
)

AUDIT_KIND = "compliance.screening"


class AuditSink(Protocol):
    """Where decisions are recorded (the engine's journal implements this)."""

    def append_audit(self, kind: str, subject: str, payload_json: str, ts_ns: int) -> int: ...


class Screener:
    """Screens legs against the versioned lists and any number of further sources."""

    def __init__(self, store: ListStore, sources: Sequence[ScreeningSource] = (),
                 audit: AuditSink | None = None, clock: Callable[[], int] = time.time_ns,
                 require_sanctions_list: bool = True) -> None:
        self.store = store
        self.lists = ListSource(store, require_sanctions_list)
        self.sources: tuple[ScreeningSource, ...] = (self.lists, *sources)
        self.audit = audit
        self.clock = clock
        self._snapshot: ListSnapshot | None = None

    def current_snapshot(self) -> ListSnapshot:
        """The newest lists; reloaded only when the store's version moved."""
        latest = self.store.latest_version()
        if self._snapshot is None or self._snapshot.version != latest:
            self._snapshot = self.store.snapshot(latest)
        return self._snapshot

    def screen(self, request: ScreeningRequest) -> ScreeningDecision:
        """Screen every address of `request` and record the decision in the audit sink."""
        ts_ns = self.clock()
        context = ScreeningContext(request.venue, self.current_snapshot(), ts_ns)
        decision = decide(request, context, self.sources)
        if self.audit is not None:
            self.audit.append_audit(AUDIT_KIND, request.request_id, decision.to_json(), ts_ns)
        return decision

    def screen_at(self, request: ScreeningRequest, list_version: int) -> ScreeningDecision:
        """Screen `request` against the lists as they were at `list_version` (lists only).

        For audits and what-if checks: nothing is written to the audit sink.
        """
        context = ScreeningContext(request.venue, self.store.snapshot(list_version),
                                   self.clock())
        return decide(request, context, (self.lists,))

    def replay(self, decision: ScreeningDecision) -> ScreeningDecision:
        """Screen the same addresses again against the lists at the decision's list version.

        Only the list sources are replayed: the chain, providers and the transfer graph move on
        and have no stored versions. Nothing is written to the audit sink.
        """
        request = ScreeningRequest(decision.request_id, decision.venue, tuple(
            ScreenedAddress(v.address, v.role) for v in decision.verdicts))
        replayed = self.screen_at(request, decision.list_version)
        return dataclasses.replace(replayed, ts_ns=decision.ts_ns)


def _findings_of(source: ScreeningSource, subjects: Sequence[ScreenedAddress],
                 context: ScreeningContext) -> Findings:
    try:
        return source.findings(subjects, context)
    except Exception as error:
        return every(subjects, unavailable_reason(
            ReasonCode.SOURCE_FAILED, source.name,
            f"source {source.name} failed: {type(error).__name__}: {error}", Decision.DENY))


def decide(request: ScreeningRequest, context: ScreeningContext,
           sources: Sequence[ScreeningSource]) -> ScreeningDecision:
    """Combine every source's findings into a decision (pure, given the sources' answers)."""
    subjects = request.subjects
    reasons: dict[str, list[Reason]] = {s.address: [] for s in subjects}
    for source in sources:
        for address, found in _findings_of(source, subjects, context).items():
            # An address in several roles (recipient and Safe owner) may be reported once per
            # role; it is one address, so each reason counts once.
            known = reasons.setdefault(address, [])
            known.extend(r for r in dict.fromkeys(found) if r not in known)
    verdicts = tuple(verdict(subject, reasons[subject.address]) for subject in subjects)
    return ScreeningDecision(
        request_id=request.request_id, venue=request.venue,
        decision=worst([v.decision for v in verdicts]) if verdicts else Decision.DENY,
        verdicts=verdicts, list_version=context.snapshot.version, ts_ns=context.ts_ns,
        sources=tuple(source.name for source in sources))


def verdict(subject: ScreenedAddress, reasons: Sequence[Reason]) -> AddressVerdict:
    """One address's verdict from its reasons, with a risk score per category."""
    decision = worst([reason.outcome for reason in reasons])
    if decision is Decision.REVIEW and any(r.code is ReasonCode.ALLOW_LISTED for r in reasons):
        decision = Decision.ALLOW
    scores: dict[RiskCategory, int] = {}
    for reason in reasons:
        if reason.score:
            scores[reason.category] = max(scores.get(reason.category, 0), reason.score)
    return AddressVerdict(
        address=subject.address, role=subject.role, decision=decision,
        risk_score=max(scores.values(), default=0),
        category_scores=tuple(sorted(scores.items())), reasons=tuple(reasons))
