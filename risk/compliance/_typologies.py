"""Transaction-pattern typologies over an address's indexed transfers. Pure functions.

- Structuring: several transfers just under a reporting threshold (within `band_bps` below it)
  inside one time window, in or out of the address.
- Fan-out / fan-in: many distinct counterparties paid by (or paying) the address in one window.
- Peel chain: funds that pass hop by hop, each hop forwarding most of what it received and
  "peeling" a smaller amount off to another address; flagged when the chain through the address
  is at least `peel_min_hops` long.
- Mixer contact: a transfer to or from a known mixer. A risk flag, not a sanctions hit.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass

from pydantic import BaseModel, ConfigDict, Field

from risk.compliance._model import ReasonCode
from risk.compliance._transfers import Transfer, TransferGraph

_MAX_WALK = 64


class TypologyRules(BaseModel):
    """Thresholds of every typology. Amounts are base units per token ("native" for ETH)."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    structuring_thresholds_raw: dict[str, int] = Field(
        default_factory=dict,
        description="token address (lowercase) or 'native' -> reporting threshold, base units")
    structuring_band_bps: int = Field(default=1_000, gt=0, le=10_000,
                                      description="how far under the threshold counts")
    structuring_window_s: int = Field(default=86_400, gt=0)
    structuring_min_count: int = Field(default=3, ge=2)
    fan_window_s: int = Field(default=86_400, gt=0)
    fan_min_counterparties: int = Field(default=10, ge=2)
    peel_min_hops: int = Field(default=3, ge=2)
    peel_keep_bps: int = Field(default=7_000, gt=0, lt=10_000,
                               description="each hop forwards at least this share of its input")


@dataclass(frozen=True)
class TypologyHit:
    """One pattern found around an address."""

    code: ReasonCode
    text: str
    score: int


def structuring(graph: TransferGraph, address: str, rules: TypologyRules) -> list[TypologyHit]:
    """Transfers just under a token's threshold, at least `min_count` of them in one window."""
    hits = []
    moves = graph.incoming(address) + graph.outgoing(address)
    for token, threshold in sorted(rules.structuring_thresholds_raw.items()):
        floor = threshold - threshold * rules.structuring_band_bps // 10_000
        times = sorted(t.block_ts for t in moves
                       if t.token == token.lower() and floor <= t.amount_raw < threshold)
        most = _max_in_window(times, rules.structuring_window_s)
        if most >= rules.structuring_min_count:
            hits.append(TypologyHit(
                ReasonCode.STRUCTURING,
                f"{most} transfers of {token} in [{floor}, {threshold}) base units within "
                f"{rules.structuring_window_s} s (rule: fewer than "
                f"{rules.structuring_min_count})", 60))
    return hits


def _max_in_window(times: list[int], window_s: int) -> int:
    best, low = 0, 0
    for high, ts in enumerate(times):
        while ts - times[low] > window_s:
            low += 1
        best = max(best, high - low + 1)
    return best


def _max_counterparties(moves: list[Transfer], other: Callable[[Transfer], str],
                        window_s: int) -> int:
    ordered = sorted(moves, key=lambda t: t.block_ts)
    seen: Counter[str] = Counter()
    best, low = 0, 0
    for transfer in ordered:
        seen[other(transfer)] += 1
        while transfer.block_ts - ordered[low].block_ts > window_s:
            seen[other(ordered[low])] -= 1
            if seen[other(ordered[low])] == 0:
                del seen[other(ordered[low])]
            low += 1
        best = max(best, len(seen))
    return best


def fan_out_in(graph: TransferGraph, address: str, rules: TypologyRules) -> list[TypologyHit]:
    """Many distinct recipients (fan-out) or senders (fan-in) within one window."""
    hits = []
    checks = ((ReasonCode.FAN_OUT, "recipients", graph.outgoing(address),
               lambda t: t.recipient),
              (ReasonCode.FAN_IN, "senders", graph.incoming(address), lambda t: t.sender))
    for code, noun, moves, other in checks:
        count = _max_counterparties(moves, other, rules.fan_window_s)
        if count >= rules.fan_min_counterparties:
            hits.append(TypologyHit(
                code, f"{count} distinct {noun} within {rules.fan_window_s} s (rule: fewer "
                      f"than {rules.fan_min_counterparties})", 40))
    return hits


def _peel_step(graph: TransferGraph, node: str, token: str | None, amount: int | None,
               after_ts: int, keep_bps: int) -> Transfer | None:
    outs = [t for t in graph.outgoing(node)
            if (token is None or t.token == token) and t.block_ts >= after_ts]
    if len(outs) < 2:
        return None  # no peel: a hop that forwards everything is a plain transfer
    main = max(outs, key=lambda t: (t.amount_raw, t.block, t.log_index))
    if amount is not None and not amount * keep_bps // 10_000 <= main.amount_raw < amount:
        return None
    return main


def _forward_hops(graph: TransferGraph, address: str, rules: TypologyRules) -> int:
    best = 0
    starts: list[Transfer | None] = [*graph.incoming(address), None]
    for start in starts:
        node, seen, hops = address, {address}, 0
        token = start.token if start else None
        amount = start.amount_raw if start else None
        ts = start.block_ts if start else 0
        while hops < _MAX_WALK:
            step = _peel_step(graph, node, token, amount, ts, rules.peel_keep_bps)
            if step is None or step.recipient in seen:
                break
            hops += 1
            seen.add(step.recipient)
            node, token, amount, ts = step.recipient, step.token, step.amount_raw, step.block_ts
        best = max(best, hops)
    return best


def _backward_hops(graph: TransferGraph, address: str, rules: TypologyRules) -> int:
    node, seen, hops = address, {address}, 0
    while hops < _MAX_WALK:
        feeding = [t for t in graph.incoming(node) if t.sender not in seen and
                   _peel_step(graph, t.sender, t.token, None, 0, rules.peel_keep_bps) == t]
        if not feeding:
            break
        node = feeding[0].sender
        seen.add(node)
        hops += 1
    return hops


def peel_chain(graph: TransferGraph, address: str, rules: TypologyRules) -> list[TypologyHit]:
    """A chain of peeling hops through the address of at least `peel_min_hops`."""
    hops = _backward_hops(graph, address, rules) + _forward_hops(graph, address, rules)
    if hops < rules.peel_min_hops:
        return []
    return [TypologyHit(ReasonCode.PEEL_CHAIN,
                        f"peel chain of {hops} hops through the address (rule: fewer than "
                        f"{rules.peel_min_hops})", 50)]


def mixer_contact(graph: TransferGraph, address: str,
                  mixers: frozenset[str]) -> list[TypologyHit]:
    """Transfers to or from a known mixer."""
    touched = sorted(graph.neighbors(address) & mixers)
    if not touched:
        return []
    return [TypologyHit(ReasonCode.MIXER_CONTACT,
                        f"transacted with known mixer(s) {', '.join(touched)}", 50)]


def all_typologies(graph: TransferGraph, address: str, rules: TypologyRules,
                   mixers: frozenset[str]) -> list[TypologyHit]:
    """Every typology's findings for one address."""
    return [*structuring(graph, address, rules), *fan_out_in(graph, address, rules),
            *peel_chain(graph, address, rules), *mixer_contact(graph, address, mixers)]
