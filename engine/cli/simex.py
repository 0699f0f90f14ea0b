"""`crossbook simex up`: run a simulated exchange on loopback, speaking Binance's spot API
(the default dialect) or Deribit's derivatives JSON-RPC API (`--dialect deribit`)."""

from __future__ import annotations

import asyncio
import signal
import sys
from enum import StrEnum
from pathlib import Path
from typing import Annotated, Any

import typer
from pydantic import SecretStr

from connectors.simex import (
    DEFAULT_API_KEY,
    AccountConfig,
    SimexConfig,
    SimexConfigError,
    SimexServer,
    load_config,
)
from connectors.simex.deribit import (
    DeribitAccountConfig,
    DeribitConfig,
    DeribitServer,
    load_deribit_config,
)
from engine.cli.output import ExitCode, console, fail, print_json, table

app = typer.Typer(help="Run simex, a local exchange that ccxt.binance (or ccxt.deribit) "
                       "trades against.", no_args_is_help=True)


class SimexDialect(StrEnum):
    BINANCE = "binance"
    DERIBIT = "deribit"


def _with_account(config: SimexConfig, api_key: str | None, api_secret: str | None
                  ) -> SimexConfig:
    if api_key is None and api_secret is None:
        return config
    if api_key is None or api_secret is None:
        fail(ExitCode.USAGE, "give both --api-key and --api-secret, or neither")
    first = config.accounts[0] if config.accounts else AccountConfig()
    account = AccountConfig(api_key=api_key, api_secret=SecretStr(api_secret),
                            balances=first.balances)
    return config.model_copy(update={"accounts": (account, *config.accounts[1:])})


def _summary(server: SimexServer) -> dict[str, Any]:
    return {
        "name": server.config.name, "port": server.port,
        "rest_url": f"{server.rest_url}/api/v3", "ws_url": f"{server.ws_url}/ws",
        "ws_api_url": f"{server.ws_url}/ws-api/v3",
        "symbols": [f"{s.base}/{s.quote}" for s in server.config.symbols],
        "api_keys": [a.api_key for a in server.config.accounts],
        "maker_fee": server.config.maker_fee, "taker_fee": server.config.taker_fee,
    }


def _with_deribit_account(config: DeribitConfig, api_key: str | None,
                          api_secret: str | None) -> DeribitConfig:
    if api_key is None and api_secret is None:
        return config
    if api_key is None or api_secret is None:
        fail(ExitCode.USAGE, "give both --api-key and --api-secret, or neither")
    first = config.accounts[0] if config.accounts else DeribitAccountConfig()
    account = DeribitAccountConfig(api_key=api_key, api_secret=SecretStr(api_secret),
                                   balances=first.balances)
    return config.model_copy(update={"accounts": (account, *config.accounts[1:])})


def _deribit_summary(server: DeribitServer) -> dict[str, Any]:
    instruments = server.engine.instruments.values()
    return {
        "name": server.config.name, "dialect": "deribit", "port": server.port,
        "rest_url": f"{server.rest_url}/api/v2", "ws_url": server.ws_url,
        "currencies": [c.currency for c in server.config.currencies],
        "instruments": len(server.engine.instruments),
        "options": sum(1 for i in instruments if i.is_option),
        "perpetuals": sorted(i.name for i in instruments if i.perpetual),
        "futures": sorted(i.name for i in instruments if not i.is_option and not i.perpetual),
        "index": {k: str(v) for k, v in server.engine.marks.index.items()},
        "api_keys": [a.api_key for a in server.config.accounts],
    }


def _print_deribit(summary: dict[str, Any]) -> None:
    console.print(table(f"simex {summary['name']} (deribit) is up (Ctrl-C stops it)",
                        ["what", "value"],
                        [["REST (JSON-RPC)", summary["rest_url"]],
                         ["WebSocket (JSON-RPC)", summary["ws_url"]],
                         ["currencies", ", ".join(summary["currencies"])],
                         ["instruments", f"{summary['instruments']} ({summary['options']} "
                                         "options)"],
                         ["perpetuals", ", ".join(summary["perpetuals"])],
                         ["futures", ", ".join(summary["futures"])],
                         ["api keys", ", ".join(summary["api_keys"])]]))


async def _serve(server: SimexServer | DeribitServer, json_output: bool) -> None:
    await server.start()
    if isinstance(server, DeribitServer):
        summary = _deribit_summary(server)
        if json_output:
            print_json(summary)
        else:
            _print_deribit(summary)
    elif json_output:
        print_json(_summary(server))
    else:
        summary = _summary(server)
        console.print(table(f"simex {summary['name']} is up (Ctrl-C stops it)",
                            ["what", "value"],
                            [["REST", summary["rest_url"]], ["streams", summary["ws_url"]],
                             ["WebSocket API", summary["ws_api_url"]],
                             ["symbols", ", ".join(summary["symbols"])],
                             ["api keys", ", ".join(summary["api_keys"])],
                             ["fees maker/taker", f"{summary['maker_fee']} / "
                                                  f"{summary['taker_fee']}"]]))
    sys.stdout.flush()
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for signum in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(signum, stop.set)
    try:
        await stop.wait()
    finally:
        await server.stop()


@app.command()
def up(
    port: Annotated[int, typer.Option(help="Port on 127.0.0.1 (0: a free one).")] = 8765,
    api_key: Annotated[str | None, typer.Option(
        envvar="SIMEX_API_KEY", help=f"API key of the funded account (default {DEFAULT_API_KEY})."
    )] = None,
    api_secret: Annotated[str | None, typer.Option(
        envvar="SIMEX_API_SECRET", help="Its API secret (prefer the SIMEX_API_SECRET variable)."
    )] = None,
    config_file: Annotated[Path | None, typer.Option("--config", help="simex config (TOML).")]
    = None,
    json_output: Annotated[bool, typer.Option("--json", help="Print one JSON object.")] = False,
    dialect: Annotated[SimexDialect, typer.Option(
        help="binance: spot REST /api/v3 + streams /ws; deribit: options, perpetuals and "
             "futures over JSON-RPC at /api/v2 and /ws/api/v2.")] = SimexDialect.BINANCE,
) -> None:
    """Serve a simulated exchange on 127.0.0.1 until interrupted."""
    server: SimexServer | DeribitServer
    try:
        if dialect is SimexDialect.DERIBIT:
            server = DeribitServer(_with_deribit_account(
                load_deribit_config(config_file), api_key, api_secret), port=port)
        else:
            server = SimexServer(_with_account(load_config(config_file), api_key, api_secret),
                                 port=port)
    except SimexConfigError as error:
        fail(ExitCode.USAGE, str(error))
    try:
        asyncio.run(_serve(server, json_output))
    except OSError as error:
        fail(ExitCode.USAGE, f"cannot listen on 127.0.0.1:{port}: {error.strerror}; "
                             "choose another --port")
