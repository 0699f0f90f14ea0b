"""Post-trade checks: the account's state as if every leg of the group had filled.

A group is summed per instrument first, so a hedged pair is judged by what the desk would hold
after both legs, never by one leg alone. Every limit here is an upper bound on a size (or, for
the liquidation buffer, a lower bound on a distance) with one exemption: a trade that strictly
reduces a measure already past its limit is allowed, so a desk over a lowered limit can still
trade back inside it. The pre-trade value is only computed when the post-trade value fails.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from decimal import Decimal

from risk.pretrade.decision import Reason, ReasonCode
from risk.pretrade.legs import LegIntent
from risk.pretrade.limits import LimitBook, Limits
from risk.pretrade.margin_view import NO_GREEKS, MarginView
from risk.pretrade.state import DeskState

_ZERO = Decimal(0)
_BPS = Decimal(10_000)

def position_changes(state: DeskState, account: str,
                     legs: Sequence[LegIntent]) -> dict[str, tuple[Decimal, Decimal]]:
    """Per underlying: (net change, gross change) if every leg of `account` filled."""
    if len(legs) == 1:  # the common case, without the summing
        leg = legs[0]
        change, old = leg.signed_quantity, state.positions.get((account, leg.instrument), _ZERO)
        return {leg.underlying: (change, abs(old + change) - abs(old))}
    by_instrument: dict[str, Decimal] = {}
    underlying: dict[str, str] = {}
    for leg in legs:
        by_instrument[leg.instrument] = by_instrument.get(leg.instrument, _ZERO) + (
            leg.signed_quantity)
        underlying[leg.instrument] = leg.underlying
    moves: dict[str, tuple[Decimal, Decimal]] = {}
    for instrument, change in by_instrument.items():
        old = state.position(account, instrument)
        net, gross = moves.get(underlying[instrument], (_ZERO, _ZERO))
        moves[underlying[instrument]] = (net + change, gross + abs(old + change) - abs(old))
    return moves


def check_desk(state: DeskState, book: LimitBook,
               moves_by_account: Mapping[str, Mapping[str, tuple[Decimal, Decimal]]],
               ) -> list[Reason]:
    """Desk-wide position limits: every account's moves summed per underlying."""
    summed: dict[str, tuple[Decimal, Decimal]] = {}
    for moves in moves_by_account.values():
        for underlying, (net_change, gross_change) in moves.items():
            net, gross = summed.get(underlying, (_ZERO, _ZERO))
            summed[underlying] = (net + net_change, gross + gross_change)
    reasons: list[Reason] = []
    for underlying, (net_change, gross_change) in summed.items():
        limits = book.resolve((None, None, None, None, underlying))
        if limits.max_desk_net_position is None and limits.max_desk_gross_position is None:
            continue
        net, gross = state.desk_net_gross(underlying)
        _upper(reasons, ReasonCode.MAX_NET_POSITION, limits, "max_desk_net_position",
               abs(net), abs(net + net_change), None, underlying)
        _upper(reasons, ReasonCode.MAX_GROSS_POSITION, limits, "max_desk_gross_position",
               gross, gross + gross_change, None, underlying)
    return reasons


def check_account(state: DeskState, book: LimitBook, view: MarginView, account: str,
                  legs: Sequence[LegIntent], *, every_underlying: bool = False,
                  moves: dict[str, tuple[Decimal, Decimal]] | None = None) -> list[Reason]:
    """Every post-trade limit of one account that `legs` (all of that account) would break.

    Only the underlyings the legs touch are checked, unless `every_underlying` (monitoring).
    `moves` are the legs' `position_changes`, when the caller has them already.
    """
    reasons: list[Reason] = []
    if moves is None:
        moves = position_changes(state, account, legs)
    if every_underlying:
        for underlying in sorted(state.underlyings_of.get(account, set()) - moves.keys()):
            moves[underlying] = (_ZERO, _ZERO)
    greek_limited: list[tuple[str, Limits]] = []
    concentration_limited: list[tuple[str, Limits]] = []
    for underlying, (net_change, gross_change) in moves.items():
        limits = book.resolve((account, None, None, None, underlying))
        net, gross = state.net_gross(account, underlying)
        if limits.max_net_position is not None:
            _upper(reasons, ReasonCode.MAX_NET_POSITION, limits, "max_net_position",
                   abs(net), abs(net + net_change), account, underlying)
        if limits.max_gross_position is not None:
            _upper(reasons, ReasonCode.MAX_GROSS_POSITION, limits, "max_gross_position",
                   gross, gross + gross_change, account, underlying)
        if limits.max_net_concentration_bps is not None \
                or limits.max_gross_concentration_bps is not None:
            concentration_limited.append((underlying, limits))
        if limits.max_abs_delta is not None or limits.max_abs_gamma is not None \
                or limits.max_abs_vega is not None:
            greek_limited.append((underlying, limits))
    if concentration_limited:
        reasons += _concentration(state, account, moves, concentration_limited)
    if greek_limited:
        reasons += _greeks(view, account, legs, greek_limited)
    reasons += _margin(view, book.resolve((account, None, None, None, None)), account, legs)
    return reasons


