// SPDX-License-Identifier: MIT
#pragma once

#include <array>
#include <cstdint>
#include <span>
#include <string>
#include <string_view>

// SHA-256 and HMAC-SHA256 over OpenSSL's libcrypto, shaped for the signing hot path: fixed-size
// digests on the stack, no heap allocation per call.
namespace zae::aws {

using Sha256Digest = std::array<std::uint8_t, 32>;

// SHA-256 of `data`. Thread-safe. Throws AwsError if libcrypto fails (out of memory).
Sha256Digest sha256(std::string_view data);

// HMAC-SHA256 of `data` under `key` (RFC 2104). Thread-safe. Throws AwsError like sha256().
Sha256Digest hmac_sha256(std::span<const std::uint8_t> key, std::string_view data);

// Appends the lower-case hex form of `bytes` to `out`.
void append_hex(std::string& out, std::span<const std::uint8_t> bytes);

// The lower-case hex form of `bytes`.
std::string to_hex(std::span<const std::uint8_t> bytes);

}  // namespace zae::aws
