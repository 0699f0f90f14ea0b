"""The pre-trade gate: `check(legs) -> Decision` for one leg group, all or nothing.

Per leg, in this order (every failure is reported, not just the first): the account, venue and
instrument must be known (fail closed); no kill switch may cover it; venue and instrument not
restricted; order quantity and notional within limits; the venue's filters (tick, lot, minimum
quantity and notional); the price collar against each configured reference; no duplicate
client order id, nor the same economic order inside the duplicate window; no crossing of our
own resting orders (or an earlier leg of the group) on the same venue and instrument; and the
message-rate and rolling-notional throttles of its venue and strategy, counting the group's
earlier legs.

Then, per account the group touches, the post-trade checks on the group's summed state
(`post_trade.check_account`): positions, concentration, Greeks and margin; and the desk-wide
position limits on every account's state summed (`post_trade.check_desk`).

A denied group changes nothing. An accepted one consumes throttle tokens and notional, and
remembers its client order ids and economic fingerprints for duplicate detection.
"""

from __future__ import annotations

from collections import deque
from collections.abc import Sequence
from decimal import Decimal

from risk.pretrade.decision import ACCEPT, Decision, Reason, ReasonCode
from risk.pretrade.errors import InvalidLeg
from risk.pretrade.killswitch import Canceller, KillSwitch
from risk.pretrade.legs import LegIntent, ReferenceKind, Side
from risk.pretrade.limits import LimitBook, Limits
from risk.pretrade.margin_view import MarginView
from risk.pretrade.post_trade import check_account, check_desk, position_changes
from risk.pretrade.state import DeskState
from risk.pretrade.throttle import Clock, MonotonicClock, Throttle, Throttles

_BPS = Decimal(10_000)
_ZERO = Decimal(0)
_COLLARS = ((ReferenceKind.MID, "collar_mid_bps"), (ReferenceKind.MARK, "collar_mark_bps"),
            (ReferenceKind.AMM, "collar_amm_bps"))
_DAY_NS = 86_400 * 10**9

Fingerprint = tuple[str, str, str, str, Side, Decimal, Decimal | None]


def fingerprint(leg: LegIntent) -> Fingerprint:
    """What makes two orders the same economic order, whatever their client order ids."""
    return (leg.account, leg.strategy, leg.venue, leg.instrument, leg.side, leg.quantity,
            leg.limit_price)


