"""simex's aggTrades and klines (pure functions over a tape) keep Binance's rules and shapes:
parameter semantics and refusals from Binance's spot REST docs, market data endpoints."""

from __future__ import annotations

from decimal import Decimal as D

import pytest

from connectors.simex.errors import BinanceApiError
from connectors.simex.marketdata import agg_trades_json, klines_json
from connectors.simex.matching import PublicTrade

T0 = 1_700_000_040_000  # a whole minute, in ms


def tape() -> list[PublicTrade]:
    return [PublicTrade(1, "WETHUSDC", D(3000), D("0.5"), T0 + 100, True),
            PublicTrade(2, "WETHUSDC", D(3002), D(1), T0 + 900, False),
            PublicTrade(3, "WETHUSDC", D(2999), D(2), T0 + 2_500, False),
            PublicTrade(4, "WETHUSDC", D(3001), D("0.25"), T0 + 61_000, True)]


def test_agg_trades_when_no_filter_then_most_recent_in_binance_shape() -> None:
    rows = agg_trades_json(tape(), {"limit": "2"})
    assert [r["a"] for r in rows] == [3, 4]
    assert rows[0] == {"a": 3, "p": "2999.00000000", "q": "2.00000000", "f": 3, "l": 3,
                       "T": T0 + 2_500, "m": False, "M": True}


def test_agg_trades_when_start_time_or_from_id_then_oldest_first_from_there() -> None:
    assert [r["a"] for r in agg_trades_json(tape(), {"startTime": str(T0 + 900)})] == [2, 3, 4]
    assert [r["a"] for r in agg_trades_json(tape(), {"fromId": "2", "limit": "2"})] == [2, 3]
    assert [r["a"] for r in agg_trades_json(tape(), {"startTime": str(T0),
                                                     "endTime": str(T0 + 900)})] == [1, 2]


def test_agg_trades_when_window_is_over_an_hour_then_refused_with_binance_code() -> None:
    with pytest.raises(BinanceApiError) as refused:
        agg_trades_json(tape(), {"startTime": "0", "endTime": "3600001"})
    assert refused.value.code == -1127
    assert agg_trades_json(tape(), {"startTime": "0", "endTime": "3600000"}) == []


def test_klines_when_one_second_bars_then_volume_ohlc_and_taker_buys_per_bar() -> None:
    rows = klines_json(tape(), {"interval": "1s", "startTime": str(T0), "limit": "3"}, T0 + 10**6)
    assert [r[0] for r in rows] == [T0, T0 + 1000, T0 + 2000]
    first, empty, third = rows
    assert first == [T0, "3000.00000000", "3002.00000000", "3000.00000000", "3002.00000000",
                     "1.50000000", T0 + 999, "4502.00000000", 2, "1.00000000",
                     "3002.00000000", "0"]
    assert empty[1:6] == ["3002.00000000"] * 4 + ["0.00000000"] and empty[8] == 0  # flat
    assert third[5] == "2.00000000" and third[9] == "2.00000000"


def test_klines_when_no_start_then_the_last_limit_bars_up_to_now() -> None:
    rows = klines_json(tape(), {"interval": "1m", "limit": "2"}, T0 + 90_000)
    assert [r[0] for r in rows] == [T0, T0 + 60_000]
    assert [r[5] for r in rows] == ["3.50000000", "0.25000000"]


@pytest.mark.parametrize(("params", "code"), [({}, -1102), ({"interval": "2s"}, -1120),
                                              ({"interval": "1m", "limit": "x"}, -1100)])
def test_klines_when_interval_or_limit_bad_then_refused(params: dict[str, str],
                                                        code: int) -> None:
    with pytest.raises(BinanceApiError) as refused:
        klines_json(tape(), params, T0)
    assert refused.value.code == code
