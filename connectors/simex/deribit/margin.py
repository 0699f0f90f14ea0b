"""The simulator's margin: a simple standard-margin rule, documented, per currency.

This is not Crossbook's margin engine (risk.margin, the real pre-trade check); it is what the
simulated venue enforces so that an order it cannot carry is refused with 10009
not_enough_funds, as Deribit's standard (segregated) margin does. Per instrument, in coin:

- future / perpetual: initial = im_rate * worst notional, maintenance = mm_rate * notional,
  where notional = |size USD| / mark and the worst notional counts every open order as if it
  filled in its direction (max(|size + buys|, |size - sells|));
- short option, per contract: initial max(0.15 - OTM / index, 0.10) + mark, maintenance
  0.075 + mark (Deribit's published standard-margin formula for short options);
- long option: none (the premium is paid in full at the trade); an open buy reserves its
  premium (price x remaining; a market buy: its cost walking the book);
- an open sell beyond a long holding counts as a short at the initial rate.

Balances: `balance` is cash in the coin (premiums, fees, realised futures PnL, funding);
`equity` = balance + futures unrealised PnL + options value (mark x size);
`margin_balance` = balance + futures unrealised PnL (a long option's value is not
collateral); `available_funds` = margin_balance - initial margin.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal

from connectors.simex.deribit.config import MarginConfig
from connectors.simex.deribit.instruments import Instrument


@dataclass(frozen=True, slots=True)
class InstrumentMargin:
    initial: Decimal
    maintenance: Decimal


def short_option_margin(config: MarginConfig, instrument: Instrument, mark: Decimal,
                        index: Decimal) -> InstrumentMargin:
    """Per contract (coin): Deribit's standard margin for a short option."""
    assert instrument.strike is not None
    otm = (max(instrument.strike - index, Decimal(0)) if instrument.is_call
           else max(index - instrument.strike, Decimal(0)))
    initial = max(config.short_option_initial - otm / index, config.short_option_floor) + mark
    return InstrumentMargin(initial, config.short_option_maintenance + mark)


def instrument_margin(config: MarginConfig, instrument: Instrument, size: Decimal,
                      buys: Decimal, sells: Decimal, buy_cost: Decimal, mark: Decimal,
                      index: Decimal) -> InstrumentMargin:
    """Margin of one instrument: a position of `size` with open `buys` / `sells` (amounts)
    whose premium, for option buys, is `buy_cost` (coin)."""
    if not instrument.is_option:
        notional = abs(size) / mark
        worst = max(abs(size + buys), abs(size - sells)) / mark
        return InstrumentMargin(worst * config.future_initial,
                                notional * config.future_maintenance)
    per_contract = short_option_margin(config, instrument, mark, index)
    short = max(-size, Decimal(0))
    extra_short = max(sells - max(size, Decimal(0)), Decimal(0))
    return InstrumentMargin(per_contract.initial * (short + extra_short) + buy_cost,
                            per_contract.maintenance * short)
