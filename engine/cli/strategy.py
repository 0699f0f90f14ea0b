"""`crossbook strategy KIND`: build an options package, show its legs, premium, Greeks and
margin before and after, then send it as one leg group (asked first; --yes sends, --dry-run
never does; --json without --yes only previews, so scripts are never prompted).

The venue is a Deribit API (`--venue http://127.0.0.1:PORT`, the simex Deribit dialect or
Deribit itself, keys from DERIBIT_API_KEY / DERIBIT_API_SECRET) or a paper venue in memory
(`--venue paper` for the defaults, or `--venue paper.toml`): a smile-priced board with books,
and a spot venue to hedge on.

With a Deribit venue, `--hedge perp` hedges with its perpetual; `--hedge spot --hedge-venue
http://...` hedges on a Binance-dialect exchange (simex, or Binance; keys from HEDGE_API_KEY /
HEDGE_API_SECRET) with the underlying's mapped asset (ETH -> WETH/USDC, BTC -> WBTC/USDC),
sized in the venue's lot, in the same leg group as the options.
"""

from __future__ import annotations

import asyncio
import time
import uuid
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass, field
from decimal import Decimal
from enum import StrEnum
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer

from connectors.venue import Venue
from engine.cli.output import ExitCode, console, decimal_option, fail, plain, print_json, table
from engine.config import load_settings
from engine.errors import CrossbookError, InvalidValue, RetryableError
from engine.legs import GroupState, LegGroupReport
from engine.model import InstrumentKind, OptionRight, Side
from engine.oms import ExecutionVenue
from engine.strategies import (
    DeribitSymbols,
    HedgeAssets,
    Listing,
    OptionBoard,
    PackagePreview,
    Strategy,
    StrategyKind,
    SymbolMap,
    build,
    delta_hedged,
    format_expiry,
    leg_group_params,
    parse_expiry,
    perpetual,
    price_package,
    send,
    spot,
)
from risk.errors import RiskError

if TYPE_CHECKING:
    from connectors.cex import CexVenue
from risk.margin import Portfolio, SpotBalance

app = typer.Typer(help="Options strategies: preview a package, then send it as one leg group.",
                  no_args_is_help=True)


class Hedge(StrEnum):
    NONE = "none"
    PERP = "perp"  # the perpetual on the options venue
    SPOT = "spot"  # spot on the hedge venue


class Direction(StrEnum):
    BULL = "bull"
    BEAR = "bear"


@dataclass
class Session:
    """One venue set-up: market data to preview with, venues to send to."""

    option_venue: str
    board: OptionBoard
    account: Portfolio
    venues: list[ExecutionVenue]
    quote_venues: list[Venue]
    symbols: SymbolMap
    hedge_venue: str | None = None
    spot_symbol: str = "BTC/USDT"
    spot_lot: Decimal = Decimal("0.001")
    perp_lot: Decimal = Decimal("0.001")
    spot_book: tuple[Decimal | None, Decimal | None] = (None, None)
    perp_contract_usd: Decimal | None = None  # set where the perpetual is inverse (Deribit)
    hedges: frozenset[Hedge] = frozenset({Hedge.SPOT})
    hedge_assets: HedgeAssets | None = None  # the spot stand-in per underlying (ETH -> WETH)
    spot_tick: Decimal | None = None  # set where the hedge leg is sent with a limit
    closers: list[Any] = field(default_factory=list)
    prepare: Callable[[Strategy], Awaitable[None]] | None = None  # start venues for a package
    spot_lot_of: Callable[[str], Awaitable[Decimal]] | None = None  # the hedge venue's lot

    async def close(self) -> None:
        for closer in self.closers:
            await closer()


def _paper(source: str, now_ns: int) -> Session:
    from engine.strategies._paper import (
        PaperOptionsConfig,
        board_venue,
        load_paper_config,
        spot_venue,
    )

    config = PaperOptionsConfig() if source == "paper" else load_paper_config(Path(source))
    board = config.board(now_ns)
    symbols = DeribitSymbols()
    options = board_venue(board, symbols, config.name, config.book_size)
    hedge = spot_venue(config.hedge.name, config.hedge.symbol, config.index,
                       config.hedge.levels, config.hedge.level_size)
    account = Portfolio(spot=tuple(
        SpotBalance(config.name if asset == config.underlying else config.hedge.name, asset,
                    qty) for asset, qty in config.collateral.items()))
    best = (hedge.books[config.hedge.symbol][1][0][0], hedge.books[config.hedge.symbol][0][0][0])
    return Session(config.name, board, account, [options, hedge], [options, hedge], symbols,
                   config.hedge.name, config.hedge.symbol, spot_book=best)


