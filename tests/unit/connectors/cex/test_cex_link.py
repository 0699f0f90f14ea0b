"""The link's fill ledger: fills that come before a handler are kept and handed over in order
when one is attached; cursors are saved and read back."""

from __future__ import annotations

from decimal import Decimal as D
from pathlib import Path

from connectors.cex import CexVenueConfig, FillCursor
from connectors.cex.link import CexLink, load_cursors, save_cursors
from connectors.orders import Liquidity, VenueFill
from connectors.venue import Side


def fill(trade_id: str) -> VenueFill:
    return VenueFill("x", "c-1", "9", trade_id, "WETH/USDC", Side.BUY, D(1), D(3000), D(0),
                     "WETH", Liquidity.TAKER, 0)


def link(path: Path | None = None) -> CexLink:
    config = CexVenueConfig("x", "key", "secret",
                            fill_cursor_path=None if path is None else str(path))
    return CexLink(config, exchange=None)


def test_fills_before_a_handler_when_attached_then_delivered_once_in_order() -> None:
    ledger = link()
    ledger.deliver(fill("1"))
    ledger.deliver(fill("2"))
    ledger.deliver(fill("1"))  # a repeat (stream and poll): dropped
    got: list[VenueFill] = []
    ledger.on_fill = got.append
    assert [f.trade_id for f in got] == ["1", "2"]
    ledger.deliver(fill("3"))
    ledger.on_fill = got.append  # attaching again hands over nothing twice
    assert [f.trade_id for f in got] == ["1", "2", "3"]


def test_cursors_when_read_through_then_saved_and_loaded_back(tmp_path: Path) -> None:
    path = tmp_path / "cursors.json"
    ledger = link(path)
    assert load_cursors(str(path)) == {} and load_cursors(None) == {}
    ledger.read_through("WETH/USDC", FillCursor("41", 1_700_000_000_000))
    ledger.read_through("WBTC/USDC", FillCursor("7", 1_700_000_000_500))
    assert load_cursors(str(path)) == ledger.cursors
    save_cursors(str(path), {})
    assert load_cursors(str(path)) == {}
