"""`crossbook simex up`: run a simulated exchange speaking Binance's spot API on loopback."""

from __future__ import annotations

import asyncio
import json
import signal
import sys
from pathlib import Path
from typing import Annotated, Any

import typer
from pydantic import SecretStr

from chain.errors import ChainError
from connectors.simex import (
    DEFAULT_API_KEY,
    AccountConfig,
    SimexConfig,
    SimexConfigError,
    SimexServer,
    load_config,
)
from engine.cli.output import ExitCode, console, fail, print_json, table

app = typer.Typer(help="Run simex, a local exchange that ccxt.binance trades against.",
                  no_args_is_help=True)


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
        "hot_wallets": server.capital.hot_wallets(),
    }


async def _serve(server: SimexServer, json_output: bool) -> None:
    await server.start()
    summary = _summary(server)
    if json_output:
        print_json(summary)
    else:
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
    devnet_manifest: Annotated[Path | None, typer.Option(
        help="Devnet manifest (crossbook devnet up --json): each chain becomes a deposit and "
             "withdrawal network with its own hot wallet.")] = None,
) -> None:
    """Serve REST under /api/v3 and streams under /ws until interrupted."""
    try:
        config = _with_account(load_config(config_file), api_key, api_secret)
    except SimexConfigError as error:
        fail(ExitCode.USAGE, str(error))
    manifest = None
    if devnet_manifest is not None:
        try:
            manifest = json.loads(devnet_manifest.read_text())
        except (OSError, ValueError) as error:
            fail(ExitCode.USAGE, f"--devnet-manifest: cannot read {devnet_manifest}: {error}")
    server = SimexServer(config, port=port, devnet_manifest=manifest)
    try:
        asyncio.run(_serve(server, json_output))
    except ChainError as error:
        fail(ExitCode.UNREACHABLE, f"devnet of --devnet-manifest: {error}")
    except OSError as error:
        fail(ExitCode.USAGE, f"cannot listen on 127.0.0.1:{port}: {error.strerror}; "
                             "choose another --port")
