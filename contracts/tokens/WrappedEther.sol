// SPDX-License-Identifier: MIT
pragma solidity ^0.8.24;

import {ERC20} from "@openzeppelin/contracts/token/ERC20/ERC20.sol";

/// @title WrappedEther
/// @notice Ether as an ERC-20 token, one to one, with the WETH9 interface the Uniswap periphery
///         expects (`deposit`, `withdraw`, plain ether transfers wrap).
/// @dev Written on OpenZeppelin's ERC20: balances and allowances are the standard ones, and
///      wrapping mints while unwrapping burns, so `totalSupply` always equals the ether held.
contract WrappedEther is ERC20 {
    /// @notice The caller asked to unwrap more than it holds.
    error InsufficientBalance(address account, uint256 balance, uint256 needed);
    /// @notice Sending the unwrapped ether to the caller failed.
    error EtherTransferFailed(address to, uint256 amount);

    /// @notice Ether was wrapped into tokens for `account`.
    event Deposit(address indexed account, uint256 amount);
    /// @notice Tokens were unwrapped into ether for `account`.
    event Withdrawal(address indexed account, uint256 amount);

    constructor() ERC20("Wrapped Ether", "WETH") {}

    /// @notice Plain ether sent to the contract is wrapped for the sender.
    receive() external payable {
        deposit();
    }

    /// @notice Wrap the ether sent with the call into the same amount of tokens.
    function deposit() public payable {
        _mint(msg.sender, msg.value);
        emit Deposit(msg.sender, msg.value);
    }

    /// @notice Unwrap `amount` tokens into ether sent to the caller.
    /// @dev Burns before sending (checks-effects-interactions), so a re-entrant call sees the
    ///      reduced balance.
    /// @param amount Amount in wei.
    function withdraw(uint256 amount) external {
        uint256 balance = balanceOf(msg.sender);
        if (balance < amount) revert InsufficientBalance(msg.sender, balance, amount);
        _burn(msg.sender, amount);
        emit Withdrawal(msg.sender, amount);
        (bool sent,) = msg.sender.call{value: amount}("");
        if (!sent) revert EtherTransferFailed(msg.sender, amount);
    }
}
