// SPDX-License-Identifier: MIT
pragma solidity ^0.8.24;

import {IERC20} from "@openzeppelin/contracts/token/ERC20/IERC20.sol";
import {SafeERC20} from "@openzeppelin/contracts/token/ERC20/utils/SafeERC20.sol";

/// @title BridgeLocker
/// @notice The source side of a lock-and-mint bridge: a sender locks tokens here for a recipient
///         on another chain, where the relayer mints the same amount of a wrapped token
///         (`BridgeMinter`). Burning the wrapped token there lets the relayer release the locked
///         tokens here again.
/// @dev Every lock gets a transfer id, `keccak256(abi.encode(block.chainid, address(this),
///      nonce))`, unique across chains and lockers, and the hash of its details is stored so a
///      relayer can check a lock before minting (a log alone may vanish in a reorg). Releases
///      are keyed on the burn's transfer id and can happen once only. The relayer is trusted:
///      this is a devnet bridge, not a light-client bridge.
contract BridgeLocker {
    using SafeERC20 for IERC20;

    /// @notice The caller is not the relayer.
    error NotRelayer(address caller);
    /// @notice A zero amount cannot be bridged.
    error ZeroAmount();
    /// @notice The zero address cannot receive or be the relayer.
    error ZeroAddress();
    /// @notice The destination chain is this chain.
    error SameChain(uint256 chainId);
    /// @notice The burn with this transfer id was already released.
    error AlreadyReleased(bytes32 transferId);
    /// @notice The release asks for more of `token` than is locked.
    error InsufficientLocked(address token, uint256 locked, uint256 requested);

    /// @notice `amount` of `token` was locked for `recipient` on `destinationChainId`.
    event Locked(
        bytes32 indexed transferId,
        address indexed token,
        address indexed sender,
        address recipient,
        uint256 amount,
        uint256 destinationChainId
    );
    /// @notice Locked `token` went back to `recipient` for the burn `transferId` on another chain.
    event Released(
        bytes32 indexed transferId, address indexed token, address indexed recipient, uint256 amount
    );

    address private immutable _relayer;
    uint256 private _nonce;
    mapping(address token => uint256 amount) private _locked;
    mapping(bytes32 transferId => bytes32 detailsHash) private _locks;
    mapping(bytes32 transferId => bool done) private _released;

    /// @param relayer The only address allowed to release.
    constructor(address relayer) {
        if (relayer == address(0)) revert ZeroAddress();
        _relayer = relayer;
    }

    /// @notice Lock `amount` of `token` (approved beforehand) for `recipient` on another chain.
    /// @dev Fee-on-transfer tokens are not supported: the amount recorded is the amount asked.
    /// @param token The ERC-20 to lock.
    /// @param amount Amount in the token's base units.
    /// @param destinationChainId The chain where the wrapped token is minted.
    /// @param recipient Who receives the wrapped token there.
    /// @return transferId The id the relayer, the minter and the events use for this transfer.
    function lock(address token, uint256 amount, uint256 destinationChainId, address recipient)
        external
        returns (bytes32 transferId)
    {
        if (amount == 0) revert ZeroAmount();
        if (recipient == address(0)) revert ZeroAddress();
        if (destinationChainId == block.chainid) revert SameChain(destinationChainId);
        transferId = keccak256(abi.encode(block.chainid, address(this), _nonce));
        ++_nonce;
        _locks[transferId] =
            keccak256(abi.encode(token, msg.sender, recipient, amount, destinationChainId));
        _locked[token] += amount;
        IERC20(token).safeTransferFrom(msg.sender, address(this), amount);
        emit Locked(transferId, token, msg.sender, recipient, amount, destinationChainId);
    }

    /// @notice Release locked `token` to `recipient` for the burn `transferId` on another chain.
    /// @dev Only the relayer; each burn releases once (`AlreadyReleased` otherwise), so a relayer
    ///      that resends after a crash cannot pay twice.
    /// @param transferId The burn's transfer id.
    /// @param token The locked ERC-20 to give back.
    /// @param recipient Who receives it.
    /// @param amount Amount in base units.
    function release(bytes32 transferId, address token, address recipient, uint256 amount)
        external
    {
        if (msg.sender != _relayer) revert NotRelayer(msg.sender);
        if (_released[transferId]) revert AlreadyReleased(transferId);
        uint256 available = _locked[token];
        if (available < amount) revert InsufficientLocked(token, available, amount);
        _released[transferId] = true;
        _locked[token] = available - amount;
        IERC20(token).safeTransfer(recipient, amount);
        emit Released(transferId, token, recipient, amount);
    }

    /// @notice The hash of a lock's details, zero for an unknown transfer id.
    /// @param transferId The lock's transfer id.
    /// @return `keccak256(abi.encode(token, sender, recipient, amount, destinationChainId))`.
    function lockDetailsHash(bytes32 transferId) external view returns (bytes32) {
        return _locks[transferId];
    }

    /// @notice Whether the burn `transferId` was released.
    /// @param transferId The burn's transfer id.
    /// @return True once released.
    function isReleased(bytes32 transferId) external view returns (bool) {
        return _released[transferId];
    }

    /// @notice How much of `token` is locked here.
    /// @param token The ERC-20.
    /// @return The locked amount in base units.
    function lockedAmount(address token) external view returns (uint256) {
        return _locked[token];
    }

    /// @notice The relayer allowed to release.
    /// @return The relayer's address.
    function relayer() external view returns (address) {
        return _relayer;
    }
}
