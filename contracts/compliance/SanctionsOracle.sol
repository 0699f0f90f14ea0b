// SPDX-License-Identifier: MIT
pragma solidity ^0.8.24;

/// @notice The read interface of on-chain sanctions oracles (Chainalysis' is the widely used
///         one): contracts and off-chain screeners only rely on this.
interface ISanctionsList {
    /// @notice Whether `account` is on the sanctions list.
    /// @param account The address to check.
    /// @return True when the address is listed.
    function isSanctioned(address account) external view returns (bool);
}

/// @title SanctionsOracle
/// @notice An owner-managed list of sanctioned addresses, readable one at a time through
///         `isSanctioned` and in batches through `areSanctioned`. Every change emits one event
///         per address, so the list's history can be rebuilt from logs.
/// @dev The owner is the desk's compliance key on a devnet or private deployment; on public
///      chains a desk reads an established oracle through the same `ISanctionsList` interface
///      instead. Adding a listed address or removing an unlisted one reverts, so events always
///      describe a real change.
contract SanctionsOracle is ISanctionsList {
    /// @notice The caller is not the owner.
    error NotOwner(address caller);
    /// @notice The zero address cannot be listed or become the owner.
    error ZeroAddress();
    /// @notice The address is already on the list.
    error AlreadySanctioned(address account);
    /// @notice The address is not on the list.
    error NotSanctioned(address account);

    /// @notice `account` was added to the list.
    event SanctionAdded(address indexed account);
    /// @notice `account` was removed from the list.
    event SanctionRemoved(address indexed account);
    /// @notice Ownership moved from `previousOwner` to `newOwner`.
    event OwnershipTransferred(address indexed previousOwner, address indexed newOwner);

    address private _owner;
    mapping(address account => bool listed) private _sanctioned;
    uint256 private _count;

    modifier onlyOwner() {
        if (msg.sender != _owner) revert NotOwner(msg.sender);
        _;
    }

    /// @param initialOwner The address allowed to change the list.
    constructor(address initialOwner) {
        if (initialOwner == address(0)) revert ZeroAddress();
        _owner = initialOwner;
        emit OwnershipTransferred(address(0), initialOwner);
    }

    /// @inheritdoc ISanctionsList
    function isSanctioned(address account) external view returns (bool) {
        return _sanctioned[account];
    }

    /// @notice Whether each of `accounts` is on the list, in the order given.
    /// @dev One call answers a whole leg; gas grows linearly with the batch, so callers bound
    ///      its size (a few hundred addresses per call stays far under a node's call gas cap).
    /// @param accounts The addresses to check.
    /// @return listed One flag per address.
    function areSanctioned(address[] calldata accounts) external view returns (bool[] memory listed) {
        listed = new bool[](accounts.length);
        for (uint256 i = 0; i < accounts.length; ++i) {
            listed[i] = _sanctioned[accounts[i]];
        }
    }

    /// @notice Add every address of `accounts` to the list.
    /// @dev Reverts for the zero address and for an address already listed; all or nothing.
    /// @param accounts The addresses to add.
    function addToSanctionsList(address[] calldata accounts) external onlyOwner {
        for (uint256 i = 0; i < accounts.length; ++i) {
            address account = accounts[i];
            if (account == address(0)) revert ZeroAddress();
            if (_sanctioned[account]) revert AlreadySanctioned(account);
            _sanctioned[account] = true;
            emit SanctionAdded(account);
        }
        _count += accounts.length;
    }

    /// @notice Remove every address of `accounts` from the list.
    /// @dev Reverts for an address that is not listed; all or nothing.
    /// @param accounts The addresses to remove.
    function removeFromSanctionsList(address[] calldata accounts) external onlyOwner {
        for (uint256 i = 0; i < accounts.length; ++i) {
            address account = accounts[i];
            if (!_sanctioned[account]) revert NotSanctioned(account);
            _sanctioned[account] = false;
            emit SanctionRemoved(account);
        }
        _count -= accounts.length;
    }

    /// @notice Hand the list over to `newOwner`.
    /// @param newOwner The next owner; not the zero address.
    function transferOwnership(address newOwner) external onlyOwner {
        if (newOwner == address(0)) revert ZeroAddress();
        address previous = _owner;
        _owner = newOwner;
        emit OwnershipTransferred(previous, newOwner);
    }

    /// @notice The address allowed to change the list.
    /// @return The current owner.
    function owner() external view returns (address) {
        return _owner;
    }

    /// @notice How many addresses are on the list.
    /// @return The number of listed addresses.
    function sanctionedCount() external view returns (uint256) {
        return _count;
    }
}
