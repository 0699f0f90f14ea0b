"""`crossbook risk`: Greeks, margin, VaR and liquidation of a desk portfolio file, or the
Greeks of one option. Analytics are floats; JSON carries them as decimal strings (repr of the
float64, so they round-trip exactly)."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from decimal import Decimal
from enum import StrEnum
from pathlib import Path
from typing import Annotated, Any

import typer

from engine.cli.output import ExitCode, console, fail, print_json, table
from risk.errors import InvalidRiskInput, MissingMarketData, RiskError
from risk.margin import (
    MarginEngine,
    MarginEngineConfig,
    PortfolioFile,
    VarConfig,
    VarResult,
    black76,
    covariance_from_prices,
    historical_var,
    liquidation_price,
    load_portfolio,
    monte_carlo_var,
    parametric_var,
    perp_maintenance_margin,
)

app = typer.Typer(help="Greeks, margin, VaR and liquidation of a portfolio.",
                  no_args_is_help=True)

PortfolioOption = Annotated[Path, typer.Option("--portfolio", help="Portfolio file (TOML, or "
                                               "JSON by its .json extension).")]
JsonOption = Annotated[bool, typer.Option("--json", help="Print one JSON object.")]


def _num(value: float) -> str:
    return repr(float(value))


def _fmt(value: float | None, digits: int = 2) -> str:
    return "-" if value is None else f"{value:,.{digits}f}"


@contextmanager
def _risk_errors() -> Iterator[None]:
    try:
        yield
    except (InvalidRiskInput, MissingMarketData) as error:
        fail(ExitCode.USAGE, f"{error}. Fix the portfolio file or the option given.")
    except RiskError as error:
        fail(ExitCode.REFUSED, str(error))


def _load(path: Path) -> PortfolioFile:
    with _risk_errors():
        return load_portfolio(path)
    raise AssertionError("unreachable: _risk_errors exits on every error")


class Right(StrEnum):
    CALL = "call"
    PUT = "put"


@app.command()
def greeks(
    portfolio: Annotated[Path | None, typer.Option(help="Portfolio file: Greeks per "
                                                   "underlying.")] = None,
    forward: Annotated[float | None, typer.Option(help="Forward price, USD.")] = None,
    strike: Annotated[float | None, typer.Option(help="Strike, USD.")] = None,
    expiry_days: Annotated[float | None, typer.Option(help="Days to expiry (365 a year).")]
    = None,
    vol: Annotated[float | None, typer.Option(help="Implied vol as a fraction, 0.65 = 65%.")]
    = None,
    right: Annotated[Right | None, typer.Option(help="call or put.")] = None,
    json_output: JsonOption = False,
) -> None:
    """Black-76 Greeks (Deribit units): one option from flags, or a portfolio's totals."""
    single = (forward, strike, expiry_days, vol, right)
    if portfolio is None:
        if forward is None or strike is None or expiry_days is None or vol is None \
                or right is None:
            fail(ExitCode.USAGE, "give --portfolio, or all of --forward --strike --expiry-days "
                                 "--vol --right")
        _single_option_greeks(forward, strike, expiry_days, vol, right, json_output)
        return
    if any(v is not None for v in single):
        fail(ExitCode.USAGE, "give either --portfolio or the single-option flags, not both")
    document = _load(portfolio)
    with _risk_errors():
        totals = MarginEngine(document.portfolio, document.market).greeks
    rows = [{"underlying": g.underlying, "index": _num(g.index), "delta": _num(g.delta),
             "delta_usd": _num(g.delta_usd), "gamma": _num(g.gamma), "vega": _num(g.vega),
             "theta": _num(g.theta), "rho": _num(g.rho)} for g in totals]
    if json_output:
        print_json({"underlyings": rows})
        return
    console.print(table("portfolio Greeks (vega per vol point, theta per day, rho per 1%)",
                        ["underlying", "delta", "delta USD", "gamma", "vega USD", "theta USD",
                         "rho USD"],
                        [[g.underlying, f"{g.delta:.6g}", _fmt(g.delta_usd), f"{g.gamma:.6g}",
                          _fmt(g.vega), _fmt(g.theta), _fmt(g.rho)] for g in totals]))


