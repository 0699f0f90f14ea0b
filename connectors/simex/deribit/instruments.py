"""The instruments the simulator lists, named and sized as Deribit's are.

Names: `BTC-PERPETUAL`, futures `BTC-4DEC26` (day without a leading zero, month, two-digit
year), options `BTC-4DEC26-100000-C`. Expiries are Fridays 08:00 UTC. Every instrument here
is coin-settled ("reversed"): option prices are in the coin per one coin of underlying;
perpetual and future prices in USD per coin with amounts in USD (multiples of the contract).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from decimal import ROUND_CEILING, ROUND_FLOOR, ROUND_HALF_EVEN, Decimal
from enum import StrEnum

from connectors.simex.deribit.config import CurrencyConfig, DeribitConfig

PERPETUAL_EXPIRY_MS = 32503708800000  # 3000-01-01, what Deribit gives a perpetual
OPTION_TICK = Decimal("0.0001")
OPTION_TICK_ABOVE = (Decimal("0.005"), Decimal("0.0005"))  # Deribit's tick_size_steps
_MONTHS = ("JAN", "FEB", "MAR", "APR", "MAY", "JUN", "JUL", "AUG", "SEP", "OCT", "NOV", "DEC")
_FRIDAY = 4


class Kind(StrEnum):
    OPTION = "option"
    FUTURE = "future"  # perpetuals are futures whose settlement period is "perpetual"


@dataclass(frozen=True, slots=True)
class Instrument:
    name: str
    currency: str
    kind: Kind
    perpetual: bool
    expiry_ms: int
    strike: Decimal | None
    is_call: bool | None
    contract_size: Decimal  # option: coin per contract; future/perp: USD per contract
    min_amount: Decimal
    tick: Decimal
    created_ms: int

    @property
    def is_option(self) -> bool:
        return self.kind is Kind.OPTION

    def years_to_expiry(self, now_ms: int) -> float:
        return max(self.expiry_ms - now_ms, 0) / (365.0 * 86_400_000)

    def tick_at(self, price: Decimal) -> Decimal:
        """The tick a price must sit on (options: larger from 0.005 coin up)."""
        if self.is_option and price >= OPTION_TICK_ABOVE[0]:
            return OPTION_TICK_ABOVE[1]
        return self.tick

    def on_tick(self, price: Decimal) -> bool:
        return price % self.tick_at(price) == 0

    def round_price(self, price: Decimal, up: bool) -> Decimal:
        """`price` onto the tick grid, rounded up (an ask) or down (a bid)."""
        rounding = ROUND_CEILING if up else ROUND_FLOOR
        step = self.tick_at(price)
        rounded = (price / step).to_integral_value(rounding=rounding) * step
        return max(rounded, self.tick)

    def settlement_period(self) -> str:
        if self.perpetual:
            return "perpetual"
        return "week" if self.expiry_ms - self.created_ms <= 8 * 86_400_000 else "month"


def expiry_code(expiry: dt.datetime) -> str:
    return f"{expiry.day}{_MONTHS[expiry.month - 1]}{expiry.year % 100:02d}"


def friday_expiry(start: dt.datetime, days: int) -> dt.datetime:
    """The first Friday 08:00 UTC at least `days` days after `start`."""
    day = (start + dt.timedelta(days=days)).date()
    day += dt.timedelta(days=(_FRIDAY - day.weekday()) % 7)
    return dt.datetime(day.year, day.month, day.day, 8, tzinfo=dt.UTC)


def forward_price(currency: CurrencyConfig, index: Decimal, years: float) -> Decimal:
    """index * (1 + basis * T): the forward the options of an expiry are priced on."""
    return index * (1 + currency.basis_annual * Decimal(str(round(years, 12))))


def strike_grid(currency: CurrencyConfig, forward: Decimal) -> list[Decimal]:
    step = currency.strike_step
    centre = (forward / step).to_integral_value(rounding=ROUND_HALF_EVEN) * step
    strikes = [centre + step * i for i in range(-currency.strikes_each_side,
                                                currency.strikes_each_side + 1)]
    return [s for s in strikes if s > 0]


def list_instruments(config: DeribitConfig, start_ms: int) -> list[Instrument]:
    """Every instrument of every currency, from the server's start time."""
    start = dt.datetime.fromtimestamp(start_ms / 1000, tz=dt.UTC)
    listed: list[Instrument] = []
    for currency in config.currencies:
        code = currency.currency
        listed.append(Instrument(f"{code}-PERPETUAL", code, Kind.FUTURE, True,
                                 PERPETUAL_EXPIRY_MS, None, None, currency.perp_contract_usd,
                                 currency.perp_contract_usd, currency.perp_tick, start_ms))
        expiries = sorted({friday_expiry(start, e.days) for e in currency.expiries})
        for expiry in expiries:
            expiry_ms = int(expiry.timestamp() * 1000)
            name = f"{code}-{expiry_code(expiry)}"
            listed.append(Instrument(name, code, Kind.FUTURE, False, expiry_ms, None, None,
                                     currency.perp_contract_usd, currency.perp_contract_usd,
                                     currency.future_tick, start_ms))
            years = (expiry_ms - start_ms) / (365.0 * 86_400_000)
            forward = forward_price(currency, currency.index_price, years)
            for strike in strike_grid(currency, forward):
                for is_call in (True, False):
                    listed.append(Instrument(
                        f"{name}-{strike:f}-{'C' if is_call else 'P'}", code, Kind.OPTION,
                        False, expiry_ms, strike, is_call, Decimal(1),
                        currency.option_min_amount, OPTION_TICK, start_ms))
    return listed


def atm_vol_for(currency: CurrencyConfig, start_ms: int, expiry_ms: int) -> float:
    """The configured ATM vol of the expiry listed at `expiry_ms`."""
    start = dt.datetime.fromtimestamp(start_ms / 1000, tz=dt.UTC)
    for expiry in currency.expiries:
        if int(friday_expiry(start, expiry.days).timestamp() * 1000) == expiry_ms:
            return float(expiry.atm_vol)
    return float(currency.expiries[-1].atm_vol)
