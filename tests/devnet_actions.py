"""Things tests do to a running devnet: raw RPC calls and swaps through Uniswap's SwapRouter."""

from __future__ import annotations

from typing import Any

from web3 import Web3


def rpc(w3: Web3, method: str, *params: Any) -> Any:
    """Call a JSON-RPC method (evm_snapshot, evm_mine, ...) and return its result."""
    return w3.provider.make_request(method, list(params))["result"]  # type: ignore[arg-type]


def router_swap(w3: Web3, devnet: dict[str, Any], token_in: str, token_out: str, fee: int,
                amount: int) -> None:
    """Sell `amount` of `token_in` (a world symbol) on the V3 pool at `fee`, as account 0."""
    trader = w3.eth.accounts[0]
    token = w3.eth.contract(address=devnet["tokens"][token_in]["address"],
                            abi=devnet["abis"]["TestERC20"])
    router = w3.eth.contract(address=devnet["uniswap_v3"]["swap_router"],
                             abi=devnet["abis"]["SwapRouter"])
    token.functions.approve(router.address, amount).transact({"from": trader})
    router.functions.exactInputSingle((
        token.address, devnet["tokens"][token_out]["address"], fee, trader, 2**32 - 1,
        amount, 0, 0)).transact({"from": trader})


# anvil's well-known development mnemonic: its keys are public and fund only local chains.
ANVIL_MNEMONIC = "test test test test test test test test test test test junk"


def dev_key(index: int) -> str:
    """The private key (hex) of anvil's development account `index`."""
    from eth_account import Account

    Account.enable_unaudited_hdwallet_features()
    account = Account.from_mnemonic(ANVIL_MNEMONIC, account_path=f"m/44'/60'/0'/0/{index}")
    return "0x" + bytes(account.key).hex()
