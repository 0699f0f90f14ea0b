// SPDX-License-Identifier: MIT
pragma solidity ^0.8.24;

/// @notice The read-only part of a Uniswap V2 pair that the lens needs.
interface IV2PairState {
    function token0() external view returns (address);
    function token1() external view returns (address);
    function getReserves() external view returns (uint112 reserve0, uint112 reserve1, uint32 blockTimestampLast);
}

/// @notice The read-only part of a Uniswap V3 pool that the lens needs.
interface IV3PoolState {
    function token0() external view returns (address);
    function token1() external view returns (address);
    function fee() external view returns (uint24);
    function tickSpacing() external view returns (int24);
    function liquidity() external view returns (uint128);
    function slot0()
        external
        view
        returns (uint160 sqrtPriceX96, int24 tick, uint16, uint16, uint16, uint8, bool);
    function tickBitmap(int16 wordPosition) external view returns (uint256);
    function ticks(int24 tick)
        external
        view
        returns (uint128 liquidityGross, int128 liquidityNet, uint256, uint256, int56, uint160, uint32, bool);
}

/// @title PoolLens
/// @notice Reads the state of many Uniswap V2 pairs and V3 pools in one `eth_call`: everything an
///         off-chain quote needs, consistent within one block.
/// @dev Meant to be called, never sent: it has no state and no permissions. It also works without
///      being deployed, by injecting its runtime code at an unused address through an `eth_call`
///      state override, so it can read any chain whose RPC supports overrides (forks included).
///      Gas is only a concern for very wide tick windows; callers bound `wordsEachSide`.
contract PoolLens {
    /// @notice A window asked for more bitmap words than the lens reads in one call.
    error WindowTooWide(uint16 wordsEachSide, uint16 maximum);

    /// @notice One initialized tick and the liquidity that enters (or leaves) when crossing it.
    struct TickLiquidity {
        int24 tick;
        int128 liquidityNet;
    }

    /// @notice What a V2 pair quotes from.
    struct V2PairState {
        address pair;
        address token0;
        address token1;
        uint112 reserve0;
        uint112 reserve1;
    }

    /// @notice What a V3 pool quotes from, with every initialized tick in the bitmap words
    ///         `wordLow..wordHigh` (inclusive) around the current tick.
    struct V3PoolState {
        address pool;
        address token0;
        address token1;
        uint24 fee;
        int24 tickSpacing;
        uint160 sqrtPriceX96;
        int24 tick;
        uint128 liquidity;
        int16 wordLow;
        int16 wordHigh;
        TickLiquidity[] ticks;
    }

    /// @dev 2**8 ticks per bitmap word; 128 words each side covers any realistic swap.
    uint16 public constant MAX_WORDS_EACH_SIDE = 128;

    /// @notice Reserves and tokens of each pair, in the order given.
    /// @param pairs Uniswap V2 pair addresses.
    /// @return states One entry per pair.
    function v2States(address[] calldata pairs) external view returns (V2PairState[] memory states) {
        states = new V2PairState[](pairs.length);
        for (uint256 i = 0; i < pairs.length; ++i) {
            IV2PairState pair = IV2PairState(pairs[i]);
            (uint112 reserve0, uint112 reserve1,) = pair.getReserves();
            states[i] = V2PairState(pairs[i], pair.token0(), pair.token1(), reserve0, reserve1);
        }
    }

    /// @notice Price, liquidity and initialized ticks of each pool, in the order given.
    /// @param pools Uniswap V3 pool addresses.
    /// @param wordsEachSide How many bitmap words to read on each side of the current tick's word.
    /// @return states One entry per pool.
    function v3States(address[] calldata pools, uint16 wordsEachSide)
        external
        view
        returns (V3PoolState[] memory states)
    {
        if (wordsEachSide > MAX_WORDS_EACH_SIDE) revert WindowTooWide(wordsEachSide, MAX_WORDS_EACH_SIDE);
        states = new V3PoolState[](pools.length);
        for (uint256 i = 0; i < pools.length; ++i) {
            states[i] = _v3State(IV3PoolState(pools[i]), wordsEachSide);
        }
    }

    function _v3State(IV3PoolState pool, uint16 wordsEachSide) private view returns (V3PoolState memory state) {
        state.pool = address(pool);
        state.token0 = pool.token0();
        state.token1 = pool.token1();
        state.fee = pool.fee();
        state.tickSpacing = pool.tickSpacing();
        (state.sqrtPriceX96, state.tick,,,,,) = pool.slot0();
        state.liquidity = pool.liquidity();
        (state.wordLow, state.wordHigh) = _window(state.tick, state.tickSpacing, wordsEachSide);
        state.ticks = _initializedTicks(pool, state.tickSpacing, state.wordLow, state.wordHigh);
    }

    /// @dev The current tick is compressed by the spacing rounding toward minus infinity, as the
    ///      pool's own bitmap does; the window is clamped to the words any valid tick can occupy.
    function _window(int24 tick, int24 spacing, uint16 wordsEachSide) private pure returns (int16 low, int16 high) {
        int24 compressed = tick / spacing;
        if (tick < 0 && tick % spacing != 0) compressed--;
        int24 word = compressed >> 8;
        int24 minWord = (int24(-887272) / spacing) >> 8;
        int24 maxWord = (int24(887272) / spacing) >> 8;
        int24 from = word - int24(uint24(wordsEachSide));
        int24 to = word + int24(uint24(wordsEachSide));
        low = int16(from < minWord ? minWord : from);
        high = int16(to > maxWord ? maxWord : to);
    }

    function _initializedTicks(IV3PoolState pool, int24 spacing, int16 low, int16 high)
        private
        view
        returns (TickLiquidity[] memory found)
    {
        uint256 words = uint256(int256(high) - int256(low) + 1);
        uint256[] memory bitmaps = new uint256[](words);
        uint256 count;
        for (uint256 w = 0; w < words; ++w) {
            bitmaps[w] = pool.tickBitmap(int16(int256(low) + int256(w)));
            count += _popcount(bitmaps[w]);
        }
        found = new TickLiquidity[](count);
        uint256 next;
        for (uint256 w = 0; w < words; ++w) {
            for (uint256 bit = 0; bitmaps[w] >> bit != 0; ++bit) {
                if ((bitmaps[w] >> bit) & 1 == 0) continue;
                int24 tick = int24((int256(low) + int256(w)) * 256 + int256(bit)) * spacing;
                (, int128 liquidityNet,,,,,,) = pool.ticks(tick);
                found[next++] = TickLiquidity(tick, liquidityNet);
            }
        }
    }

    function _popcount(uint256 word) private pure returns (uint256 bits) {
        while (word != 0) {
            word &= word - 1;
            ++bits;
        }
    }
}
