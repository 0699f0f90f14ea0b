// SPDX-License-Identifier: MIT
pragma solidity ^0.8.24;

import {BridgedToken} from "./BridgedToken.sol";

/// @title BridgeMinter
/// @notice The destination side of a lock-and-mint bridge: for each (source chain, source token)
///         it owns one `BridgedToken`, mints it when the relayer reports a lock on the source
///         chain, and burns it when a holder sends it back (the relayer then releases the
///         locked tokens on the source chain).
/// @dev A mint is keyed on the lock's transfer id and happens once only (`AlreadyMinted`), so a
///      relayer that crashed after sending and resends on restart cannot mint twice. Burn ids are
///      `keccak256(abi.encode(block.chainid, address(this), nonce))`, like lock ids.
contract BridgeMinter {
    /// @notice The caller is not the relayer.
    error NotRelayer(address caller);
    /// @notice The lock with this transfer id was already minted.
    error AlreadyMinted(bytes32 transferId);
    /// @notice No wrapped token is registered for this source chain and token.
    error UnknownSourceToken(uint256 sourceChainId, address sourceToken);
    /// @notice A wrapped token is already registered for this source chain and token.
    error AlreadyRegistered(uint256 sourceChainId, address sourceToken);
    /// @notice `token` is not a wrapped token of this minter.
    error NotBridgedToken(address token);
    /// @notice A zero amount cannot be bridged.
    error ZeroAmount();
    /// @notice The zero address cannot receive or be the relayer.
    error ZeroAddress();

    /// @notice `wrapped` now stands for `sourceToken` of `sourceChainId` on this chain.
    event TokenRegistered(
        uint256 indexed sourceChainId, address indexed sourceToken, address wrapped
    );
    /// @notice `amount` of `wrapped` was minted to `recipient` for the lock `transferId`.
    event Minted(
        bytes32 indexed transferId, address indexed wrapped, address indexed recipient,
        uint256 amount
    );
    /// @notice `amount` of `wrapped` was burnt; `recipient` gets the locked tokens back on
    ///         `sourceChainId`.
    event Burned(
        bytes32 indexed transferId,
        address indexed wrapped,
        address indexed sender,
        address recipient,
        uint256 amount,
        uint256 sourceChainId,
        address sourceToken
    );

    struct Origin {
        uint256 chainId;
        address token;
    }

    address private immutable _relayer;
    uint256 private _nonce;
    mapping(uint256 chainId => mapping(address token => address wrapped)) private _wrapped;
    mapping(address wrapped => Origin origin) private _origins;
    mapping(bytes32 transferId => bool done) private _minted;

    /// @param relayer The only address allowed to register tokens and mint.
    constructor(address relayer) {
        if (relayer == address(0)) revert ZeroAddress();
        _relayer = relayer;
    }

    modifier onlyRelayer() {
        if (msg.sender != _relayer) revert NotRelayer(msg.sender);
        _;
    }

    /// @notice Deploy the wrapped token for `sourceToken` of `sourceChainId`.
    /// @param sourceChainId The chain the original token lives on.
    /// @param sourceToken The original token's address there.
    /// @param name Name of the wrapped token.
    /// @param symbol Symbol of the wrapped token.
    /// @param decimals Decimals, the same as the original's so amounts map one to one.
    /// @return wrapped The new token's address.
    function register(
        uint256 sourceChainId,
        address sourceToken,
        string calldata name,
        string calldata symbol,
        uint8 decimals
    ) external onlyRelayer returns (address wrapped) {
        if (_wrapped[sourceChainId][sourceToken] != address(0)) {
            revert AlreadyRegistered(sourceChainId, sourceToken);
        }
        wrapped = address(new BridgedToken(name, symbol, decimals));
        _wrapped[sourceChainId][sourceToken] = wrapped;
        _origins[wrapped] = Origin(sourceChainId, sourceToken);
        emit TokenRegistered(sourceChainId, sourceToken, wrapped);
    }

    /// @notice Mint the wrapped token for the lock `transferId` on `sourceChainId`.
    /// @dev Only the relayer, once per transfer id.
    /// @param transferId The lock's transfer id.
    /// @param sourceChainId The chain the lock happened on.
    /// @param sourceToken The locked token.
    /// @param recipient Who receives the wrapped token.
    /// @param amount Amount in base units (same decimals on both sides).
    function mint(
        bytes32 transferId,
        uint256 sourceChainId,
        address sourceToken,
        address recipient,
        uint256 amount
    ) external onlyRelayer {
        if (_minted[transferId]) revert AlreadyMinted(transferId);
        address wrapped = _wrapped[sourceChainId][sourceToken];
        if (wrapped == address(0)) revert UnknownSourceToken(sourceChainId, sourceToken);
        _minted[transferId] = true;
        BridgedToken(wrapped).mint(recipient, amount);
        emit Minted(transferId, wrapped, recipient, amount);
    }

    /// @notice Burn `amount` of your `wrapped` tokens to get the originals back on their chain.
    /// @param wrapped A token this minter registered.
    /// @param amount Amount in base units.
    /// @param recipient Who receives the originals on the source chain.
    /// @return transferId The id the relayer uses to release.
    function burn(address wrapped, uint256 amount, address recipient)
        external
        returns (bytes32 transferId)
    {
        if (amount == 0) revert ZeroAmount();
        if (recipient == address(0)) revert ZeroAddress();
        Origin memory origin = _origins[wrapped];
        if (origin.token == address(0)) revert NotBridgedToken(wrapped);
        transferId = keccak256(abi.encode(block.chainid, address(this), _nonce));
        ++_nonce;
        BridgedToken(wrapped).burn(msg.sender, amount);
        emit Burned(
            transferId, wrapped, msg.sender, recipient, amount, origin.chainId, origin.token
        );
    }

    /// @notice The wrapped token for `sourceToken` of `sourceChainId`; zero when unregistered.
    /// @param sourceChainId The original token's chain.
    /// @param sourceToken The original token.
    /// @return The wrapped token's address.
    function wrappedToken(uint256 sourceChainId, address sourceToken)
        external
        view
        returns (address)
    {
        return _wrapped[sourceChainId][sourceToken];
    }

    /// @notice Whether the lock `transferId` was minted here.
    /// @param transferId The lock's transfer id.
    /// @return True once minted.
    function isMinted(bytes32 transferId) external view returns (bool) {
        return _minted[transferId];
    }

    /// @notice The relayer allowed to register and mint.
    /// @return The relayer's address.
    function relayer() external view returns (address) {
        return _relayer;
    }
}
