// SPDX-License-Identifier: MIT
pragma solidity ^0.8.24;

import {ERC20} from "@openzeppelin/contracts/token/ERC20/ERC20.sol";

/// @title BridgedToken
/// @notice The wrapped form of a token locked on another chain; only its `BridgeMinter`
///         mints and burns it.
/// @dev The minter is the deployer. Burning takes from the holder without an allowance because
///      the minter only burns on the holder's own call to `BridgeMinter.burn`.
contract BridgedToken is ERC20 {
    /// @notice The caller is not the minter.
    error NotMinter(address caller);

    address private immutable _minter;
    uint8 private immutable _decimals;

    /// @param name_ Token name.
    /// @param symbol_ Token symbol.
    /// @param decimals_ The original token's decimals.
    constructor(string memory name_, string memory symbol_, uint8 decimals_)
        ERC20(name_, symbol_)
    {
        _minter = msg.sender;
        _decimals = decimals_;
    }

    modifier onlyMinter() {
        if (msg.sender != _minter) revert NotMinter(msg.sender);
        _;
    }

    /// @notice Number of decimals, the same as the original token's.
    /// @return The decimals given at construction.
    function decimals() public view override returns (uint8) {
        return _decimals;
    }

    /// @notice Create `amount` for `to`; only the minter.
    /// @param to Receiver.
    /// @param amount Amount in base units.
    function mint(address to, uint256 amount) external onlyMinter {
        _mint(to, amount);
    }

    /// @notice Destroy `amount` of `from`'s tokens; only the minter, on `from`'s own request.
    /// @param from Holder.
    /// @param amount Amount in base units.
    function burn(address from, uint256 amount) external onlyMinter {
        _burn(from, amount);
    }
}
