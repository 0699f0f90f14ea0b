// SPDX-License-Identifier: MIT
pragma solidity ^0.8.28;

/// @notice Safe 1.4.1's transaction guard interface (GuardManager.sol); its ERC-165 id is 0xe6d7a83a.
interface ISafeGuard {
    function checkTransaction(
        address to,
        uint256 value,
        bytes memory data,
        uint8 operation,
        uint256 safeTxGas,
        uint256 baseGas,
        uint256 gasPrice,
        address gasToken,
        address payable refundReceiver,
        bytes memory signatures,
        address msgSender
    ) external;

    function checkAfterExecution(bytes32 txHash, bool success) external;
}

/// @notice The sanctions oracle interface in wide use: true for a sanctioned address.
interface ISanctionsOracle {
    function isSanctioned(address addr) external view returns (bool);
}

/// @title CrossbookGuard
/// @notice A Safe transaction guard that refuses, on chain, what the desk's policy forbids, even
/// when the engine is bypassed and the owners sign anyway. One guard serves any number of Safes;
/// each Safe's policy is kept under its own address and changed only by the Safe itself.
///
/// A Safe transaction passes only if every call it makes passes:
/// - a call to a target with an allowlisted function selector (e.g. SwapExecutor.execute);
/// - an ERC-20 `approve` only to an allowlisted spender, `transfer` only to the Safe or an
///   allowlisted recipient; both count against the token's per-transaction and per-day caps;
/// - native value only to the Safe or an allowlisted recipient, capped as token address(0);
/// - `delegatecall` only to the configured MultiSendCallOnly, whose batch is decoded and each
///   inner call checked by the same rules;
/// - no target, spender or recipient the sanctions oracle names.
///
/// Policy changes after the first configuration are scheduled and take effect only after the
/// Safe's delay (`scheduleChange`, then `applyChange`). The way out of a misconfigured guard: calls
/// to the guard itself always pass, so the Safe can always schedule `allowGuardRemoval`; once it
/// has matured, `Safe.setGuard(address(0))` passes and the guard is gone.
contract CrossbookGuard is ISafeGuard {
    bytes4 private constant APPROVE = 0x095ea7b3; // approve(address,uint256)
    bytes4 private constant TRANSFER = 0xa9059cbb; // transfer(address,uint256)
    bytes4 private constant MULTI_SEND = 0x8d80ff0a; // multiSend(bytes)
    bytes4 private constant SET_GUARD = 0xe19a9dd9; // setGuard(address)
    uint8 private constant CALL = 0;
    uint8 private constant DELEGATECALL = 1;

    /// @notice The MultiSendCallOnly every Safe of this guard may delegatecall.
    address public immutable multiSendCallOnly;

    struct Policy {
        bool configured;
        uint64 delay;
        address sanctionsOracle;
        uint64 removalAllowedAt;
    }

    mapping(address safe => Policy) public policies;
    mapping(address safe => mapping(address target => mapping(bytes4 selector => bool))) public allowedCall;
    mapping(address safe => mapping(address spender => bool)) public allowedSpender;
    mapping(address safe => mapping(address recipient => bool)) public allowedRecipient;
    mapping(address safe => mapping(address token => uint256)) public perTxCap;
    mapping(address safe => mapping(address token => uint256)) public dailyCap;
    mapping(address safe => mapping(address token => mapping(uint256 day => uint256))) public spentOnDay;
    mapping(address safe => mapping(bytes32 change => uint256 readyAt)) public scheduled;

    /// @notice Most distinct tokens one Safe transaction may move under caps.
    uint256 public constant MAX_TOKENS_PER_TX = 16;

    // What one Safe transaction moves, per token, while its calls are checked.
    struct Tally {
        address[MAX_TOKENS_PER_TX] tokens;
        uint256[MAX_TOKENS_PER_TX] amounts;
        uint256 count;
    }

    event Configured(address indexed safe, uint64 delay, address sanctionsOracle);
    event ChangeScheduled(address indexed safe, bytes32 indexed change, uint256 readyAt, bytes call);
    event ChangeApplied(address indexed safe, bytes32 indexed change);
    event ChangeCanceled(address indexed safe, bytes32 indexed change);

    error NotConfigured(address safe);
    error AlreadyConfigured(address safe);
    error CallNotAllowed(address target, bytes4 selector);
    error SpenderNotAllowed(address token, address spender);
    error RecipientNotAllowed(address recipient);
    error DelegateCallNotAllowed(address target);
    error CapExceeded(address token, uint256 amount, uint256 cap, bool daily);
    error Sanctioned(address account);
    error SafeCallNotAllowed(bytes4 selector);
    error ChangeNotScheduled(bytes32 change);
    error ChangeNotReady(bytes32 change, uint256 readyAt);
    error UnknownChange(bytes4 selector);
    error MalformedBatch();
    error TooManyTokens();
    error CapListsDiffer();

    /// @param multiSendCallOnly_ the MultiSendCallOnly library Safes may delegatecall.
    constructor(address multiSendCallOnly_) {
        multiSendCallOnly = multiSendCallOnly_;
    }

    /// @notice ERC-165: this is a Safe guard.
    /// @param interfaceId the interface asked about.
    /// @return true for the Safe Guard interface and ERC-165 itself.
    function supportsInterface(bytes4 interfaceId) external pure returns (bool) {
        return interfaceId == type(ISafeGuard).interfaceId || interfaceId == 0x01ffc9a7;
    }

    // ---------------------------------------------------------------- configuration (by the Safe)

    /// @notice A Safe's first policy: `calls` are `bytes24(abi.encodePacked(target, selector))`;
    /// caps are per token (address(0) for native value), 0 meaning no cap.
    struct InitialPolicy {
        uint64 delay;
        address sanctionsOracle;
        bytes24[] calls;
        address[] spenders;
        address[] recipients;
        address[] capTokens;
        uint256[] txCaps;
        uint256[] dayCaps;
    }

    /// @notice First configuration of the calling Safe, effective at once; later changes wait for
    /// the delay (`scheduleChange`, `applyChange`).
    /// @param initial the delay, sanctions oracle, allowlists and caps.
    function configure(InitialPolicy calldata initial) external {
        Policy storage policy = policies[msg.sender];
        if (policy.configured) revert AlreadyConfigured(msg.sender);
        if (initial.capTokens.length != initial.txCaps.length || initial.capTokens.length != initial.dayCaps.length) {
            revert CapListsDiffer();
        }
        policy.configured = true;
        policy.delay = initial.delay;
        policy.sanctionsOracle = initial.sanctionsOracle;
        for (uint256 i = 0; i < initial.calls.length; i++) {
            bytes24 entry = initial.calls[i];
            allowedCall[msg.sender][address(bytes20(entry))][bytes4(entry << 160)] = true;
        }
        for (uint256 i = 0; i < initial.spenders.length; i++) allowedSpender[msg.sender][initial.spenders[i]] = true;
        for (uint256 i = 0; i < initial.recipients.length; i++) {
            allowedRecipient[msg.sender][initial.recipients[i]] = true;
        }
        for (uint256 i = 0; i < initial.capTokens.length; i++) {
            perTxCap[msg.sender][initial.capTokens[i]] = initial.txCaps[i];
            dailyCap[msg.sender][initial.capTokens[i]] = initial.dayCaps[i];
        }
        emit Configured(msg.sender, initial.delay, initial.sanctionsOracle);
    }

    /// @notice Schedule a policy change for the calling Safe; it can be applied after the delay.
    /// @param call an abi-encoded call to one of the change functions below (e.g. `setCallAllowed`).
    /// @return change the change's id, `keccak256(call)`.
    function scheduleChange(bytes calldata call) external returns (bytes32 change) {
        Policy storage policy = policies[msg.sender];
        if (!policy.configured) revert NotConfigured(msg.sender);
        _changeSelector(call); // refuse unknown changes now, not after the delay
        change = keccak256(call);
        uint256 readyAt = block.timestamp + policy.delay;
        scheduled[msg.sender][change] = readyAt;
        emit ChangeScheduled(msg.sender, change, readyAt, call);
    }

    /// @notice Cancel a scheduled change of the calling Safe.
    /// @param change the id `scheduleChange` returned.
    function cancelChange(bytes32 change) external {
        if (scheduled[msg.sender][change] == 0) revert ChangeNotScheduled(change);
        delete scheduled[msg.sender][change];
        emit ChangeCanceled(msg.sender, change);
    }

    /// @notice Apply a matured change of the calling Safe.
    /// @param call exactly the bytes that were scheduled.
    function applyChange(bytes calldata call) external {
        bytes32 change = keccak256(call);
        uint256 readyAt = scheduled[msg.sender][change];
        if (readyAt == 0) revert ChangeNotScheduled(change);
        if (block.timestamp < readyAt) revert ChangeNotReady(change, readyAt);
        delete scheduled[msg.sender][change];
        bytes4 selector = _changeSelector(call);
        bytes calldata args = call[4:];
        address safe = msg.sender;
        if (selector == this.setCallAllowed.selector) {
            (address target, bytes4 fn, bool allowed) = abi.decode(args, (address, bytes4, bool));
            allowedCall[safe][target][fn] = allowed;
        } else if (selector == this.setSpenderAllowed.selector) {
            (address spender, bool allowed) = abi.decode(args, (address, bool));
            allowedSpender[safe][spender] = allowed;
        } else if (selector == this.setRecipientAllowed.selector) {
            (address recipient, bool allowed) = abi.decode(args, (address, bool));
            allowedRecipient[safe][recipient] = allowed;
        } else if (selector == this.setCaps.selector) {
            (address token, uint256 txCap, uint256 dayCap) = abi.decode(args, (address, uint256, uint256));
            perTxCap[safe][token] = txCap;
            dailyCap[safe][token] = dayCap;
        } else if (selector == this.setSanctionsOracle.selector) {
            policies[safe].sanctionsOracle = abi.decode(args, (address));
        } else if (selector == this.setDelay.selector) {
            policies[safe].delay = abi.decode(args, (uint64));
        } else {
            policies[safe].removalAllowedAt = uint64(block.timestamp);
        }
        emit ChangeApplied(safe, change);
    }

    // Change descriptors: never called directly, only encoded for scheduleChange/applyChange.

    /// @notice Change: allow or forbid a target's function. @param target the contract. @param fn its selector. @param allowed the new rule.
    function setCallAllowed(address target, bytes4 fn, bool allowed) external pure {
        target; fn; allowed;
        revert UnknownChange(this.setCallAllowed.selector);
    }

    /// @notice Change: allow or forbid an approval spender. @param spender the spender. @param allowed the new rule.
    function setSpenderAllowed(address spender, bool allowed) external pure {
        spender; allowed;
        revert UnknownChange(this.setSpenderAllowed.selector);
    }

    /// @notice Change: allow or forbid a transfer recipient. @param recipient the recipient. @param allowed the new rule.
    function setRecipientAllowed(address recipient, bool allowed) external pure {
        recipient; allowed;
        revert UnknownChange(this.setRecipientAllowed.selector);
    }

    /// @notice Change: a token's caps (0: none). @param token the token, 0 for native. @param txCap per transaction. @param dayCap per UTC day.
    function setCaps(address token, uint256 txCap, uint256 dayCap) external pure {
        token; txCap; dayCap;
        revert UnknownChange(this.setCaps.selector);
    }

    /// @notice Change: the sanctions oracle (0: none). @param oracle the oracle.
    function setSanctionsOracle(address oracle) external pure {
        oracle;
        revert UnknownChange(this.setSanctionsOracle.selector);
    }

    /// @notice Change: the delay of later changes. @param delay seconds.
    function setDelay(uint64 delay) external pure {
        delay;
        revert UnknownChange(this.setDelay.selector);
    }

    /// @notice Change: allow the Safe to remove this guard with `setGuard(address(0))`.
    function allowGuardRemoval() external pure {
        revert UnknownChange(this.allowGuardRemoval.selector);
    }

    function _changeSelector(bytes calldata call) private pure returns (bytes4 selector) {
        if (call.length < 4) revert UnknownChange(bytes4(0));
        selector = bytes4(call[:4]);
        if (
            selector != this.setCallAllowed.selector && selector != this.setSpenderAllowed.selector
                && selector != this.setRecipientAllowed.selector && selector != this.setCaps.selector
                && selector != this.setSanctionsOracle.selector && selector != this.setDelay.selector
                && selector != this.allowGuardRemoval.selector
        ) revert UnknownChange(selector);
    }

    // ---------------------------------------------------------------- the guard

    /// @notice Called by the Safe before executing a transaction; reverts to refuse it.
    /// @param to the target. @param value native value. @param data calldata. @param operation 0 call, 1 delegatecall.
    function checkTransaction(
        address to,
        uint256 value,
        bytes memory data,
        uint8 operation,
        uint256,
        uint256,
        uint256,
        address,
        address payable,
        bytes memory,
        address
    ) external override {
        address safe = msg.sender;
        if (!policies[safe].configured) revert NotConfigured(safe);
        Tally memory tally;
        if (operation == DELEGATECALL) {
            if (to != multiSendCallOnly) revert DelegateCallNotAllowed(to);
            _checkBatch(safe, data, tally);
        } else {
            _checkCall(safe, to, value, data, tally);
        }
    }

    /// @notice Called by the Safe after execution; nothing to check.
    function checkAfterExecution(bytes32, bool) external override {}

    function _checkBatch(address safe, bytes memory data, Tally memory tally) private {
        if (data.length < 68 || bytes4(data) != MULTI_SEND) revert CallNotAllowed(multiSendCallOnly, bytes4(data));
        bytes memory batch;
        // data = selector (4) | offset (32) | length (32) | packed transactions: the length word
        // sits 36 bytes into the content, which is where a `bytes memory` points.
        assembly {
            batch := add(data, 68)
        }
        if (68 + batch.length > data.length) revert MalformedBatch();
        uint256 i = 0;
        while (i < batch.length) {
            // operation (1) | to (20) | value (32) | dataLength (32) | data
            if (i + 85 > batch.length) revert MalformedBatch();
            uint8 innerOperation;
            address innerTo;
            uint256 innerValue;
            uint256 innerLength;
            assembly {
                let p := add(add(batch, 32), i)
                innerOperation := shr(248, mload(p))
                innerTo := shr(96, mload(add(p, 1)))
                innerValue := mload(add(p, 21))
                innerLength := mload(add(p, 53))
            }
            if (i + 85 + innerLength > batch.length) revert MalformedBatch();
            if (innerOperation != CALL) revert DelegateCallNotAllowed(innerTo);
            bytes memory innerData = new bytes(innerLength);
            assembly {
                mcopy(add(innerData, 32), add(add(batch, 32), add(i, 85)), innerLength)
            }
            _checkCall(safe, innerTo, innerValue, innerData, tally);
            i += 85 + innerLength;
        }
    }

    function _checkCall(address safe, address to, uint256 value, bytes memory data, Tally memory tally) private {
        _notSanctioned(safe, to);
        if (to == address(this)) return; // policy changes are delayed by the guard itself
        if (to == safe) {
            _checkSelfCall(safe, data);
            return;
        }
        if (value > 0) {
            _checkRecipient(safe, to);
            _count(safe, address(0), value, tally);
        }
        if (data.length == 0) {
            if (value == 0) revert CallNotAllowed(to, bytes4(0));
            return;
        }
        if (data.length < 4) revert CallNotAllowed(to, bytes4(0));
        bytes4 selector = bytes4(data);
        if (selector == APPROVE || selector == TRANSFER) {
            if (data.length < 68) revert CallNotAllowed(to, selector);
            address counterparty;
            uint256 amount;
            assembly {
                counterparty := mload(add(data, 36))
                amount := mload(add(data, 68))
            }
            _notSanctioned(safe, counterparty);
            if (selector == APPROVE) {
                if (!allowedSpender[safe][counterparty]) revert SpenderNotAllowed(to, counterparty);
            } else {
                _checkRecipient(safe, counterparty);
            }
            _count(safe, to, amount, tally);
            return;
        }
        if (!allowedCall[safe][to][selector]) revert CallNotAllowed(to, selector);
    }

    function _checkSelfCall(address safe, bytes memory data) private view {
        bytes4 selector = data.length >= 4 ? bytes4(data) : bytes4(0);
        if (selector == SET_GUARD && data.length >= 36) {
            address newGuard;
            assembly {
                newGuard := mload(add(data, 36))
            }
            uint64 allowedAt = policies[safe].removalAllowedAt;
            if (newGuard == address(0) && allowedAt != 0 && allowedAt <= block.timestamp) return;
        }
        revert SafeCallNotAllowed(selector);
    }

    function _checkRecipient(address safe, address recipient) private view {
        if (recipient != safe && !allowedRecipient[safe][recipient]) revert RecipientNotAllowed(recipient);
    }

    function _notSanctioned(address safe, address account) private view {
        address oracle = policies[safe].sanctionsOracle;
        if (oracle != address(0) && ISanctionsOracle(oracle).isSanctioned(account)) revert Sanctioned(account);
    }

    function _count(address safe, address token, uint256 amount, Tally memory tally) private {
        uint256 slot = 0;
        while (slot < tally.count && tally.tokens[slot] != token) slot++;
        if (slot == tally.count) {
            if (slot == MAX_TOKENS_PER_TX) revert TooManyTokens();
            tally.tokens[slot] = token;
            tally.count++;
        }
        uint256 inTx = tally.amounts[slot] + amount;
        tally.amounts[slot] = inTx;
        uint256 txCap = perTxCap[safe][token];
        if (txCap != 0 && inTx > txCap) revert CapExceeded(token, inTx, txCap, false);
        uint256 dayCap = dailyCap[safe][token];
        if (dayCap != 0) {
            uint256 day = block.timestamp / 1 days;
            uint256 spent = spentOnDay[safe][token][day] + amount;
            if (spent > dayCap) revert CapExceeded(token, spent, dayCap, true);
            spentOnDay[safe][token][day] = spent;
        }
    }
}
