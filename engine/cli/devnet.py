"""`crossbook devnet up|down|status`: the embedded chain with the real Uniswap and Safe."""

from __future__ import annotations

from decimal import Decimal
from pathlib import Path
from typing import Annotated, Any

import typer
from pydantic import ValidationError
from rich.console import Group

from chain.devnet import AnvilOptions, Devnet, chain_manifests, connect
from chain.pool_prices import read_pool_prices
from chain.world import WorldConfig, load_world
from engine.cli.output import ExitCode, console, fail, print_json, reported_errors, table
from engine.config import load_settings

app = typer.Typer(help="Run the local devnet: anvil with tokens, Uniswap V2/V3 and Safe deployed.",
                  no_args_is_help=True)

StateDir = Annotated[
    Path | None,
    typer.Option("--state-dir", help="Where the devnet keeps its state and manifest "
                 "(default: devnet_state_dir from crossbook.toml, else .crossbook/devnet)."),
]
Json = Annotated[bool, typer.Option("--json", help="Print one JSON object instead of tables.")]


def devnet_at(state_dir: Path | None) -> Devnet:
    """The devnet kept in `state_dir`, or in the configured default."""
    if state_dir is not None:
        return Devnet(state_dir)
    try:
        return Devnet(load_settings().devnet_state_dir)
    except ValidationError as error:
        fail(ExitCode.USAGE, f"configuration is not usable: {error}")


def _world(world_file: Path | None, reference_price: Decimal | None) -> WorldConfig:
    try:
        world = load_world(world_file)
        if reference_price is not None:
            world = world.with_price("WETH/USDC", reference_price)
    except (OSError, ValidationError, ValueError) as error:
        fail(ExitCode.USAGE, f"world file {world_file or 'default'} is not usable: {error}")
    return world


@app.command()
def up(
    port: Annotated[int | None, typer.Option(help="RPC port on 127.0.0.1 (default: a free one).")]
    = None,
    chain_id: Annotated[int | None, typer.Option(help="Chain id (default: the world's).")] = None,
    fork_url: Annotated[str | None, typer.Option(help="Fork this RPC's chain instead.")] = None,
    fork_block_number: Annotated[int | None, typer.Option(help="Block to fork at.")] = None,
    world_file: Annotated[Path | None, typer.Option("--world", help="World file (TOML).")] = None,
    reference_price: Annotated[
        Decimal | None, typer.Option(help="Start WETH/USDC at this price on every venue.")
    ] = None,
    chains: Annotated[int, typer.Option(
        min=1, help="How many chains: one anvil each, chain ids counting up from the first."
    )] = 1,
    state_dir: StateDir = None,
    json_output: Json = False,
) -> None:
    """Start anvil and deploy the world; fork mode deploys only when --world is given."""
    deploy = fork_url is None or world_file is not None
    world = _world(world_file, reference_price) if deploy else None
    options = AnvilOptions(port, chain_id, fork_url, fork_block_number)
    with reported_errors():
        manifest = devnet_at(state_dir).up(options, world, chains)
    if json_output:
        print_json(manifest)
        return
    for chain_manifest in chain_manifests(manifest):
        console.print(f"devnet up on {chain_manifest['rpc_url']} (chain "
                      f"{chain_manifest['chain_id']}, block {chain_manifest['block']})")
    _print_status(manifest)


@app.command()
def status(state_dir: StateDir = None, json_output: Json = False) -> None:
    """Show the running devnet: its contracts, venues and pool prices (--json: the manifest)."""
    with reported_errors():
        manifest = devnet_at(state_dir).status()
    if json_output:
        print_json(manifest)
        return
    _print_status(manifest)


@app.command()
def down(state_dir: StateDir = None, json_output: Json = False) -> None:
    """Stop the devnet and every process it started."""
    devnet = devnet_at(state_dir)
    stopped = devnet.down()
    if json_output:
        print_json({"stopped": stopped})
        return
    console.print("devnet stopped" if stopped else f"no devnet was running from {devnet.state_dir}")


def _print_status(manifest: dict[str, Any]) -> None:
    # One set of tables per chain; a single-chain manifest is its own only chain.
    for chain_manifest in chain_manifests(manifest):
        console.print(status_tables(chain_manifest))


def status_tables(manifest: dict[str, Any]) -> Group:
    """The devnet summary, tokens, contracts and venue price tables for a manifest."""
    chain = table("Devnet", ["chain id", "rpc", "block", "fork of"], [[
        manifest["chain_id"], manifest["rpc_url"], manifest["block"],
        manifest.get("fork_url") or "-",
    ]])
    parts: list[Any] = [chain]
    if "tokens" not in manifest:
        return Group(*parts)
    tokens = table("Tokens", ["symbol", "decimals", "address"], [
        [symbol, token["decimals"], token["address"]]
        for symbol, token in sorted(manifest["tokens"].items())
    ])
    contracts = table("Protocol contracts", ["protocol", "contract", "address"], [
        [protocol, role, address]
        for protocol in ("uniswap_v2", "uniswap_v3", "safe")
        for role, address in manifest[protocol].items()
        if isinstance(address, str)
    ])
    prices = read_pool_prices(connect(manifest["rpc_url"]), manifest)
    venues = table("Venues", ["venue", "market", "fee (pips)", "price", "base depth",
                              "quote depth", "tick"], [
        [p.venue, p.market, p.fee_pips, _fmt(p.price, 2), _fmt(p.base_depth, 4),
         _fmt(p.quote_depth, 2), "-" if p.tick is None else p.tick]
        for p in prices
    ])
    return Group(*parts, tokens, contracts, venues)


def _fmt(value: Decimal, places: int) -> Decimal:
    return value.quantize(Decimal(1).scaleb(-places))
