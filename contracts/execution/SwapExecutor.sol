// SPDX-License-Identifier: MIT
pragma solidity ^0.8.28;

import {IERC20} from "@openzeppelin/contracts/token/ERC20/IERC20.sol";
import {SafeERC20} from "@openzeppelin/contracts/token/ERC20/utils/SafeERC20.sol";

/// @notice The part of a Uniswap V2 pair the executor drives.
interface IUniswapV2PairLike {
    function token0() external view returns (address);
    function token1() external view returns (address);
    function getReserves() external view returns (uint112, uint112, uint32);
    function swap(uint256 amount0Out, uint256 amount1Out, address to, bytes calldata data) external;
}

/// @notice The part of a Uniswap V3 pool the executor drives.
interface IUniswapV3PoolLike {
    function token0() external view returns (address);
    function token1() external view returns (address);
    function swap(address recipient, bool zeroForOne, int256 amountSpecified, uint160 sqrtPriceLimitX96, bytes calldata data)
        external
        returns (int256 amount0, int256 amount1);
}

/// @title SwapExecutor
/// @notice Executes a route of swaps over Uniswap V2 pairs and V3 pools atomically, for the Safe
/// that calls it. Tokens are pulled from the caller only as each pool is paid (V2: transferred to
/// the pair before its swap; V3: paid inside the pool's own callback), and every output is sent
/// to the caller, never elsewhere. The route reverts as a whole if the deadline has passed, the
/// caller would receive less than `minAmountOut`, or spend more than `maxAmountIn`.
/// @dev Holds no funds between calls and has no owner. The pool a V3 callback may come from is
/// kept in transient storage for the duration of that one swap, so no other contract can make
/// the executor pay.
contract SwapExecutor {
    using SafeERC20 for IERC20;

    /// @notice Pool kinds a hop can use.
    uint8 public constant UNISWAP_V2 = 0;
    uint8 public constant UNISWAP_V3 = 1;

    // Uniswap V3 TickMath bounds, one inside, as "no price limit".
    uint160 private constant MIN_SQRT_RATIO_PLUS_ONE = 4295128740;
    uint160 private constant MAX_SQRT_RATIO_MINUS_ONE = 1461446703485210103287273052203988822378723970341;

    /// @notice One pool on the way from one token to the next.
    struct Hop {
        uint8 kind;
        address pool;
    }

    /// @notice A path of hops taken with one amount: exact input (any number of hops) or exact
    /// output (a single hop). Legs of a route run side by side: a split across pools.
    struct Leg {
        Hop[] hops;
        bool exactInput;
        uint256 amount;
    }

    /// @notice A whole order: every leg starts with `tokenIn` and ends with `tokenOut`.
    struct Route {
        address tokenIn;
        address tokenOut;
        Leg[] legs;
        uint256 minAmountOut;
        uint256 maxAmountIn;
        uint256 deadline;
    }

    /// @notice One pool swapped: what it took and what it paid, for the journal's fills.
    event Swapped(
        address indexed safe,
        uint256 indexed leg,
        address indexed pool,
        address tokenIn,
        address tokenOut,
        uint256 amountIn,
        uint256 amountOut
    );

    /// @notice The route as a whole: what the caller spent and received.
    event RouteExecuted(address indexed safe, address tokenIn, address tokenOut, uint256 amountIn, uint256 amountOut);

    error Expired(uint256 deadline, uint256 nowTimestamp);
    error EmptyRoute();
    error UnknownPoolKind(uint8 kind);
    error TokenNotInPool(address pool, address token);
    error ExactOutputNeedsOneHop(uint256 leg);
    error PathEndsElsewhere(uint256 leg, address endsWith);
    error OutputShort(uint256 leg, uint256 received, uint256 requested);
    error InsufficientOutput(uint256 received, uint256 minimum);
    error ExcessiveInput(uint256 spent, uint256 maximum);
    error UnexpectedCallback(address caller);
    error ZeroAmount(uint256 leg);

    address private transient expectedPool;
    address private transient callbackPayer;
    address private transient callbackToken;

    /// @notice Execute `route` for the caller (the Safe): pulls `tokenIn` from it as pools are
    /// paid (the caller must have approved this contract) and sends it every `tokenOut`.
    /// @param route the legs, limits and deadline.
    /// @return amountIn what the caller spent of `tokenIn`.
    /// @return amountOut what the caller received of `tokenOut`.
    function execute(Route calldata route) external returns (uint256 amountIn, uint256 amountOut) {
        if (block.timestamp > route.deadline) revert Expired(route.deadline, block.timestamp);
        if (route.legs.length == 0) revert EmptyRoute();
        uint256 inBefore = IERC20(route.tokenIn).balanceOf(msg.sender);
        uint256 outBefore = IERC20(route.tokenOut).balanceOf(msg.sender);
        for (uint256 i = 0; i < route.legs.length; i++) {
            _leg(route, i);
        }
        amountIn = inBefore - IERC20(route.tokenIn).balanceOf(msg.sender);
        amountOut = IERC20(route.tokenOut).balanceOf(msg.sender) - outBefore;
        if (amountOut < route.minAmountOut) revert InsufficientOutput(amountOut, route.minAmountOut);
        if (amountIn > route.maxAmountIn) revert ExcessiveInput(amountIn, route.maxAmountIn);
        emit RouteExecuted(msg.sender, route.tokenIn, route.tokenOut, amountIn, amountOut);
    }

    function _leg(Route calldata route, uint256 index) private {
        Leg calldata leg = route.legs[index];
        uint256 hops = leg.hops.length;
        if (leg.amount == 0) revert ZeroAmount(index);
        if (hops == 0) revert EmptyRoute();
        if (!leg.exactInput) {
            if (hops != 1) revert ExactOutputNeedsOneHop(index);
            _exactOutput(route, index, leg.hops[0], leg.amount);
            return;
        }
        address token = route.tokenIn;
        uint256 amount = leg.amount;
        address payer = msg.sender;
        for (uint256 h = 0; h < hops; h++) {
            bool last = h + 1 == hops;
            address recipient = last ? msg.sender : address(this);
            (address next, uint256 out) = _exactInputHop(leg.hops[h], token, amount, payer, recipient);
            emit Swapped(msg.sender, index, leg.hops[h].pool, token, next, amount, out);
            token = next;
            amount = out;
            payer = address(this);
        }
        if (token != route.tokenOut) revert PathEndsElsewhere(index, token);
    }

    function _exactInputHop(Hop calldata hop, address tokenIn, uint256 amountIn, address payer, address recipient)
        private
        returns (address tokenOut, uint256 amountOut)
    {
        bool zeroForOne;
        (zeroForOne, tokenOut) = _direction(hop.pool, tokenIn);
        if (hop.kind == UNISWAP_V2) {
            (uint256 reserveIn, uint256 reserveOut) = _reserves(hop.pool, zeroForOne);
            amountOut = _v2AmountOut(amountIn, reserveIn, reserveOut);
            _pay(tokenIn, payer, hop.pool, amountIn);
            (uint256 out0, uint256 out1) = zeroForOne ? (uint256(0), amountOut) : (amountOut, uint256(0));
            IUniswapV2PairLike(hop.pool).swap(out0, out1, recipient, "");
        } else if (hop.kind == UNISWAP_V3) {
            (int256 delta0, int256 delta1) =
                _v3Swap(hop.pool, zeroForOne, int256(amountIn), tokenIn, payer, recipient);
            amountOut = uint256(-(zeroForOne ? delta1 : delta0));
        } else {
            revert UnknownPoolKind(hop.kind);
        }
    }

    function _exactOutput(Route calldata route, uint256 index, Hop calldata hop, uint256 amountOut) private {
        (bool zeroForOne, address tokenOut) = _direction(hop.pool, route.tokenIn);
        if (tokenOut != route.tokenOut) revert PathEndsElsewhere(index, tokenOut);
        uint256 amountIn;
        if (hop.kind == UNISWAP_V2) {
            (uint256 reserveIn, uint256 reserveOut) = _reserves(hop.pool, zeroForOne);
            amountIn = _v2AmountIn(amountOut, reserveIn, reserveOut);
            _pay(route.tokenIn, msg.sender, hop.pool, amountIn);
            (uint256 out0, uint256 out1) = zeroForOne ? (uint256(0), amountOut) : (amountOut, uint256(0));
            IUniswapV2PairLike(hop.pool).swap(out0, out1, msg.sender, "");
        } else if (hop.kind == UNISWAP_V3) {
            (int256 delta0, int256 delta1) =
                _v3Swap(hop.pool, zeroForOne, -int256(amountOut), route.tokenIn, msg.sender, msg.sender);
            uint256 received = uint256(-(zeroForOne ? delta1 : delta0));
            // Without a price limit a V3 pool stops short only when its liquidity runs out.
            if (received != amountOut) revert OutputShort(index, received, amountOut);
            amountIn = uint256(zeroForOne ? delta0 : delta1);
        } else {
            revert UnknownPoolKind(hop.kind);
        }
        emit Swapped(msg.sender, index, hop.pool, route.tokenIn, tokenOut, amountIn, amountOut);
    }

    function _v3Swap(
        address pool,
        bool zeroForOne,
        int256 amountSpecified,
        address tokenIn,
        address payer,
        address recipient
    ) private returns (int256 delta0, int256 delta1) {
        expectedPool = pool;
        callbackPayer = payer;
        callbackToken = tokenIn;
        uint160 limit = zeroForOne ? MIN_SQRT_RATIO_PLUS_ONE : MAX_SQRT_RATIO_MINUS_ONE;
        (delta0, delta1) = IUniswapV3PoolLike(pool).swap(recipient, zeroForOne, amountSpecified, limit, "");
        expectedPool = address(0);
    }

    /// @notice Called by a V3 pool during `swap` to be paid: only the pool being swapped may call.
    /// @param amount0Delta token0 owed to the pool if positive.
    /// @param amount1Delta token1 owed to the pool if positive.
    function uniswapV3SwapCallback(int256 amount0Delta, int256 amount1Delta, bytes calldata) external {
        if (msg.sender != expectedPool || msg.sender == address(0)) revert UnexpectedCallback(msg.sender);
        // The pool is owed exactly one positive delta, in the token this hop pays with.
        uint256 owed = uint256(amount0Delta > 0 ? amount0Delta : amount1Delta);
        _pay(callbackToken, callbackPayer, msg.sender, owed);
    }

    function _pay(address token, address payer, address to, uint256 amount) private {
        if (payer == address(this)) IERC20(token).safeTransfer(to, amount);
        else IERC20(token).safeTransferFrom(payer, to, amount);
    }

    function _direction(address pool, address tokenIn) private view returns (bool zeroForOne, address tokenOut) {
        address token0 = IUniswapV2PairLike(pool).token0();
        address token1 = IUniswapV2PairLike(pool).token1();
        if (tokenIn == token0) return (true, token1);
        if (tokenIn == token1) return (false, token0);
        revert TokenNotInPool(pool, tokenIn);
    }

    function _reserves(address pair, bool zeroForOne) private view returns (uint256 reserveIn, uint256 reserveOut) {
        (uint112 reserve0, uint112 reserve1,) = IUniswapV2PairLike(pair).getReserves();
        (reserveIn, reserveOut) = zeroForOne ? (uint256(reserve0), uint256(reserve1)) : (uint256(reserve1), uint256(reserve0));
    }

    // The pair keeps 997/1000 of the input: largest output for an input, rounded down.
    function _v2AmountOut(uint256 amountIn, uint256 reserveIn, uint256 reserveOut) private pure returns (uint256) {
        uint256 withFee = amountIn * 997;
        return (withFee * reserveOut) / (reserveIn * 1000 + withFee);
    }

    // The least input for an output, as the pair's invariant check requires (floor + 1).
    function _v2AmountIn(uint256 amountOut, uint256 reserveIn, uint256 reserveOut) private pure returns (uint256) {
        return (reserveIn * amountOut * 1000) / ((reserveOut - amountOut) * 997) + 1;
    }
}