async def _deribit(url: str, now_ns: int, hedge_url: str | None = None) -> Session:
    from engine.strategies._aliases import AliasedDeribitVenue
    from engine.strategies._deribit import (
        DeribitBoard,
        account_portfolio,
        catalog,
        start_venue,
    )

    exchange = await catalog(url)
    board = DeribitBoard(exchange)
    from engine.strategies._spot import DEFAULT_HEDGE_ASSETS

    session = Session("deribit", board, Portfolio(), [], [], DeribitSymbols(),
                      perp_lot=Decimal(10), perp_contract_usd=Decimal(10),
                      hedges=frozenset({Hedge.PERP} | ({Hedge.SPOT} if hedge_url else set())),
                      closers=[exchange.close], hedge_venue="hedge" if hedge_url else None,
                      hedge_assets=DEFAULT_HEDGE_ASSETS if hedge_url else None)

    async def prepare(strategy: Strategy) -> None:
        from engine.strategies._spot import balances, market, touch

        hedge = strategy.hedge_leg
        options = [leg for leg in strategy.legs if hedge is None or leg is not hedge
                   or hedge.instrument.kind is not InstrumentKind.SPOT]
        inner = start_venue(url, "deribit", [board.symbol_of(leg.name) for leg in options])
        await inner.start()
        session.closers.append(inner.close)
        venue = AliasedDeribitVenue(inner)
        session.venues, session.quote_venues = [venue], [venue]
        session.account = await account_portfolio(inner, board, now_ns)
        if hedge is not None and hedge.instrument.kind is InstrumentKind.SPOT and hedge_url:
            spot = await hedge_venue(str(hedge.instrument.id))
            session.venues.append(spot)
            session.quote_venues.append(spot)
            session.spot_tick = market(spot, str(hedge.instrument.id)).tick_size
            session.spot_book = touch(spot, str(hedge.instrument.id))
            for held in await balances(spot, str(hedge.instrument.id)):
                session.account = session.account.with_position(held)

    hedge_venues: dict[str, CexVenue] = {}

    async def hedge_venue(symbol: str) -> CexVenue:
        """The hedge venue for `symbol`, started once: sizing reads its lot, sending uses it."""
        from engine.strategies._spot import spot_venue

        assert hedge_url is not None
        if symbol not in hedge_venues:
            venue = spot_venue(hedge_url, "hedge", symbol)
            await venue.start()
            session.closers.append(venue.close)
            hedge_venues[symbol] = venue
        return hedge_venues[symbol]

    async def hedge_lot(symbol: str) -> Decimal:
        from engine.strategies._spot import market

        return market(await hedge_venue(symbol), symbol).lot_size

    session.spot_lot_of = hedge_lot

    session.prepare = prepare
    return session


async def _session(venue: str, now_ns: int, hedge_venue: str | None = None) -> Session:
    if hedge_venue is not None and not hedge_venue.startswith(("http://", "https://")):
        fail(ExitCode.USAGE, f"--hedge-venue {hedge_venue!r}: expected a Binance-dialect URL "
                             "(http://...)")
    if venue == "paper" or venue.endswith(".toml"):
        if hedge_venue is not None:
            fail(ExitCode.USAGE, "--hedge-venue is for a Deribit --venue (the paper venue "
                                 "has its own hedge venue)")
        return _paper(venue, now_ns)
    if venue.startswith(("http://", "https://")):
        return await _deribit(venue, now_ns, hedge_venue)
    fail(ExitCode.USAGE, f"--venue {venue!r}: expected a Deribit URL (http://...), 'paper' "
                         "or a paper venue file (.toml)")


def _strikes(text: str) -> list[Decimal]:
    return [decimal_option("--strikes", part) for part in text.split(",") if part.strip()]


def _expiries(values: Sequence[str]) -> list[str]:
    return [part.strip() for value in values for part in value.split(",") if part.strip()]


