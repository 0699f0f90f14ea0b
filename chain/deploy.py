"""Deploy a devnet world and describe it in a manifest.

Deployment runs from the chain's first (unlocked) account in a fixed order, so a world file on a
given chain id always yields the same addresses. Every transaction's receipt is checked; the first
failure raises `DeploymentFailed` naming the step.
"""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from eth_typing import ChecksumAddress
from web3 import Web3
from web3.contract import Contract
from web3.contract.contract import ContractFunction
from web3.exceptions import ContractLogicError, Web3Exception
from web3.types import TxParams, TxReceipt, Wei

from chain.artifacts import load_npm_artifact, npm_artifact_names
from chain.compile import load_artifact
from chain.errors import DeploymentFailed
from chain.uniswap.gas import measure_gas_model
from chain.world import (
    V3_TICK_SPACING,
    MarketSpec,
    V3PoolSpec,
    WorldConfig,
    align_tick,
    raw_price,
    sqrt_price_x96_for,
    tick_offset_for_pct,
    to_base_units,
)

# Our own contracts the world needs, by their names in `contracts/`.
OWN_CONTRACTS = ("SanctionsOracle", "TestERC20", "WrappedEther", "SwapExecutor", "CrossbookGuard")
_ZERO_ADDRESS = "0x0000000000000000000000000000000000000000"
_MAX_UINT256 = 2**256 - 1
_FAR_DEADLINE = 2**32 - 1
# The deployer mints itself this many whole units of each plain test token, and wraps this much
# ether, which is far more than any world file asks to lock in pools.
_DEPLOYER_TOKEN_SUPPLY = Decimal(10) ** 12
_DEPLOYER_WRAPPED_ETHER = Decimal(10) ** 6


class _Sender:
    """Sends the world's transactions from one unlocked account and checks every receipt."""

    def __init__(self, w3: Web3, account: ChecksumAddress) -> None:
        self.w3 = w3
        self.account = account

    def deploy(self, name: str, abi: list[dict[str, Any]], bytecode: bytes, *args: Any) -> Contract:
        factory = self.w3.eth.contract(abi=abi, bytecode=bytecode)
        receipt = self._send(f"deploy {name}", lambda: factory.constructor(*args).transact(
            {"from": self.account}
        ))
        address = receipt["contractAddress"]
        if address is None:
            raise DeploymentFailed(f"deploy {name}", "receipt has no contract address")
        return self.w3.eth.contract(address=address, abi=abi)

    def transact(self, step: str, call: ContractFunction, value_wei: int = 0) -> TxReceipt:
        params: TxParams = {"from": self.account, "value": Wei(value_wei)}
        return self._send(step, lambda: call.transact(params))

    def _send(self, step: str, submit: Any) -> TxReceipt:
        try:
            tx_hash = submit()
            receipt = self.w3.eth.wait_for_transaction_receipt(tx_hash, timeout=60)
        except (ContractLogicError, Web3Exception, ValueError) as exc:
            raise DeploymentFailed(step, str(exc)) from exc
        if receipt["status"] != 1:
            raise DeploymentFailed(step, f"transaction {tx_hash.hex()} reverted")
        return receipt


def deploy_world(w3: Web3, config: WorldConfig) -> dict[str, Any]:
    """Deploy every contract of `config` on the chain behind `w3` and return its manifest."""
    deployer = w3.eth.accounts[0]
    sender = _Sender(w3, deployer)
    tokens = _deploy_tokens(sender, config)
    wrapped = tokens[config.wrapped_native_symbol]
    manifest: dict[str, Any] = {
        "chain_id": w3.eth.chain_id,
        "deployer": deployer,
        "wrapped_native": config.wrapped_native_symbol,
        "tokens": {
            symbol: {"address": contract.address, "decimals": config.tokens[symbol].decimals}
            for symbol, contract in tokens.items()
        },
        "uniswap_v2": _deploy_uniswap_v2(sender, config, tokens),
        "uniswap_v3": _deploy_uniswap_v3(sender, config, tokens, wrapped.address),
        "safe": _deploy_safe(sender),
        # Deployed last so that adding it moved no other contract's address.
        "sanctions_oracle": _deploy_sanctions_oracle(sender),
    }
    manifest["execution"] = _deploy_execution(sender, manifest["safe"])
    manifest["abis"] = _abis_by_name()
    # Measured once per world, on this chain, by real swaps that are then reverted; a world
    # without both pool kinds has nothing to fit, and its venues must be given a model.
    if manifest["uniswap_v2"]["pairs"] and manifest["uniswap_v3"]["pools"]:
        manifest["gas_model"] = measure_gas_model(w3, manifest).to_json()
    manifest["block"] = w3.eth.block_number
    return manifest


