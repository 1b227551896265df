// SPDX-License-Identifier: MIT
#pragma once

namespace zae::cli {

// Exit codes of zae-limiter (spec/cli.md §1.5). The original documents 3 and 4 but never returns
// them; we do, and add one for "rate limited".
inline constexpr int kExitOk = 0;
inline constexpr int kExitError = 1;
inline constexpr int kExitUsage = 2;  // bad flags, bad limit strings, invalid identifiers, bad URIs
inline constexpr int kExitAwsError = 3;
inline constexpr int kExitTableNotFound = 4;
inline constexpr int kExitRateLimited = 5;

}  // namespace zae::cli
