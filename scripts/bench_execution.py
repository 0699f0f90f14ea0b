"""Gas of the same swaps through our SwapExecutor and through Uniswap's SwapRouter (chain area).

Each pair of measurements starts from the same devnet snapshot and is sent by the same funded
account (not through the Safe, so only the swap path differs): one V3 pool, exact input; a split
over both WETH/USDC V3 pools, which the executor does in one `execute` and SwapRouter in one
`multicall` of two `exactInputSingle`s; and one exact-output V3 swap.
"""

from __future__ import annotations

import tempfile
from pathlib import Path
from typing import Any

from web3 import Web3

from chain.compile import compile_all
from chain.devnet import connect, running_devnet
from chain.wallet import HopKind, Route, executor_contract, single_hop_legs
from chain.world import load_world

WETH = 10**18


def _rpc(w3: Web3, method: str, *params: Any) -> Any:
    return w3.provider.make_request(method, list(params))["result"]  # type: ignore[arg-type]


def _gas(w3: Web3, send: Any) -> int:
    snapshot = _rpc(w3, "evm_snapshot")
    try:
        receipt = w3.eth.wait_for_transaction_receipt(send(), timeout=60)
        assert receipt["status"] == 1
        return int(receipt["gasUsed"])
    finally:
        _rpc(w3, "evm_revert", snapshot)


def _cases(w3: Web3, manifest: dict[str, Any]) -> list[tuple[str, int, int]]:
    trader = w3.eth.accounts[0]
    weth = Web3.to_checksum_address(manifest["tokens"]["WETH"]["address"])
    usdc = Web3.to_checksum_address(manifest["tokens"]["USDC"]["address"])
    pools = manifest["uniswap_v3"]["pools"]
    executor = executor_contract(w3, manifest["execution"]["swap_executor"])
    router = w3.eth.contract(address=manifest["uniswap_v3"]["swap_router"],
                             abi=manifest["abis"]["SwapRouter"])
    token = w3.eth.contract(address=weth, abi=manifest["abis"]["TestERC20"])
    for spender in (executor.address, router.address):
        token.functions.approve(spender, 2**256 - 1).transact({"from": trader})
    far = 2**32 - 1

    def ours(legs: Any, exact_input: bool = True) -> Any:
        route = Route(weth, usdc, legs, 0, 2**255 if exact_input else 10**30, far)
        return lambda: executor.functions.execute(route.as_tuple()).transact({"from": trader})

    def single(fee: int, amount: int) -> tuple[Any, ...]:
        return (weth, usdc, fee, trader, far, amount, 0, 0)

    one = [(HopKind.UNISWAP_V3, pools["WETH/USDC/3000"]["address"], 50 * WETH)]
    split = [(HopKind.UNISWAP_V3, pools["WETH/USDC/500"]["address"], 30 * WETH),
             (HopKind.UNISWAP_V3, pools["WETH/USDC/3000"]["address"], 20 * WETH)]
    exact_out = [(HopKind.UNISWAP_V3, pools["WETH/USDC/3000"]["address"], 100_000 * 10**6)]
    multicall = [router.encode_abi("exactInputSingle", [single(500, 30 * WETH)]),
                 router.encode_abi("exactInputSingle", [single(3000, 20 * WETH)])]
    out_params = (weth, usdc, 3000, trader, far, 100_000 * 10**6, 10**30, 0)
    return [
        ("v3_one_pool_exact_in", _gas(w3, ours(single_hop_legs(one, True))),
         _gas(w3, lambda: router.functions.exactInputSingle(single(3000, 50 * WETH)).transact(
             {"from": trader}))),
        ("v3_split_two_pools_exact_in", _gas(w3, ours(single_hop_legs(split, True))),
         _gas(w3, lambda: router.functions.multicall(multicall).transact({"from": trader}))),
        ("v3_one_pool_exact_out", _gas(w3, ours(single_hop_legs(exact_out, False), False)),
         _gas(w3, lambda: router.functions.exactOutputSingle(out_params).transact(
             {"from": trader}))),
    ]


def run() -> list[dict[str, Any]]:
    compile_all()
    with tempfile.TemporaryDirectory() as state_dir, running_devnet(
        Path(state_dir), world=load_world()
    ) as manifest:
        cases = _cases(connect(manifest["rpc_url"]), manifest)
    return [{"name": f"{name}_executor_gas", "value": ours, "unit": "gas", "better": "lower",
             "baseline_name": f"{name}_swaprouter_gas", "baseline_value": theirs}
            for name, ours, theirs in cases]