def _abis_by_name() -> dict[str, list[dict[str, Any]]]:
    abis = {name: load_npm_artifact(name).abi for name in npm_artifact_names()}
    abis.update({name: load_artifact(name).abi for name in OWN_CONTRACTS})
    return abis


def _deploy_tokens(sender: _Sender, config: WorldConfig) -> dict[str, Contract]:
    tokens: dict[str, Contract] = {}
    for symbol, spec in config.tokens.items():
        if spec.wrapped_native:
            tokens[symbol] = _deploy_wrapped_native(sender, symbol)
            continue
        artifact = load_artifact("TestERC20")
        token = sender.deploy(
            symbol, artifact.abi, artifact.bytecode, f"Test {symbol}", symbol, spec.decimals
        )
        supply = to_base_units(_DEPLOYER_TOKEN_SUPPLY, spec.decimals)
        sender.transact(f"mint {symbol}", token.functions.mint(sender.account, supply))
        tokens[symbol] = token
    return tokens


def _deploy_wrapped_native(sender: _Sender, symbol: str) -> Contract:
    artifact = load_artifact("WrappedEther")
    token = sender.deploy(symbol, artifact.abi, artifact.bytecode)
    amount_wei = to_base_units(_DEPLOYER_WRAPPED_ETHER, 18)
    # The deployer needs more ether than anvil's default accounts hold to wrap this much.
    sender.w3.provider.make_request(
        "anvil_setBalance", [sender.account, hex(amount_wei * 2)]  # type: ignore[arg-type]
    )
    sender.transact(f"wrap ether into {symbol}", token.functions.deposit(), value_wei=amount_wei)
    return token


def _market_amounts(
    config: WorldConfig, market: MarketSpec, base_amount: Decimal
) -> tuple[int, int]:
    """Base and quote base units worth `base_amount` of base at the market price."""
    base_decimals = config.tokens[market.base].decimals
    quote_decimals = config.tokens[market.quote].decimals
    return (
        to_base_units(base_amount, base_decimals),
        to_base_units(base_amount * market.price, quote_decimals),
    )


def _deploy_uniswap_v2(
    sender: _Sender, config: WorldConfig, tokens: dict[str, Contract]
) -> dict[str, Any]:
    factory_artifact = load_npm_artifact("UniswapV2Factory")
    pair_abi = load_npm_artifact("UniswapV2Pair").abi
    factory = sender.deploy(
        "UniswapV2Factory", factory_artifact.abi, factory_artifact.bytecode, sender.account
    )
    pairs: dict[str, Any] = {}
    for market in config.markets:
        if market.v2_base_liquidity is None:
            continue
        base, quote = tokens[market.base], tokens[market.quote]
        step = f"V2 pair {market.symbol}"
        sender.transact(step, factory.functions.createPair(base.address, quote.address))
        pair_address = factory.functions.getPair(base.address, quote.address).call()
        pair = sender.w3.eth.contract(address=pair_address, abi=pair_abi)
        base_raw, quote_raw = _market_amounts(config, market, market.v2_base_liquidity)
        # A V2 pair mints LP shares for whatever was transferred to it beforehand.
        sender.transact(step, base.functions.transfer(pair_address, base_raw))
        sender.transact(step, quote.functions.transfer(pair_address, quote_raw))
        sender.transact(step, pair.functions.mint(sender.account))
        pairs[market.symbol] = {
            "address": pair_address,
            "token0": pair.functions.token0().call(),
            "token1": pair.functions.token1().call(),
            "fee_pips": 3000,
        }
    return {"factory": factory.address, "pairs": pairs}