def _single_option_greeks(forward: float, strike: float, expiry_days: float, vol: float,
                          right: Right, json_output: bool) -> None:
    with _risk_errors():
        g = black76(forward, strike, expiry_days, vol, right is Right.CALL)
    values = {name: float(getattr(g, name)) for name in ("price", "delta", "gamma", "vega",
                                                          "theta", "rho")}
    if json_output:
        print_json({name: _num(v) for name, v in values.items()})
        return
    console.print(table(f"Black-76 {right.value} F={forward} K={strike} {expiry_days}d "
                        f"vol={vol}", ["price", "delta", "gamma", "vega", "theta", "rho"],
                        [[f"{v:.10g}" for v in values.values()]]))


@app.command()
def margin(portfolio: PortfolioOption, json_output: JsonOption = False,
           hedge: Annotated[bool, typer.Option(help="Also propose delta hedges.")] = False
           ) -> None:
    """Scenario (portfolio) margin and standard margin, utilisation, alerts, hedges."""
    document = _load(portfolio)
    config = MarginEngineConfig()
    if hedge:
        config = config.model_copy(update={"hedge": config.hedge.model_copy(
            update={"enabled": True})})
    with _risk_errors():
        engine = MarginEngine(document.portfolio, document.market, config)
        pm, sm = engine.portfolio_margin(), engine.standard_margin()
        alerts, hedges = engine.alerts(), engine.hedge_proposals()
    report: dict[str, Any] = {
        "equity": _num(pm.equity),
        "portfolio": {
            "initial_margin": _num(pm.initial_margin),
            "maintenance_margin": _num(pm.maintenance_margin),
            "utilisation": _num(pm.utilisation),
            "per_underlying": [{
                "underlying": u.underlying, "worst_loss": _num(u.worst_loss),
                "worst_scenario": u.worst_scenario, "delta_shock": _num(u.delta_shock),
                "roll_shock": _num(u.roll_shock), "contingency": _num(u.contingency),
                "initial_margin": _num(u.initial_margin),
                "maintenance_margin": _num(u.maintenance_margin)} for u in pm.per_underlying],
        },
        "standard": {"initial_margin": _num(sm.initial_margin),
                     "maintenance_margin": _num(sm.maintenance_margin),
                     "utilisation": _num(sm.utilisation)},
        "alerts": [{"kind": a.kind.value, "subject": a.subject, "value": _num(a.value),
                    "threshold": _num(a.threshold)} for a in alerts],
        "hedges": [{"underlying": h.underlying, "venue": h.venue, "instrument": h.instrument,
                    "side": h.side.value, "quantity": h.quantity} for h in hedges],
    }
    if json_output:
        print_json(report)
        return
    console.print(f"equity USD {_fmt(pm.equity)}")
    console.print(table("scenario margin (USD)", ["underlying", "worst loss", "worst scenario",
                                                  "delta shock", "roll shock", "contingency",
                                                  "initial", "maintenance"],
                        [[u.underlying, _fmt(u.worst_loss), u.worst_scenario,
                          _fmt(u.delta_shock), _fmt(u.roll_shock), _fmt(u.contingency),
                          _fmt(u.initial_margin), _fmt(u.maintenance_margin)]
                         for u in pm.per_underlying]))
    console.print(table("margin by model", ["model", "initial USD", "maintenance USD",
                                            "utilisation"],
                        [["portfolio", _fmt(pm.initial_margin), _fmt(pm.maintenance_margin),
                          f"{pm.utilisation:.2%}"],
                         ["standard", _fmt(sm.initial_margin), _fmt(sm.maintenance_margin),
                          f"{sm.utilisation:.2%}"]]))
    for alert in alerts:
        console.print(f"[bold yellow]alert:[/] {alert}")
    for h in hedges:
        console.print(f"hedge: {h.side.value} {h.quantity} {h.instrument} on {h.venue} "
                      f"(delta {h.delta_before:.4g} -> {h.delta_after:.4g})")