async def _strategy(session: Session, kind: StrategyKind, underlying: str,
                    expiries: list[str], strikes: list[Decimal], qty: Decimal, side: Side,
                    right: OptionRight | None, hedge: Hedge, now_ns: int) -> Strategy:
    listing = Listing(await session.board.listing(underlying.upper()), now_ns)
    strategy = build(kind, underlying, expiries, strikes, qty, listing, side, right)
    if hedge is Hedge.NONE:
        return strategy
    if hedge not in session.hedges:
        raise InvalidValue("hedge", f"{hedge.value} hedges are not available on this venue "
                                    f"(available: {', '.join(sorted(session.hedges))})")
    if hedge is Hedge.PERP:
        return await delta_hedged(strategy, session.board, now_ns, perpetual(strategy.underlying),
                                  session.perp_lot, session.perp_contract_usd)
    if session.hedge_assets is not None:
        instrument = session.hedge_assets.hedge(strategy.underlying)
        lot = session.spot_lot
        if session.spot_lot_of is not None:
            lot = await session.spot_lot_of(str(instrument.id))
        return await delta_hedged(strategy, session.board, now_ns, instrument, lot,
                                  assets=session.hedge_assets)
    base, _, quote = session.spot_symbol.partition("/")
    if base != strategy.underlying:
        raise InvalidValue("hedge", f"the hedge venue trades {session.spot_symbol}, "
                                    f"not {strategy.underlying}")
    return await delta_hedged(strategy, session.board, now_ns, spot(base, quote),
                              session.spot_lot)


def _num(value: Decimal | None) -> str:
    return "-" if value is None else str(plain(value))


def _show(preview: PackagePreview) -> None:
    s = preview.strategy
    rows = [[q.leg.name, preview.venue_of(q.leg), q.leg.side.value, plain(q.qty), _num(q.bid),
             _num(q.ask), _num(q.mark), "-" if q.iv is None else f"{q.iv * 100:.1f}%",
             _num(q.price), _num(q.premium_coin)] for q in preview.legs]
    expiries = sorted({format_expiry(q.leg.instrument.expiry_ts_ns) for q in preview.legs
                       if q.leg.instrument.expiry_ts_ns is not None}, key=parse_expiry)
    console.print(table(f"{s.label} {s.underlying} {'/'.join(expiries)} x{plain(s.qty)} on "
                        f"{preview.venue}",
                        ["instrument", "venue", "side", "qty", "bid", "ask", "mark", "IV",
                         "price", f"premium {s.underlying}"], rows))
    doc = preview.to_json()
    premium: dict[str, Any] = doc["net_premium"]  # type: ignore[assignment]
    greeks: dict[str, Any] = doc["greeks"]  # type: ignore[assignment]
    before, after = preview.margin_before, preview.margin_after
    summary = [
        ["net premium", f"{_num(preview.net_premium_coin)} {s.underlying} "
                        f"({premium['direction']})"],
        ["net premium USD", f"{preview.net_premium_usd} at index {plain(preview.index)}"],
        ["delta", f"{greeks['delta']} {s.underlying}"], ["gamma", f"{greeks['gamma']}"],
        ["vega", f"{greeks['vega']} USD / vol pt"], ["theta", f"{greeks['theta']} USD / day"],
        ["maintenance margin", f"{before.maintenance_usd} -> {after.maintenance_usd} USD"],
        ["initial margin", f"{before.initial_usd} -> {after.initial_usd} USD"],
        ["utilisation", f"{before.utilisation:.2%} -> {after.utilisation:.2%} "
                        f"of {after.equity_usd} USD equity"],
    ]
    console.print(table("Package", ["what", "value"], summary))
    if not preview.executable:
        console.print("[yellow]a leg's side of the book is empty: priced at the mark[/]")


def _show_report(report: LegGroupReport) -> None:
    rows = [["state", report.state.value], ["filled per leg",
                                            ", ".join(str(plain(q)) for q in report.leg_filled)],
            ["residual", ", ".join(f"{k} {plain(v)}" for k, v in report.residual.items())
             or "none"]]
    if report.failure:
        rows.append(["failure", report.failure])
    console.print(table(f"Leg group {report.group_id}", ["what", "value"], rows))