def _deploy_uniswap_v3(
    sender: _Sender, config: WorldConfig, tokens: dict[str, Contract], weth: ChecksumAddress
) -> dict[str, Any]:
    factory_artifact = load_npm_artifact("UniswapV3Factory")
    factory = sender.deploy("UniswapV3Factory", factory_artifact.abi, factory_artifact.bytecode)
    periphery = {
        "position_manager": _deploy_npm(
            sender, "NonfungiblePositionManager", factory.address, weth, _ZERO_ADDRESS
        ),
        "quoter_v2": _deploy_npm(sender, "QuoterV2", factory.address, weth),
        "tick_lens": _deploy_npm(sender, "TickLens"),
        "swap_router": _deploy_npm(sender, "SwapRouter", factory.address, weth),
    }
    manager = sender.w3.eth.contract(
        address=periphery["position_manager"],
        abi=load_npm_artifact("NonfungiblePositionManager").abi,
    )
    for token in tokens.values():
        sender.transact("approve position manager", token.functions.approve(
            manager.address, _MAX_UINT256
        ))
    pools: dict[str, Any] = {}
    for market in config.markets:
        for spec in market.v3:
            key = f"{market.symbol}/{spec.fee}"
            pools[key] = _deploy_v3_pool(sender, config, market, spec, factory, manager, tokens)
    return {"factory": factory.address, **periphery, "pools": pools}


def _deploy_npm(sender: _Sender, name: str, *args: Any) -> ChecksumAddress:
    artifact = load_npm_artifact(name)
    return sender.deploy(name, artifact.abi, artifact.bytecode, *args).address


def _deploy_v3_pool(
    sender: _Sender,
    config: WorldConfig,
    market: MarketSpec,
    spec: V3PoolSpec,
    factory: Contract,
    manager: Contract,
    tokens: dict[str, Contract],
) -> dict[str, Any]:
    base, quote = tokens[market.base], tokens[market.quote]
    step = f"V3 pool {market.symbol} fee {spec.fee}"
    sender.transact(step, factory.functions.createPool(base.address, quote.address, spec.fee))
    pool_address = factory.functions.getPool(base.address, quote.address, spec.fee).call()
    pool = sender.w3.eth.contract(address=pool_address, abi=load_npm_artifact("UniswapV3Pool").abi)
    base_is_token0 = int(base.address, 16) < int(quote.address, 16)
    price = raw_price(
        market.price, config.tokens[market.base].decimals, config.tokens[market.quote].decimals
    )
    sender.transact(step, pool.functions.initialize(
        sqrt_price_x96_for(price if base_is_token0 else 1 / price)
    ))
    current_tick: int = pool.functions.slot0().call()[1]
    spacing = V3_TICK_SPACING[spec.fee]
    token0, token1 = (base, quote) if base_is_token0 else (quote, base)
    for position in spec.ranges:
        # Percentages are of the base price; in token1/token0 terms they flip when base is token1.
        offsets = sorted(
            tick_offset_for_pct(pct) * (1 if base_is_token0 else -1)
            for pct in (position.lower_pct, position.upper_pct)
        )
        tick_lower = align_tick(current_tick + offsets[0], spacing)
        tick_upper = align_tick(current_tick + offsets[1], spacing) + spacing
        base_raw, quote_raw = _market_amounts(config, market, position.base_liquidity)
        amount0, amount1 = (base_raw, quote_raw) if base_is_token0 else (quote_raw, base_raw)
        sender.transact(f"{step} position", manager.functions.mint((
            token0.address, token1.address, spec.fee, tick_lower, tick_upper,
            amount0, amount1, 0, 0, sender.account, _FAR_DEADLINE,
        )))
    return {
        "address": pool_address,
        "token0": token0.address,
        "token1": token1.address,
        "fee_pips": spec.fee,
        "tick_spacing": spacing,
    }


def _deploy_execution(sender: _Sender, safe: dict[str, Any]) -> dict[str, Any]:
    """Our swap executor and the Safe guard (bound to the world's MultiSendCallOnly)."""
    executor = load_artifact("SwapExecutor")
    guard = load_artifact("CrossbookGuard")
    return {
        "swap_executor": sender.deploy("SwapExecutor", executor.abi, executor.bytecode).address,
        "guard": sender.deploy("CrossbookGuard", guard.abi, guard.bytecode,
                               safe["multi_send_call_only"]).address,
    }


def _deploy_sanctions_oracle(sender: _Sender) -> ChecksumAddress:
    """An empty sanctions oracle owned by the deployer, which manages its list on a devnet."""
    artifact = load_artifact("SanctionsOracle")
    return sender.deploy("SanctionsOracle", artifact.abi, artifact.bytecode, sender.account).address


def _deploy_safe(sender: _Sender) -> dict[str, Any]:
    names = {
        "singleton": "Safe",
        "proxy_factory": "SafeProxyFactory",
        "fallback_handler": "CompatibilityFallbackHandler",
        "multi_send_call_only": "MultiSendCallOnly",
    }
    return {role: _deploy_npm(sender, name) for role, name in names.items()}
