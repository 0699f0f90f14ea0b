"""Deploy the lock-and-mint bridge on every chain of a multi-chain devnet.

Each chain gets a `BridgeLocker` and a `BridgeMinter`, both deployed by the world's deployer and
operated by one relayer account; then, for every ordered pair of chains, the destination's minter
registers a wrapped token for each of the source's tokens. Each chain's manifest gains a `bridge`
section: `{"locker", "minter", "relayer", "wrapped": {"<source chain id>": {symbol: address}}}`.
"""

from __future__ import annotations

from typing import Any

from eth_typing import ChecksumAddress
from web3 import Web3
from web3.exceptions import ContractLogicError, Web3Exception

from chain.compile import load_artifact
from chain.errors import DeploymentFailed

BRIDGE_CONTRACTS = ("BridgeLocker", "BridgeMinter", "BridgedToken")
# The devnet relayer's account: anvil's unlocked account 8, kept for the relayer alone so its
# nonces never race another test's transactions.
DEVNET_RELAYER_ACCOUNT_INDEX = 8


def bridge_abis() -> dict[str, list[dict[str, Any]]]:
    """ABIs of the bridge contracts by name."""
    return {name: load_artifact(name).abi for name in BRIDGE_CONTRACTS}


def _send(w3: Web3, step: str, submit: Any) -> Any:
    try:
        receipt = w3.eth.wait_for_transaction_receipt(submit(), timeout=60)
    except (ContractLogicError, Web3Exception, ValueError) as exc:
        raise DeploymentFailed(step, str(exc)) from exc
    if receipt["status"] != 1:
        raise DeploymentFailed(step, "transaction reverted")
    return receipt


def _deploy(w3: Web3, deployer: ChecksumAddress, name: str, *args: Any) -> ChecksumAddress:
    artifact = load_artifact(name)
    factory = w3.eth.contract(abi=artifact.abi, bytecode=artifact.bytecode)
    receipt = _send(w3, f"deploy {name}", lambda: factory.constructor(*args).transact(
        {"from": deployer}
    ))
    address: ChecksumAddress = receipt["contractAddress"]
    return address


def deploy_bridges(chains: list[tuple[Web3, dict[str, Any]]]) -> None:
    """Deploy and wire the bridge on every (client, chain manifest) pair; add `bridge` sections."""
    for w3, manifest in chains:
        relayer = w3.eth.accounts[DEVNET_RELAYER_ACCOUNT_INDEX]
        deployer = manifest["deployer"]
        manifest["bridge"] = {
            "locker": _deploy(w3, deployer, "BridgeLocker", relayer),
            "minter": _deploy(w3, deployer, "BridgeMinter", relayer),
            "relayer": relayer,
            "wrapped": {},
        }
    minter_abi = load_artifact("BridgeMinter").abi
    for w3, destination in chains:
        minter = w3.eth.contract(address=destination["bridge"]["minter"], abi=minter_abi)
        relayer = destination["bridge"]["relayer"]
        for _, source in chains:
            if source is destination:
                continue
            wrapped: dict[str, str] = {}
            for symbol, token in sorted(source["tokens"].items()):
                register = minter.functions.register(
                    source["chain_id"], token["address"], f"Bridged {symbol}", symbol,
                    token["decimals"],
                )
                _send(w3, f"register bridged {symbol}",
                      lambda r=register, sender=relayer: r.transact({"from": sender}))
                wrapped[symbol] = minter.functions.wrappedToken(
                    source["chain_id"], token["address"]
                ).call()
            destination["bridge"]["wrapped"][str(source["chain_id"])] = wrapped
        destination["block"] = w3.eth.block_number
