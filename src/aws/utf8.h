// SPDX-License-Identifier: MIT
#pragma once

#include <cstddef>

namespace zae::aws {

// Length of the well-formed UTF-8 sequence starting at `p` (1 to 4), or 0 when the bytes there
// are not well-formed UTF-8: a stray continuation byte, an overlong form, a surrogate, a code
// point above U+10FFFF, or a sequence cut short by `available` (which must be at least 1).
inline std::size_t utf8_sequence_length(const unsigned char* p, std::size_t available) {
  const unsigned char c = p[0];
  auto cont = [&](std::size_t i) { return i < available && (p[i] & 0xC0) == 0x80; };
  if (c < 0x80) {
    return 1;
  }
  if (c < 0xC2) {
    return 0;
  }
  if (c < 0xE0) {
    return cont(1) ? 2 : 0;
  }
  if (c < 0xF0) {
    if (!cont(1) || !cont(2)) {
      return 0;
    }
    if ((c == 0xE0 && p[1] < 0xA0) || (c == 0xED && p[1] > 0x9F)) {
      return 0;
    }
    return 3;
  }
  if (c < 0xF5) {
    if (!cont(1) || !cont(2) || !cont(3)) {
      return 0;
    }
    if ((c == 0xF0 && p[1] < 0x90) || (c == 0xF4 && p[1] > 0x8F)) {
      return 0;
    }
    return 4;
  }
  return 0;
}

}  // namespace zae::aws
