// SPDX-License-Identifier: MIT
pragma solidity ^0.8.28;

/// @title FrostOwner
/// @notice A Safe owner whose signatures are FROST(secp256k1, SHA-256) group signatures
/// (RFC 9591): a threshold of the group's participants signs, and no single machine ever holds
/// the key. Exposes EIP-1271 in both forms: `isValidSignature(bytes32,bytes)` and the legacy
/// `isValidSignature(bytes,bytes)` that Safe 1.4.1's `checkNSignatures` calls for contract
/// signatures (with the EIP-712 transaction data; the FROST message is its keccak256).
/// @dev A signature is the RFC 9591 encoding: R compressed (33 bytes) then z (32 bytes),
/// optionally followed by R's y-coordinate (32 bytes, 97 in all). The hint saves decompressing
/// R with the modexp precompile (about 4,000 gas since EIP-7883); it is checked on the curve
/// and against R's parity, so it cannot change what is verified. The
/// check is z*G == R + c*PK with c = H2(R || PK || message), H2 being hash_to_field over
/// expand_message_xmd with SHA-256 (the 0x02 precompile) and the suite's "chal" tag. The point
/// arithmetic uses ecrecover: with r = PK.x, v = 27 + parity(PK.y), s = c*PK.x and
/// hash = z*PK.x (mod n), ecrecover returns the address of PK.x^-1 * (s*PK - hash*G) =
/// c*PK - z*G = -R for a valid signature, which is compared with the address of -R computed
/// from R itself (its y from the hint or from the 0x05 modexp precompile, on the curve).
/// A forgery must hit a 160-bit address for a challenge fixed by R: about 2^160 work.
/// PK.x must be below n (else r = PK.x would be reduced): enforced by the constructor.
contract FrostOwner {
    /// @notice The public key given to the constructor is not 33 bytes with prefix 0x02/0x03.
    error PublicKeyNotCompressed(uint256 length, uint8 prefix);
    /// @notice The public key's x-coordinate is not below the group order, which the
    /// ecrecover check needs.
    error PublicKeyNotBelowOrder(uint256 x);
    /// @notice The public key is not a point on secp256k1.
    error PublicKeyNotOnCurve(uint256 x);
    /// @notice A signature is 65 bytes (R compressed, z) or 97 (the same, then R's y).
    error SignatureLengthInvalid(uint256 length);
    /// @notice The modexp precompile call failed (cannot happen on a chain that has it).
    error ModexpFailed();

    /// @dev secp256k1 field prime and group order (SEC 2, 2.4.1).
    uint256 private constant P = 0xFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFEFFFFFC2F;
    uint256 private constant N = 0xFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFEBAAEDCE6AF48A03BBFD25E8CD0364141;
    /// @dev (P + 1) / 4: since P = 3 mod 4, a^((P+1)/4) is a square root of a when one exists.
    uint256 private constant SQRT_EXPONENT = 0x3FFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFBFFFFF0C;
    /// @dev "FROST-secp256k1-SHA256-v1" || "chal" || I2OSP(29, 1): RFC 9380's DST_prime for H2.
    bytes30 private constant CHALLENGE_DST_PRIME = "FROST-secp256k1-SHA256-v1chal\x1d";
    bytes4 private constant MAGIC_VALUE = 0x1626ba7e; // isValidSignature(bytes32,bytes)
    bytes4 private constant LEGACY_MAGIC_VALUE = 0x20c13b0b; // isValidSignature(bytes,bytes)
    bytes4 private constant INVALID = 0xffffffff;

    uint256 private immutable publicKeyX;
    uint8 private immutable publicKeyPrefix;

    /// @notice Bind this owner to one FROST group public key.
    /// @param groupPublicKey The group key, SEC1 compressed (33 bytes).
    constructor(bytes memory groupPublicKey) {
        if (groupPublicKey.length != 33 || (groupPublicKey[0] != 0x02 && groupPublicKey[0] != 0x03)) {
            revert PublicKeyNotCompressed(groupPublicKey.length, groupPublicKey.length == 0 ? 0 : uint8(groupPublicKey[0]));
        }
        uint256 x;
        assembly ("memory-safe") {
            x := mload(add(groupPublicKey, 33))
        }
        if (x >= N) revert PublicKeyNotBelowOrder(x);
        (, bool onCurve) = _liftX(x);
        if (!onCurve) revert PublicKeyNotOnCurve(x);
        publicKeyX = x;
        publicKeyPrefix = uint8(groupPublicKey[0]);
    }

    /// @notice The group public key this owner verifies against, SEC1 compressed.
    /// @return The 33-byte key.
    function publicKey() external view returns (bytes memory) {
        return abi.encodePacked(publicKeyPrefix, publicKeyX);
    }

    /// @notice EIP-1271: whether `signature` is the group's FROST signature over `hash`.
    /// @param hash The 32-byte message that was signed (for a Safe: the SafeTx hash).
    /// @param signature R compressed (33 bytes), z (32 bytes), optionally R's y (32 bytes).
    /// @return 0x1626ba7e when valid, 0xffffffff otherwise.
    function isValidSignature(bytes32 hash, bytes calldata signature) external view returns (bytes4) {
        return verify(hash, signature) ? MAGIC_VALUE : INVALID;
    }

    /// @notice Legacy EIP-1271 as Safe 1.4.1 calls it for contract signatures: `data` is the
    /// EIP-712 encoded transaction, the signed message is keccak256(data).
    /// @param data The signed data (Safe: `encodeTransactionData(...)`).
    /// @param signature R compressed (33 bytes), z (32 bytes), optionally R's y (32 bytes).
    /// @return 0x20c13b0b when valid, 0xffffffff otherwise.
    function isValidSignature(bytes calldata data, bytes calldata signature) external view returns (bytes4) {
        return verify(keccak256(data), signature) ? LEGACY_MAGIC_VALUE : INVALID;
    }

    /// @notice Verify a FROST(secp256k1, SHA-256) signature over a 32-byte message.
    /// @dev Reverts only on a malformed length; every other invalid input returns false.
    /// @param message The 32-byte message.
    /// @param signature R compressed (33 bytes), z (32 bytes), optionally R's y (32 bytes).
    /// @return Whether the signature is valid for this owner's group key.
    function verify(bytes32 message, bytes calldata signature) public view returns (bool) {
        return _verify(abi.encodePacked(message), signature);
    }

    /// @notice Verify a FROST(secp256k1, SHA-256) signature over a message of any length, as
    /// any RFC 9591 verifier would (e.g. the RFC's own test vector, whose message is 4 bytes).
    /// @param message The signed message.
    /// @param signature R compressed (33 bytes), z (32 bytes), optionally R's y (32 bytes).
    /// @return Whether the signature is valid for this owner's group key.
    function verifyMessage(bytes calldata message, bytes calldata signature) external view returns (bool) {
        return _verify(message, signature);
    }

    function _verify(bytes memory message, bytes calldata signature) private view returns (bool) {
        if (signature.length != 65 && signature.length != 97) revert SignatureLengthInvalid(signature.length);
        uint8 prefix = uint8(signature[0]);
        uint256 rx = uint256(bytes32(signature[1:33]));
        uint256 z = uint256(bytes32(signature[33:65]));
        if ((prefix != 2 && prefix != 3) || rx >= P || z >= N) return false;
        uint256 ry;
        if (signature.length == 97) {
            // The hint is untrusted: on the curve with R's parity pins it to R's one y (the
            // two roots y and P - y differ in parity because P is odd).
            ry = uint256(bytes32(signature[65:97]));
            uint256 rhs = addmod(mulmod(mulmod(rx, rx, P), rx, P), 7, P);
            if (ry >= P || ry & 1 != prefix - 2 || mulmod(ry, ry, P) != rhs) return false;
        } else {
            bool onCurve;
            (ry, onCurve) = _liftX(rx);
            if (!onCurve) return false;
            if (ry & 1 != prefix - 2) ry = P - ry;
        }
        uint256 s = mulmod(_challenge(signature[0:33], message), publicKeyX, N);
        if (s == 0) return false;
        address recovered = ecrecover(
            bytes32(mulmod(z, publicKeyX, N)), publicKeyPrefix + 25, bytes32(publicKeyX), bytes32(s)
        );
        // -R = (rx, P - ry); ry != 0 on secp256k1 (x^3 + 7 = 0 has no solution mod P).
        address minusR = address(uint160(uint256(keccak256(abi.encodePacked(rx, P - ry)))));
        return recovered == minusR && recovered != address(0);
    }

    /// @dev H2(R || PK || message) = hash_to_field with L = 48 over expand_message_xmd (RFC
    /// 9380 5.3.1) with SHA-256: b0 = H(Z_pad || msg || I2OSP(48, 2) || 0 || DST'),
    /// b1 = H(b0 || 1 || DST'), b2 = H((b0 xor b1) || 2 || DST'); the 48 bytes b1 || b2[:16]
    /// are read big-endian and reduced mod N as b1 * 2^128 + b2[:16].
    function _challenge(bytes calldata encodedR, bytes memory message) private view returns (uint256) {
        bytes32 b0 = sha256(
            abi.encodePacked(
                bytes32(0), bytes32(0), encodedR, publicKeyPrefix, publicKeyX, message, uint16(48), uint8(0),
                CHALLENGE_DST_PRIME
            )
        );
        bytes32 b1 = sha256(abi.encodePacked(b0, uint8(1), CHALLENGE_DST_PRIME));
        bytes32 b2 = sha256(abi.encodePacked(b0 ^ b1, uint8(2), CHALLENGE_DST_PRIME));
        return addmod(mulmod(uint256(b1), 1 << 128, N), uint256(b2) >> 128, N);
    }

    /// @dev The even-or-odd y with y^2 = x^3 + 7 (mod P), via modexp; `onCurve` false when
    /// x^3 + 7 is not a square.
    function _liftX(uint256 x) private view returns (uint256 y, bool onCurve) {
        uint256 rhs = addmod(mulmod(mulmod(x, x, P), x, P), 7, P);
        bool ok;
        assembly ("memory-safe") {
            let buffer := mload(0x40)
            mstore(buffer, 32) // base length
            mstore(add(buffer, 0x20), 32) // exponent length
            mstore(add(buffer, 0x40), 32) // modulus length
            mstore(add(buffer, 0x60), rhs)
            mstore(add(buffer, 0x80), SQRT_EXPONENT)
            mstore(add(buffer, 0xa0), P)
            ok := staticcall(gas(), 0x05, buffer, 0xc0, buffer, 0x20)
            y := mload(buffer)
        }
        if (!ok) revert ModexpFailed();
        onCurve = mulmod(y, y, P) == rhs;
    }
}