def _upper(reasons: list[Reason], code: ReasonCode, limits: Limits, name: str,
           before: Decimal | float, after: Decimal | float, account: str | None,
           underlying: str | None) -> None:
    limit = getattr(limits, name)
    if limit is not None and after > limit and not after < before:
        reasons.append(Reason(code, name, str(limit), str(after), limits.scope_of(name),
                              account=account, underlying=underlying))


def _concentration(state: DeskState, account: str, moves: Mapping[str, tuple[Decimal, Decimal]],
                   limited: list[tuple[str, Limits]]) -> list[Reason]:
    """Share of the account's gross notional in one underlying, net and gross, in bps."""
    prices = state.underlying_prices
    total_before = state.gross_notional(account)
    missing = sorted(u for u in moves if u not in prices)
    if total_before is None or missing:
        missing = sorted({*missing, *(
            u for u in state.underlyings_of.get(account, ())
            if u not in prices and state.net_gross(account, u)[1])})
        return [Reason(ReasonCode.NO_REFERENCE_PRICE, "underlying_price", "required",
                       "no price", account=account, underlying=u) for u in missing]
    total_after = total_before
    for underlying, (_, gross_change) in moves.items():
        total_after += gross_change * prices[underlying]
    if total_after == 0:
        return []
    reasons: list[Reason] = []
    for underlying, limits in limited:
        net, gross = state.net_gross(account, underlying)
        net_change, gross_change = moves[underlying]
        price = prices[underlying]
        for code, name, held, change in (
                (ReasonCode.MAX_NET_CONCENTRATION, "max_net_concentration_bps", net, net_change),
                (ReasonCode.MAX_GROSS_CONCENTRATION, "max_gross_concentration_bps", gross,
                 gross_change)):
            limit = getattr(limits, name)
            # after / total > limit / 10000, without dividing on the accept path
            if limit is None or abs(held + change) * price * _BPS <= limit * total_after:
                continue
            after_bps = abs(held + change) * price * _BPS / total_after
            before_bps = abs(held) * price * _BPS / total_before if total_before else _ZERO
            if not after_bps < before_bps:
                reasons.append(Reason(code, name, str(limit), f"{after_bps:.2f}",
                                      limits.scope_of(name), account=account,
                                      underlying=underlying))
    return reasons


def _greeks(view: MarginView, account: str, legs: Sequence[LegIntent],
            limited: list[tuple[str, Limits]]) -> list[Reason]:
    reasons: list[Reason] = []
    try:
        changes = view.leg_greeks(legs)
        before = {underlying: view.greeks(account, underlying) for underlying, _ in limited}
    except Exception as failure:  # fail closed: whatever went wrong, we do not trade blind
        return [_unavailable(account, failure)]
    for underlying, limits in limited:
        held, change = before[underlying], changes.get(underlying, NO_GREEKS)
        for code, name, pre, post in (
                (ReasonCode.MAX_DELTA, "max_abs_delta", held.delta, held.delta + change.delta),
                (ReasonCode.MAX_GAMMA, "max_abs_gamma", held.gamma, held.gamma + change.gamma),
                (ReasonCode.MAX_VEGA, "max_abs_vega", held.vega, held.vega + change.vega)):
            _upper(reasons, code, limits, name, abs(pre), abs(post), account, underlying)
    return reasons


def _margin(view: MarginView, limits: Limits, account: str,
            legs: Sequence[LegIntent]) -> list[Reason]:
    max_utilisation, min_buffer = limits.max_margin_utilisation, limits.min_liquidation_buffer
    if max_utilisation is None and min_buffer is None:
        return []
    try:
        after = view.margin_after(account, legs)
        breaches_utilisation = max_utilisation is not None and after.utilisation > max_utilisation
        breaches_buffer = min_buffer is not None and after.liquidation_buffer < min_buffer
        if not (breaches_utilisation or breaches_buffer):
            return []
        before = view.margin_after(account, [])
    except Exception as failure:  # fail closed, as above
        return [_unavailable(account, failure)]
    reasons: list[Reason] = []
    if breaches_utilisation and not after.utilisation < before.utilisation:
        reasons.append(Reason(ReasonCode.MARGIN_UTILISATION, "max_margin_utilisation",
                              str(max_utilisation), f"{after.utilisation:.6g}",
                              limits.scope_of("max_margin_utilisation"), account=account))
    if breaches_buffer and not after.liquidation_buffer > before.liquidation_buffer:
        reasons.append(Reason(ReasonCode.LIQUIDATION_BUFFER, "min_liquidation_buffer",
                              str(min_buffer), f"{after.liquidation_buffer:.6g}",
                              limits.scope_of("min_liquidation_buffer"), account=account))
    return reasons


def _unavailable(account: str, failure: Exception) -> Reason:
    return Reason(ReasonCode.MARGIN_UNAVAILABLE, "margin_view", "answers",
                  f"{type(failure).__name__}: {failure}", account=account)