class PreTradeGate:
    """Every leg, CEX or DEX, passes here before it is sent.

    The gate owns its view of the desk (`state`), the limits (`limits`), the throttles
    (`throttles`) and the kill switches (`kill_switch`); all are changed at runtime through
    those attributes and take effect on the next check. Times are on the injected clock.
    """

    def __init__(self, margin_view: MarginView, canceller: Canceller,
                 clock: Clock | None = None, *, client_id_retention_ns: int = _DAY_NS,
                 max_duplicate_window_ns: int = 3_600 * 10**9) -> None:
        self.clock: Clock = clock if clock is not None else MonotonicClock()
        self.state = DeskState(self.clock)
        self.limits = LimitBook(max_duplicate_window_ns=max_duplicate_window_ns)
        self.throttles = Throttles(self.clock)
        self.kill_switch = KillSwitch(self.state, canceller)
        self.margin_view = margin_view
        self._client_id_retention_ns = client_id_retention_ns
        self._max_window_ns = max_duplicate_window_ns
        self._client_ids: dict[str, int] = {}
        self._fingerprints: dict[Fingerprint, int] = {}
        self._seen: deque[tuple[int, str, Fingerprint]] = deque()

    def check(self, legs: Sequence[LegIntent]) -> Decision:
        """Accept or deny one leg group (a single leg is a group of one)."""
        if not legs:
            raise InvalidLeg("legs", "a group needs at least one leg")
        if len(legs) > 1 and (legs[0].group_id is None
                              or any(leg.group_id != legs[0].group_id for leg in legs)):
            # netting legs that are not one order would let one hide another's risk
            raise InvalidLeg("group_id", "legs checked together must share one group_id")
        now = self.clock.now_ns()
        reasons: list[Reason] = []
        usage: dict[Throttle, list[Decimal]] = {}
        group_ids: set[str] = set()
        group_prints: set[Fingerprint] = set()
        for index, leg in enumerate(legs):
            limits = self.limits.resolve(
                (leg.account, leg.venue, leg.strategy, leg.instrument, leg.underlying))
            self._identity(leg, reasons)
            self._size_and_filters(leg, limits, reasons)
            self._collar(leg, limits, now, reasons)
            self._duplicates(leg, limits, now, group_ids, group_prints, reasons)
            self._self_trade(leg, legs[:index], reasons)
            self._throttle(leg, now, usage, reasons)
        reasons += self._post_trade(legs)
        if reasons:
            return Decision(accepted=False, reasons=tuple(reasons))
        self._commit(legs, now, usage)
        return ACCEPT

    def _post_trade(self, legs: Sequence[LegIntent]) -> list[Reason]:
        """Per account the group touches, then for the desk: the summed post-trade state."""
        state = self.state
        reasons: list[Reason] = []
        moves_by_account: dict[str, dict[str, tuple[Decimal, Decimal]]] = {}
        for account in sorted({leg.account for leg in legs} & state.accounts):
            own = legs if len(legs) == 1 else [leg for leg in legs if leg.account == account]
            moves = moves_by_account[account] = position_changes(state, account, own)
            reasons += check_account(state, self.limits, self.margin_view, account, own,
                                     moves=moves)
        reasons += check_desk(state, self.limits, moves_by_account)
        return reasons

    def assess(self, account: str) -> list[Reason]:
        """The post-trade limits the account breaks now, with no new leg (monitoring)."""
        return check_account(self.state, self.limits, self.margin_view, account, [],
                             every_underlying=True)

    # per-leg checks ------------------------------------------------------------------------

    def _identity(self, leg: LegIntent, reasons: list[Reason]) -> None:
        state = self.state
        if leg.account not in state.accounts:
            reasons.append(_leg(ReasonCode.UNKNOWN_ACCOUNT, "known_accounts", "registered",
                                leg.account, leg))
        if leg.venue not in state.venues:
            reasons.append(_leg(ReasonCode.UNKNOWN_VENUE, "known_venues", "registered",
                                leg.venue, leg))
        elif (leg.venue, leg.instrument) not in state.filters:
            reasons.append(_leg(ReasonCode.UNKNOWN_INSTRUMENT, "listed_instruments",
                                f"listed on {leg.venue}", leg.instrument, leg))
        known = state.underlying_of.get(leg.instrument, leg.underlying)
        if known != leg.underlying:
            reasons.append(_leg(ReasonCode.UNKNOWN_INSTRUMENT, "underlying", known,
                                leg.underlying, leg))
        blocking = self.kill_switch.blocking(leg.account, leg.strategy)
        if blocking is not None:
            level, name = blocking
            reasons.append(_leg(ReasonCode.KILL_SWITCH, f"{level.value}_kill_switch", "released",
                                f"engaged for {name}", leg))
        if leg.venue in self.limits.restricted_venues:
            reasons.append(_leg(ReasonCode.RESTRICTED_VENUE, "restricted_venues",
                                "not restricted", leg.venue, leg))
        if leg.instrument in self.limits.restricted_instruments:
            reasons.append(_leg(ReasonCode.RESTRICTED_INSTRUMENT, "restricted_instruments",
                                "not restricted", leg.instrument, leg))

    def _size_and_filters(self, leg: LegIntent, limits: Limits, reasons: list[Reason]) -> None:
        if limits.max_order_qty is not None and leg.quantity > limits.max_order_qty:
            reasons.append(_leg(ReasonCode.MAX_ORDER_QTY, "max_order_qty",
                                str(limits.max_order_qty), str(leg.quantity), leg,
                                limits.scope_of("max_order_qty")))
        if limits.max_order_notional is not None and leg.notional > limits.max_order_notional:
            reasons.append(_leg(ReasonCode.MAX_ORDER_NOTIONAL, "max_order_notional",
                                str(limits.max_order_notional), str(leg.notional), leg,
                                limits.scope_of("max_order_notional")))
        rules = self.state.filters.get((leg.venue, leg.instrument))
        if rules is None:
            return
        scope = f"venue={leg.venue},instrument={leg.instrument}"
        if rules.tick_size and leg.limit_price is not None and leg.limit_price % rules.tick_size:
            reasons.append(_leg(ReasonCode.TICK_SIZE, "tick_size", str(rules.tick_size),
                                str(leg.limit_price), leg, scope))
        if rules.lot_size and leg.quantity % rules.lot_size:
            reasons.append(_leg(ReasonCode.LOT_SIZE, "lot_size", str(rules.lot_size),
                                str(leg.quantity), leg, scope))
        if leg.quantity < rules.min_qty:
            reasons.append(_leg(ReasonCode.MIN_QTY, "min_qty", str(rules.min_qty),
                                str(leg.quantity), leg, scope))
        if leg.notional < rules.min_notional:
            reasons.append(_leg(ReasonCode.MIN_NOTIONAL, "min_notional", str(rules.min_notional),
                                str(leg.notional), leg, scope))

    def _collar(self, leg: LegIntent, limits: Limits, now: int, reasons: list[Reason]) -> None:
        """|price - reference| <= collar x reference, for each reference kind with a collar.

        A market order or swap has no limit price: its average price (notional / quantity) is
        collared instead, so a swap quoted far off the pool's marginal price is still caught.
        """
        references = None
        price: Decimal | None = None
        for kind, name in _COLLARS:
            collar_bps = getattr(limits, name)
            if collar_bps is None:
                continue
            if references is None:
                references = self.state.references.get((leg.venue, leg.instrument), {})
                price = leg.limit_price if leg.limit_price is not None else (
                    leg.notional / leg.quantity)
            reference = references.get(kind)
            if reference is None:
                reasons.append(_leg(ReasonCode.NO_REFERENCE_PRICE, name, str(collar_bps),
                                    f"no {kind.value} price", leg, limits.scope_of(name)))
                continue
            ref_price, observed_ns = reference
            max_age = limits.max_reference_age_ns
            if max_age is not None and now - observed_ns > max_age:
                reasons.append(_leg(ReasonCode.STALE_REFERENCE_PRICE, "max_reference_age_ns",
                                    str(max_age), f"{kind.value} {now - observed_ns} ns old", leg,
                                    limits.scope_of("max_reference_age_ns")))
                continue
            assert price is not None
            if abs(price - ref_price) * _BPS > collar_bps * ref_price:
                off_bps = abs(price - ref_price) * _BPS / ref_price
                reasons.append(_leg(ReasonCode.PRICE_COLLAR, name, str(collar_bps),
                                    f"{off_bps:.2f} bps from {kind.value} {ref_price}", leg,
                                    limits.scope_of(name)))

    def _duplicates(self, leg: LegIntent, limits: Limits, now: int, group_ids: set[str],
                    group_prints: set[Fingerprint], reasons: list[Reason]) -> None:
        if leg.client_order_id in self._client_ids or leg.client_order_id in group_ids:
            reasons.append(_leg(ReasonCode.DUPLICATE_CLIENT_ORDER_ID, "client_order_id",
                                "unique", "already seen", leg))
        group_ids.add(leg.client_order_id)
        window = limits.duplicate_window_ns
        if window is None:
            return
        key = fingerprint(leg)
        last = self._fingerprints.get(key)
        age = "in this group" if key in group_prints else (
            f"{now - last} ns ago" if last is not None and now - last <= window else None)
        if age is not None:
            reasons.append(_leg(ReasonCode.DUPLICATE_ORDER, "duplicate_window_ns", str(window),
                                f"same order {age}", leg, limits.scope_of("duplicate_window_ns")))
        group_prints.add(key)

    def _self_trade(self, leg: LegIntent, earlier: Sequence[LegIntent],
                    reasons: list[Reason]) -> None:
        """A buy at P crosses our own sell resting at or below P (a market buy, any sell)."""
        opposite = Side.SELL if leg.side is Side.BUY else Side.BUY
        best = self.state.best_own(leg.venue, leg.instrument, opposite)
        if best is not None and _crosses(leg.side, leg.limit_price, best):
            reasons.append(_leg(ReasonCode.SELF_TRADE, f"own_best_{opposite.value}", str(best),
                                str(leg.limit_price or "market"), leg))
        for other in earlier:
            if (other.venue == leg.venue and other.instrument == leg.instrument
                    and other.side is opposite and other.limit_price is not None
                    and _crosses(leg.side, leg.limit_price, other.limit_price)):
                reasons.append(_leg(ReasonCode.SELF_TRADE, f"group_leg_{other.client_order_id}",
                                    str(other.limit_price), str(leg.limit_price or "market"), leg))

    def _throttle(self, leg: LegIntent, now: int, usage: dict[Throttle, list[Decimal]],
                  reasons: list[Reason]) -> None:
        throttles = self.throttles
        for throttle in (throttles.by_venue.get(leg.venue),
                         throttles.by_strategy.get(leg.strategy)):
            if throttle is None:
                continue
            used = usage.get(throttle)
            if used is None:
                used = usage[throttle] = [_ZERO, _ZERO]
            bucket, window = throttle.bucket, throttle.window
            if bucket is not None and bucket.available(now) < used[0] + 1:
                reasons.append(_leg(ReasonCode.MESSAGE_RATE, "burst", str(bucket.burst),
                                    f"{bucket.tokens - int(used[0])} tokens left", leg,
                                    throttle.label))
            if window is not None:
                total = window.used(now) + used[1] + leg.notional
                if total > window.max_notional:
                    reasons.append(_leg(ReasonCode.NOTIONAL_RATE, "max_notional",
                                        str(window.max_notional), str(total), leg,
                                        throttle.label))
            used[0] += 1
            used[1] += leg.notional

    # on acceptance ---------------------------------------------------------------------------

    def _commit(self, legs: Sequence[LegIntent], now: int,
                usage: dict[Throttle, list[Decimal]]) -> None:
        for throttle, (messages, notional) in usage.items():
            throttle.commit(int(messages), notional, now)
        seen = self._seen
        for leg in legs:
            self._client_ids[leg.client_order_id] = now
            economic = fingerprint(leg)
            self._fingerprints[economic] = now
            seen.append((now, leg.client_order_id, economic))
        self._forget(now)

    def _forget(self, now: int) -> None:
        """Drop ids and fingerprints past their retention (the longer of the two horizons)."""
        seen = self._seen
        horizon = max(self._client_id_retention_ns, self._max_window_ns)
        while seen and now - seen[0][0] > horizon:
            ts, client_id, key = seen.popleft()
            if self._client_ids.get(client_id) == ts:
                del self._client_ids[client_id]
            if self._fingerprints.get(key) == ts:
                del self._fingerprints[key]


def _crosses(side: Side, price: Decimal | None, own: Decimal) -> bool:
    if price is None:
        return True
    return price >= own if side is Side.BUY else price <= own


def _leg(code: ReasonCode, limit_name: str, limit: str, observed: str, leg: LegIntent,
         scope: str = "") -> Reason:
    return Reason(code, limit_name, limit, observed, scope, client_order_id=leg.client_order_id,
                  account=leg.account, underlying=leg.underlying)
