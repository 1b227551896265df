// SPDX-License-Identifier: MIT
#pragma once

#include <string_view>

// The project version, from CMake (target zae-limiter).
#ifndef ZAE_VERSION
#define ZAE_VERSION "0.0.0"
#endif

namespace zae::cli {

inline constexpr std::string_view kClientVersion = ZAE_VERSION;

}  // namespace zae::cli
