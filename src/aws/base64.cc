// SPDX-License-Identifier: MIT
#include "aws/base64.h"

#include <array>
#include <cstdint>

#include "aws/errors.h"

namespace zae::aws {
namespace {

constexpr char kAlphabet[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

constexpr std::array<std::int8_t, 256> make_decode_table() {
  std::array<std::int8_t, 256> table{};
  for (auto& v : table) {
    v = -1;
  }
  for (int i = 0; i < 64; ++i) {
    table[static_cast<unsigned char>(kAlphabet[i])] = static_cast<std::int8_t>(i);
  }
  return table;
}

constexpr std::array<std::int8_t, 256> kDecode = make_decode_table();

}  // namespace

void append_base64(std::string& out, std::string_view bytes) {
  const auto* p = reinterpret_cast<const unsigned char*>(bytes.data());
  std::size_t at = out.size();
  out.resize(at + (bytes.size() + 2) / 3 * 4);
  std::size_t i = 0;
  for (; i + 3 <= bytes.size(); i += 3) {
    std::uint32_t v = (p[i] << 16) | (p[i + 1] << 8) | p[i + 2];
    out[at++] = kAlphabet[v >> 18];
    out[at++] = kAlphabet[(v >> 12) & 63];
    out[at++] = kAlphabet[(v >> 6) & 63];
    out[at++] = kAlphabet[v & 63];
  }
  if (std::size_t rest = bytes.size() - i; rest > 0) {
    std::uint32_t v = p[i] << 16;
    if (rest == 2) {
      v |= p[i + 1] << 8;
    }
    out[at++] = kAlphabet[v >> 18];
    out[at++] = kAlphabet[(v >> 12) & 63];
    out[at++] = rest == 2 ? kAlphabet[(v >> 6) & 63] : '=';
    out[at++] = '=';
  }
}

std::string base64_encode(std::string_view bytes) {
  std::string out;
  append_base64(out, bytes);
  return out;
}

std::string base64_decode(std::string_view text) {
  if (text.size() % 4 != 0) {
    throw EncodingError("base64 length " + std::to_string(text.size()) + " is not a multiple of 4");
  }
  std::string out;
  out.reserve(text.size() / 4 * 3);
  for (std::size_t i = 0; i < text.size(); i += 4) {
    const bool last = i + 4 == text.size();
    int pad = 0;
    if (last && text[i + 3] == '=') {
      pad = text[i + 2] == '=' ? 2 : 1;
    }
    std::uint32_t v = 0;
    for (int j = 0; j < 4 - pad; ++j) {
      std::int8_t d = kDecode[static_cast<unsigned char>(text[i + j])];
      if (d < 0) {
        throw EncodingError("invalid base64 character at offset " + std::to_string(i + j));
      }
      v = (v << 6) | static_cast<std::uint32_t>(d);
    }
    v <<= 6 * pad;
    if ((pad == 1 && (v & 0xFF) != 0) || (pad == 2 && (v & 0xFFFF) != 0)) {
      throw EncodingError("base64 has non-zero padding bits");
    }
    out += static_cast<char>(v >> 16);
    if (pad < 2) {
      out += static_cast<char>((v >> 8) & 0xFF);
    }
    if (pad < 1) {
      out += static_cast<char>(v & 0xFF);
    }
  }
  return out;
}

}  // namespace zae::aws