class Method(StrEnum):
    ALL = "all"
    HISTORICAL = "historical"
    DELTA_GAMMA = "delta_gamma"
    MONTE_CARLO = "monte_carlo"


@app.command()
def var(portfolio: PortfolioOption, json_output: JsonOption = False,
        method: Annotated[Method, typer.Option(help="Which model (default: all three).")]
        = Method.ALL,
        paths: Annotated[int, typer.Option(help="Monte Carlo paths.")] = 100_000,
        seed: Annotated[int, typer.Option(help="Monte Carlo seed.")] = 20260101) -> None:
    """99% 1-day VaR and 97.5% ES: historical, delta-gamma and Monte Carlo."""
    document = _load(portfolio)
    if paths < 1000:
        fail(ExitCode.USAGE, "--paths must be at least 1000")
    config = VarConfig(monte_carlo_paths=paths, seed=seed)
    results: list[VarResult] = []
    with _risk_errors():
        p, m, h = document.portfolio, document.market, document.history
        underlyings = p.underlyings(m)
        if method in (Method.ALL, Method.HISTORICAL):
            results.append(historical_var(p, m, h, config))
        if method in (Method.ALL, Method.DELTA_GAMMA, Method.MONTE_CARLO):
            cov = covariance_from_prices(h, underlyings, config.horizon_days)
            if method in (Method.ALL, Method.DELTA_GAMMA):
                results.append(parametric_var(p, m, cov, config))
            if method in (Method.ALL, Method.MONTE_CARLO):
                results.append(monte_carlo_var(p, m, cov, config))
    rows = [{"method": r.method.value, "var": _num(r.var), "es": _num(r.es),
             "var_confidence": _num(r.var_confidence), "es_confidence": _num(r.es_confidence),
             "horizon_days": r.horizon_days, "samples": r.samples} for r in results]
    if json_output:
        print_json({"results": rows})
        return
    console.print(table("VaR and expected shortfall (USD losses)",
                        ["method", "VaR", "ES", "horizon days", "samples"],
                        [[r.method.value, _fmt(r.var), _fmt(r.es), r.horizon_days, r.samples]
                         for r in results]))


@app.command()
def liquidation(portfolio: PortfolioOption, json_output: JsonOption = False) -> None:
    """Perpetual liquidation prices (isolated and cross) and the desk's breaching moves."""
    document = _load(portfolio)
    engine = MarginEngine(document.portfolio, document.market)
    tiers = engine.config.standard.perp_tiers
    with _risk_errors():
        perps = _perp_liquidations(document, tiers)
        moves = engine.breach_moves()
    buffer = min((b.buffer for b in moves if b.buffer is not None), default=None)
    report = {
        "perpetuals": perps,
        "breach_moves": [{"underlying": b.underlying,
                          "down": None if b.down is None else _num(b.down),
                          "up": None if b.up is None else _num(b.up),
                          "already_breached": b.already_breached} for b in moves],
        "liquidation_buffer": None if buffer is None else _num(buffer),
    }
    if json_output:
        print_json(report)
        return
    console.print(table("perpetual liquidation prices (Binance USDⓈ-M formula)",
                        ["venue", "symbol", "mode", "quantity", "entry", "liquidation price"],
                        [[p["venue"], p["symbol"], p["mode"], p["quantity"], p["entry_price"],
                          p["liquidation_price"] or "none"] for p in perps]))
    console.print(table("smallest move that breaches maintenance (standard margin)",
                        ["underlying", "down", "up"],
                        [[b.underlying, "-" if b.down is None else f"{b.down:+.2%}",
                          "-" if b.up is None else f"{b.up:+.2%}"] for b in moves]))


