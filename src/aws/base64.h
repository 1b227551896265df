// SPDX-License-Identifier: MIT
#pragma once

#include <string>
#include <string_view>

// Standard base64 (RFC 4648 section 4, with '=' padding), the encoding of DynamoDB's B and BS.
namespace zae::aws {

// Appends the base64 form of `bytes` to `out`.
void append_base64(std::string& out, std::string_view bytes);

std::string base64_encode(std::string_view bytes);

// Decodes padded base64. Throws EncodingError on characters outside the alphabet, whitespace,
// missing or misplaced padding, or non-zero bits in the last character's unused part (so that
// every byte string has exactly one accepted encoding).
std::string base64_decode(std::string_view text);

}  // namespace zae::aws
