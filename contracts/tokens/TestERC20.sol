// SPDX-License-Identifier: MIT
pragma solidity ^0.8.24;

import {ERC20} from "@openzeppelin/contracts/token/ERC20/ERC20.sol";
import {Ownable} from "@openzeppelin/contracts/access/Ownable.sol";

/// @title TestERC20
/// @notice An ERC-20 with configurable decimals for devnets and tests (USDC with 6, WBTC with 8).
/// @dev Minting is restricted to the owner (the deployer of the world) so that a test which
///      expects a balance to be scarce can rely on it; tests that need tokens receive them from
///      the owner like any user would. Never deploy this on a public chain.
contract TestERC20 is ERC20, Ownable {
    /// @notice The amount to mint was zero.
    error ZeroMint(address to);

    uint8 private immutable _decimals;

    /// @param name_ Token name, e.g. "Test USDC".
    /// @param symbol_ Token symbol, e.g. "USDC".
    /// @param decimals_ Number of decimals the token's amounts carry.
    constructor(string memory name_, string memory symbol_, uint8 decimals_)
        ERC20(name_, symbol_)
        Ownable(msg.sender)
    {
        _decimals = decimals_;
    }

    /// @notice Number of decimals of the token's amounts.
    /// @return The decimals given at construction.
    function decimals() public view override returns (uint8) {
        return _decimals;
    }

    /// @notice Create `amount` new tokens and give them to `to`.
    /// @dev Only the owner may mint. Reverts with `ZeroMint` for a zero amount, which is always
    ///      a mistake in a test setup.
    /// @param to Receiver of the new tokens.
    /// @param amount Amount in base units.
    function mint(address to, uint256 amount) external onlyOwner {
        if (amount == 0) revert ZeroMint(to);
        _mint(to, amount);
    }
}