def _perp_liquidations(document: PortfolioFile, tiers: Any) -> list[dict[str, Any]]:
    market, perps = document.market, document.portfolio.perpetuals
    cash = sum((s.quantity for s in (*document.portfolio.spot,)
                if market.underlying_of(s.asset) is None), Decimal(0))
    rows = []
    for i, perp in enumerate(perps):
        if perp.quantity == 0:
            continue
        others = [p for j, p in enumerate(perps) if j != i and p.isolated_margin is None]
        if perp.isolated_margin is not None:
            mode, price = "isolated", liquidation_price(perp, perp.isolated_margin, tiers)
        else:
            other_mm = sum((perp_maintenance_margin(abs(p.quantity) * market.index(p.underlying),
                                                    tiers) for p in others), Decimal(0))
            other_pnl = sum((p.quantity * (market.index(p.underlying) - p.entry_price)
                             for p in others), Decimal(0))
            mode, price = "cross", liquidation_price(perp, cash, tiers,
                                                     other_maintenance=other_mm,
                                                     other_unrealized_pnl=other_pnl)
        rows.append({"venue": perp.venue, "symbol": perp.symbol, "mode": mode,
                     "quantity": perp.quantity, "entry_price": perp.entry_price,
                     "liquidation_price": None if price is None else price.quantize(
                         Decimal("0.01"))})
    return rows


# ---- kill switch (on the running engine, through its API server) ---------------------------

kill_app = typer.Typer(help="Engage or release a kill switch on the running engine "
                            "(`crossbook order serve`): desk, account or strategy level.",
                       no_args_is_help=True)
app.add_typer(kill_app, name="kill")


class KillLevelName(StrEnum):
    DESK = "desk"
    ACCOUNT = "account"
    STRATEGY = "strategy"


LevelOption = Annotated[KillLevelName, typer.Option("--level", help="desk, account or strategy.")]
NameOption = Annotated[str | None, typer.Option(
    "--name", help="The account or strategy (a strategy is the part of an order's request or "
                   "parent id before ':').")]
UrlOption = Annotated[str | None, typer.Option("--url", help="API server (default "
                                               "CROSSBOOK_API_URL or http://127.0.0.1:8780).")]
_KILL_COLUMNS = ["level", "name", "reason"]


def _kill_call(action: str, level: KillLevelName, name: str | None, reason: str | None,
               url: str | None) -> Any:
    from engine.cli.order import request  # the API client with the CLI's exit codes

    if level is not KillLevelName.DESK and not name:
        fail(ExitCode.USAGE, f"--name is required for a {level.value} kill switch")
    body: dict[str, Any] = {"level": level.value}
    if name is not None and level is not KillLevelName.DESK:
        body["name"] = name
    if reason is not None:
        body["reason"] = reason
    return request("POST", f"/v1/risk/kill/{action}", body, url)


def _show_switches(answer: dict[str, Any], json_output: bool) -> None:
    if json_output:
        print_json(answer)
        return
    console.print(table("Kill switches engaged", _KILL_COLUMNS,
                        [[s["level"], s["name"], s["reason"]] for s in answer["engaged"]]))
    canceled = answer.get("canceled", [])
    if canceled:
        console.print(table("Orders canceled", ["client order id", "venue", "status"],
                            [[o["client_order_id"], o["venue"], o["status"]] for o in canceled]))


@kill_app.command()
def engage(level: LevelOption, name: NameOption = None,
           reason: Annotated[str, typer.Option(help="Why (logged with the cancels).")]
           = "operator", url: UrlOption = None, json_output: JsonOption = False) -> None:
    """Block every new order of the scope and cancel its open orders through the OMS."""
    _show_switches(_kill_call("engage", level, name, reason, url), json_output)


@kill_app.command()
def release(level: LevelOption, name: NameOption = None, url: UrlOption = None,
            json_output: JsonOption = False) -> None:
    """Let new orders of the scope through again (nothing canceled is resent)."""
    _show_switches(_kill_call("release", level, name, None, url), json_output)


@kill_app.command()
def status(url: UrlOption = None, json_output: JsonOption = False) -> None:
    """The kill switches engaged now."""
    from engine.cli.order import request

    _show_switches(request("GET", "/v1/risk/kill", url=url), json_output)