async def _execute(session: Session, preview: PackagePreview, group_id: str,
                   slippage_bps: int, max_utilisation: float, account: str,
                   journal_url: str, list_store: str, now_ns: int) -> LegGroupReport:
    from engine.api import build_engine, risk_gate
    from engine.journal import Journal, JournalConfig
    from engine.strategies import OptionSymbolGate
    from engine.strategies._gating import instrument_specs, list_instruments, use_margin_engine

    journal = Journal(JournalConfig(url=journal_url))
    engine = build_engine(journal, session.venues, session.quote_venues)
    try:
        gate = risk_gate(session.quote_venues, account, "strategy", list_store, audit=journal)
        list_instruments(gate, session.quote_venues, [session.symbols])
        tickers = [await session.board.ticker(q.leg.instrument) for q in preview.legs
                   if q.leg.role.value == "option"]
        hedges = [q.leg.instrument for q in preview.legs if q.leg.role.value == "hedge"]
        use_margin_engine(gate, session.account, preview.index_prices,
                          instrument_specs(tickers, hedges, now_ns), max_utilisation)
        wrapped = OptionSymbolGate(gate, [session.symbols])
        engine.oms.gate = wrapped
        engine.oms.subscribe(wrapped.on_event)
        await engine.start(resume=False)
        limit = None
        hedge = preview.strategy.hedge_leg
        if hedge is not None and session.spot_tick is not None:
            from engine.strategies._spot import hedge_limit

            bid, ask = session.spot_book
            touch = ask if hedge.side is Side.BUY else bid
            # an empty side: priced from the index, so the leg rests unfilled and unwinds
            limit = hedge_limit(touch or preview.index, hedge.side, slippage_bps,
                                session.spot_tick)
        params = leg_group_params(preview, session.symbols, slippage_bps, hedge_limit=limit)
        return await send(engine, group_id, params)
    finally:
        await engine.close()
        journal.close()


def _list_store(url: str) -> str:
    if url.startswith("sqlite:///"):
        Path(url.removeprefix("sqlite:///")).parent.mkdir(parents=True, exist_ok=True)
    return url


async def _run(kind: StrategyKind, args: dict[str, Any]) -> None:
    now_ns = time.time_ns()
    session = await _session(args["venue"], now_ns, args["hedge_venue"])
    try:
        strategy = await _strategy(session, kind, args["underlying"], args["expiries"],
                                   args["strikes"], args["qty"], args["side"], args["right"],
                                   args["hedge"], now_ns)
        if session.prepare is not None:
            await session.prepare(strategy)
        preview = await price_package(strategy, session.board, session.account, now_ns,
                                      session.option_venue, session.hedge_venue
                                      if args["hedge"] is Hedge.SPOT else None,
                                      session.spot_book if args["hedge"] is Hedge.SPOT
                                      else (None, None))
        json_output = args["json_output"]
        if not json_output:
            _show(preview)
        go = args["yes"] and not args["dry_run"]
        if not go and not args["dry_run"] and not json_output:
            go = typer.confirm(f"Send these {len(preview.legs)} legs as one group?",
                               default=False)
        report = None
        if go:
            report = await _execute(session, preview, args["group_id"], args["slippage_bps"],
                                    args["max_utilisation"], args["account"],
                                    args["journal_url"], _list_store(args["list_store"]),
                                    now_ns)
        if json_output:
            print_json({**preview.to_json(), "group_id": args["group_id"],
                        "sent": report is not None,
                        "execution": None if report is None else report.to_json()})
        elif report is not None:
            _show_report(report)
        if report is not None and report.state is not GroupState.COMPLETED:
            raise typer.Exit(int(ExitCode.REFUSED))
    finally:
        await session.close()


Underlying = Annotated[str, typer.Option(help="Underlying coin (BTC, ETH).")]
Expiry = Annotated[list[str], typer.Option(help="Expiry as Deribit writes it (27DEC26); "
                                                "a calendar takes two (near, far).")]
Strikes = Annotated[str, typer.Option(help="Strikes, comma-separated, ascending.")]
Qty = Annotated[str, typer.Option(help="Number of packages (contracts per unit leg).")]
PackageSide = Annotated[Side, typer.Option(help="buy the package as defined, or sell it.")]
VenueOpt = Annotated[str, typer.Option(help="Deribit URL, 'paper', or a paper venue .toml.")]
HedgeVenueOpt = Annotated[str | None, typer.Option(
    help="Binance-dialect URL of the spot hedge venue (--hedge spot with a Deribit --venue); "
         "the underlying is hedged with its mapped asset: ETH with WETH/USDC, BTC with "
         "WBTC/USDC. Keys from HEDGE_API_KEY / HEDGE_API_SECRET.")]
HedgeOpt = Annotated[Hedge, typer.Option(help="Delta hedge: none, perp (options venue) or "
                                              "spot (hedge venue).")]
Json = Annotated[bool, typer.Option("--json", help="Print one JSON object instead of tables.")]
Yes = Annotated[bool, typer.Option("--yes", help="Send without asking.")]
DryRun = Annotated[bool, typer.Option("--dry-run", help="Preview only; never send.")]
Slippage = Annotated[int, typer.Option(help="Limit beyond the previewed touch, in bps.")]
MaxUse = Annotated[float, typer.Option(help="Gate: deny the group if maintenance margin "
                                            "over equity would exceed this.")]
