// SPDX-License-Identifier: MIT
#pragma once

namespace zae::cli {

// Exit codes of zae-limiter (spec/cli.md §1.5). The original documents 3 and 4 but never returns
// them; we do, and add one for "rate limited".
inline constexpr int kExitOk = 0;
// Handled errors: not found entities and namespaces, a refused confirmation (Aborted!), an
// incompatible version record, an unsupported command.
inline constexpr int kExitError = 1;
// Bad flags, bad limit strings, invalid identifiers, table and namespace names, bad URIs,
// conflicting store options, options the C++ port does not support.
inline constexpr int kExitUsage = 2;
// A storage service error: an AWS API or network error (or an unusable SQLite file).
inline constexpr int kExitAwsError = 3;
// The DynamoDB table does not exist (data commands never create it; only `deploy` does).
inline constexpr int kExitTableNotFound = 4;
inline constexpr int kExitRateLimited = 5;

}  // namespace zae::cli
