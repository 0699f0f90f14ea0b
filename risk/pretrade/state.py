"""The desk as the gate sees it: accounts, positions, our resting orders, references, filters.

The OMS keeps this current from its events (fills set positions, acks and cancels add and
remove resting orders, market data sets references). Aggregates the checks need are kept
incrementally, so a check reads a few dict entries instead of walking hundreds of positions:
net and gross quantity per (account, underlying), and our best resting bid and ask per
(venue, instrument).
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from decimal import Decimal

from risk.pretrade.errors import InvalidState
from risk.pretrade.legs import ReferenceKind, RestingOrder, Side, VenueFilter
from risk.pretrade.throttle import Clock

_ZERO = Decimal(0)


class DeskState:
    def __init__(self, clock: Clock) -> None:
        self._clock = clock
        self.accounts: set[str] = set()
        self.venues: set[str] = set()
        self.filters: dict[tuple[str, str], VenueFilter] = {}
        self.positions: dict[tuple[str, str], Decimal] = {}  # (account, instrument) -> signed
        self.underlying_of: dict[str, str] = {}  # instrument -> underlying
        # (account, underlying) -> [net, gross], in underlying units
        self.exposure: dict[tuple[str, str], list[Decimal]] = {}
        self.underlyings_of: dict[str, set[str]] = {}  # account -> underlyings it holds
        self.desk_exposure: dict[str, list[Decimal]] = {}  # underlying -> [net, gross], all
        self.underlying_prices: dict[str, Decimal] = {}
        self._gross_notional: dict[str, Decimal | None] = {}  # account -> cached total
        # (venue, instrument) -> kind -> (price, observed_ns)
        self.references: dict[tuple[str, str], dict[ReferenceKind, tuple[Decimal, int]]] = {}
        self._resting: dict[str, RestingOrder] = {}
        self._book: dict[tuple[str, str, Side], dict[str, Decimal]] = {}
        self._best: dict[tuple[str, str, Side], Decimal | None] = {}

    # accounts, venues and instruments ------------------------------------------------------

    def add_account(self, account: str) -> None:
        _require_name("account", account)
        self.accounts.add(account)

    def set_filter(self, venue: str, instrument: str, venue_filter: VenueFilter) -> None:
        """List `instrument` on `venue` with its filters; the venue becomes known."""
        _require_name("venue", venue)
        _require_name("instrument", instrument)
        if not isinstance(venue_filter, VenueFilter):
            raise InvalidState("venue_filter", "must be a VenueFilter")
        self.venues.add(venue)
        self.filters[(venue, instrument)] = venue_filter

    # positions -----------------------------------------------------------------------------

    def set_position(self, account: str, instrument: str, underlying: str,
                     quantity: Decimal) -> None:
        """Set an account's signed position in one instrument (underlying units)."""
        _require_name("account", account)
        _require_name("instrument", instrument)
        _require_name("underlying", underlying)
        if not isinstance(quantity, Decimal) or not quantity.is_finite():
            raise InvalidState("quantity", f"must be a finite Decimal, got {quantity!r}")
        known = self.underlying_of.setdefault(instrument, underlying)
        if known != underlying:
            raise InvalidState("underlying", f"{instrument} is on {known}, not {underlying}")
        old = self.positions.get((account, instrument), _ZERO)
        if quantity:
            self.positions[(account, instrument)] = quantity
        else:
            self.positions.pop((account, instrument), None)
        net_gross = self.exposure.setdefault((account, underlying), [_ZERO, _ZERO])
        net_gross[0] += quantity - old
        net_gross[1] += abs(quantity) - abs(old)
        desk = self.desk_exposure.setdefault(underlying, [_ZERO, _ZERO])
        desk[0] += quantity - old
        desk[1] += abs(quantity) - abs(old)
        self.underlyings_of.setdefault(account, set()).add(underlying)
        self._gross_notional.pop(account, None)

    def position(self, account: str, instrument: str) -> Decimal:
        return self.positions.get((account, instrument), _ZERO)

    def desk_net_gross(self, underlying: str) -> tuple[Decimal, Decimal]:
        """Net and gross on one underlying summed over every account."""
        net_gross = self.desk_exposure.get(underlying)
        return (net_gross[0], net_gross[1]) if net_gross is not None else (_ZERO, _ZERO)

    def net_gross(self, account: str, underlying: str) -> tuple[Decimal, Decimal]:
        net_gross = self.exposure.get((account, underlying))
        return (net_gross[0], net_gross[1]) if net_gross is not None else (_ZERO, _ZERO)

    # prices --------------------------------------------------------------------------------

    def set_reference(self, venue: str, instrument: str, kind: ReferenceKind, price: Decimal,
                      observed_ns: int | None = None) -> None:
        """A reference price for collars; `observed_ns` on the gate's clock (default: now).

        A stamp from the future of that clock is refused: it is another clock's time (UTC
        into a monotonic gate, say), and would make a stale price look fresh forever.
        """
        _require_price("price", price)
        now = self._clock.now_ns()
        if observed_ns is not None and observed_ns > now:
            raise InvalidState("observed_ns", f"{observed_ns} is after the gate's clock ({now}); "
                               "stamp references on the gate's clock")
        stamp = now if observed_ns is None else observed_ns
        self.references.setdefault((venue, instrument), {})[ReferenceKind(kind)] = (price, stamp)

    def set_underlying_price(self, underlying: str, price: Decimal) -> None:
        """The price that values positions on `underlying` for concentration."""
        _require_name("underlying", underlying)
        _require_price("price", price)
        self.underlying_prices[underlying] = price
        self._gross_notional.clear()

    def gross_notional(self, account: str) -> Decimal | None:
        """Sum of gross position x price over the account's underlyings; None while an
        underlying it holds has no price. Cached until a position or price changes."""
        if account in self._gross_notional:
            return self._gross_notional[account]
        total: Decimal | None = _ZERO
        for underlying in self.underlyings_of.get(account, ()):
            gross = self.exposure[(account, underlying)][1]
            price = self.underlying_prices.get(underlying)
            if price is None and gross:
                total = None
                break
            if price is not None and total is not None:
                total += gross * price
        self._gross_notional[account] = total
        return total

    # our resting orders --------------------------------------------------------------------

    def add_resting(self, order: RestingOrder) -> None:
        if order.client_order_id in self._resting:
            self.remove_resting(order.client_order_id)
        self._resting[order.client_order_id] = order
        key = (order.venue, order.instrument, order.side)
        self._book.setdefault(key, {})[order.client_order_id] = order.price
        self._best.pop(key, None)

    def remove_resting(self, client_order_id: str) -> RestingOrder:
        """Forget a resting order (filled, cancelled, expired)."""
        order = self._resting.pop(client_order_id, None)
        if order is None:
            raise InvalidState("client_order_id", f"{client_order_id!r} is not resting")
        key = (order.venue, order.instrument, order.side)
        del self._book[key][client_order_id]
        self._best.pop(key, None)
        return order

    def resting_orders(self) -> Iterator[RestingOrder]:
        return iter(list(self._resting.values()))

    def best_own(self, venue: str, instrument: str, side: Side) -> Decimal | None:
        """Our best resting price on one side: the highest bid or the lowest ask."""
        key = (venue, instrument, side)
        if key in self._best:
            return self._best[key]
        prices: Iterable[Decimal] = self._book.get(key, {}).values()
        best = (max if side is Side.BUY else min)(prices, default=None)
        self._best[key] = best
        return best


def _require_name(field: str, value: str) -> None:
    if not isinstance(value, str) or not value:
        raise InvalidState(field, f"must be a non-empty string, got {value!r}")


def _require_price(field: str, value: Decimal) -> None:
    if not isinstance(value, Decimal) or not value.is_finite() or value <= 0:
        raise InvalidState(field, f"must be a positive finite Decimal, got {value!r}")