GroupId = Annotated[str | None, typer.Option(help="Leg group id (default: a new one).")]
Account = Annotated[str, typer.Option(help="Pre-trade account of the desk.")]
JournalUrl = Annotated[str | None, typer.Option(help="Journal URL (default: settings).")]
ListStore = Annotated[str, typer.Option(help="Compliance list store URL.")]


def _command(kind: StrategyKind, underlying: str, expiry: list[str], strikes: str, qty: str,
             side: Side, right: OptionRight | None, venue: str, hedge: Hedge, json_output: bool,
             yes: bool, dry_run: bool, slippage_bps: int, max_utilisation: float,
             group_id: str | None, account: str, journal_url: str | None,
             list_store: str, hedge_venue: str | None = None) -> None:
    if slippage_bps < 0:
        fail(ExitCode.USAGE, f"--slippage-bps: must not be negative, got {slippage_bps}")
    args = {"underlying": underlying, "expiries": _expiries(expiry), "strikes": _strikes(strikes),
            "qty": decimal_option("--qty", qty), "side": side, "right": right, "venue": venue,
            "hedge": hedge, "json_output": json_output, "yes": yes, "dry_run": dry_run,
            "slippage_bps": slippage_bps, "max_utilisation": max_utilisation,
            "group_id": group_id or f"strategy-{uuid.uuid4().hex[:12]}", "account": account,
            "journal_url": journal_url or load_settings().journal_url, "list_store": list_store,
            "hedge_venue": hedge_venue}
    try:
        asyncio.run(_run(kind, args))
    except InvalidValue as error:  # validation, listing, expiry: a domain refusal
        fail(ExitCode.REFUSED, str(error))
    except (RetryableError, OSError, TimeoutError) as error:
        fail(ExitCode.UNREACHABLE, f"the venue did not answer: {error}")
    except (CrossbookError, RiskError) as error:
        fail(ExitCode.REFUSED, str(error))


def _register(kind: StrategyKind, name: str, summary: str, *, takes_right: bool = False
              ) -> None:
    def command(
        expiry: Expiry, strikes: Strikes, qty: Qty, underlying: Underlying = "BTC",
        side: PackageSide = Side.BUY,
        right: Annotated[OptionRight | None, typer.Option(
            help="call or put (verticals, calendars).")] = None,
        direction: Annotated[Direction | None, typer.Option(
            help="bull or bear (verticals; same as --side buy/sell).")] = None,
        venue: VenueOpt = "paper", hedge: HedgeOpt = Hedge.NONE, json_output: Json = False,
        yes: Yes = False, dry_run: DryRun = False, slippage_bps: Slippage = 50,
        max_utilisation: MaxUse = 0.8, group_id: GroupId = None, account: Account = "desk",
        journal_url: JournalUrl = None,
        list_store: ListStore = "sqlite:///.crossbook/compliance.sqlite",
        hedge_venue: HedgeVenueOpt = None,
    ) -> None:
        if direction is not None:
            side = Side.BUY if direction is Direction.BULL else Side.SELL
        if right is not None and not takes_right:
            fail(ExitCode.USAGE, f"--right is for verticals and calendars, not {name}")
        _command(kind, underlying, expiry, strikes, qty, side, right, venue, hedge, json_output,
                 yes, dry_run, slippage_bps, max_utilisation, group_id, account, journal_url,
                 list_store, hedge_venue)

    command.__doc__ = summary
    app.command(name=name)(command)


_register(StrategyKind.STRADDLE, "straddle", "Call and put at one strike.")
_register(StrategyKind.STRANGLE, "strangle", "Put at the lower strike, call at the upper.")
_register(StrategyKind.VERTICAL, "vertical", "Bull (buy lower, sell upper) or bear spread of "
          "calls or puts.", takes_right=True)
_register(StrategyKind.CALENDAR, "calendar", "Sell the near expiry, buy the far one, one "
          "strike.", takes_right=True)
_register(StrategyKind.IRON_CONDOR, "iron-condor", "+P(K1) -P(K2) -C(K3) +C(K4): the credit "
          "condor; --side sell for the reverse.")
_register(StrategyKind.RISK_REVERSAL, "risk-reversal", "Sell the lower put, buy the upper "
          "call (bullish); --side sell for bearish.")
