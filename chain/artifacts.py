"""The real Uniswap and Safe contracts, read from their published npm artifacts.

Crossbook never recompiles or rewrites third-party protocol bytecode: the devnet deploys exactly
the creation code that the npm packages ship, so that quotes and wallet behaviour checked here
are the behaviour of the deployed protocols. Our own contracts come from `chain.compile`.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Any

from chain.errors import ArtifactNotFound

REPO_ROOT = Path(__file__).resolve().parent.parent
NODE_MODULES = REPO_ROOT / "node_modules"

# Contract name -> artifact path inside node_modules. Names are the protocols' own.
_NPM_ARTIFACTS: dict[str, str] = {
    "UniswapV2Factory": "@uniswap/v2-core/build/UniswapV2Factory.json",
    "UniswapV2Pair": "@uniswap/v2-core/build/UniswapV2Pair.json",
    "UniswapV3Factory": (
        "@uniswap/v3-core/artifacts/contracts/UniswapV3Factory.sol/UniswapV3Factory.json"
    ),
    "UniswapV3Pool": "@uniswap/v3-core/artifacts/contracts/UniswapV3Pool.sol/UniswapV3Pool.json",
    "QuoterV2": "@uniswap/v3-periphery/artifacts/contracts/lens/QuoterV2.sol/QuoterV2.json",
    "TickLens": "@uniswap/v3-periphery/artifacts/contracts/lens/TickLens.sol/TickLens.json",
    "SwapRouter": "@uniswap/v3-periphery/artifacts/contracts/SwapRouter.sol/SwapRouter.json",
    "NonfungiblePositionManager": (
        "@uniswap/v3-periphery/artifacts/contracts/"
        "NonfungiblePositionManager.sol/NonfungiblePositionManager.json"
    ),
    "Safe": "@safe-global/safe-contracts/build/artifacts/contracts/Safe.sol/Safe.json",
    "SafeProxy": (
        "@safe-global/safe-contracts/build/artifacts/contracts/proxies/SafeProxy.sol/SafeProxy.json"
    ),
    "SafeProxyFactory": (
        "@safe-global/safe-contracts/build/artifacts/contracts/proxies/"
        "SafeProxyFactory.sol/SafeProxyFactory.json"
    ),
    "CompatibilityFallbackHandler": (
        "@safe-global/safe-contracts/build/artifacts/contracts/handler/"
        "CompatibilityFallbackHandler.sol/CompatibilityFallbackHandler.json"
    ),
    "MultiSendCallOnly": (
        "@safe-global/safe-contracts/build/artifacts/contracts/libraries/"
        "MultiSendCallOnly.sol/MultiSendCallOnly.json"
    ),
}


@dataclass(frozen=True)
class NpmArtifact:
    """ABI and creation bytecode of a contract as its npm package publishes it."""

    name: str
    abi: list[dict[str, Any]]
    bytecode: bytes
    source: str


def npm_artifact_names() -> list[str]:
    """Return the names of every protocol contract Crossbook deploys from npm."""
    return sorted(_NPM_ARTIFACTS)


@cache
def load_npm_artifact(name: str) -> NpmArtifact:
    """Load one protocol contract's artifact from node_modules by contract name."""
    relative = _NPM_ARTIFACTS.get(name)
    if relative is None:
        raise ArtifactNotFound(name, available=npm_artifact_names())
    path = NODE_MODULES / relative
    if not path.is_file():
        raise ArtifactNotFound(
            name, available=npm_artifact_names(), hint=f"{path} is missing; run `make setup`"
        )
    raw = json.loads(path.read_text())
    bytecode_hex: str = raw["bytecode"]
    if isinstance(raw["bytecode"], dict):  # older truffle/waffle shape
        bytecode_hex = raw["bytecode"]["object"]
    return NpmArtifact(
        name=name,
        abi=raw["abi"],
        bytecode=bytes.fromhex(bytecode_hex.removeprefix("0x")),
        source=relative.split("/", 2)[0] + "/" + relative.split("/", 2)[1],
    )
