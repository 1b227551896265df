// SPDX-License-Identifier: MIT
#pragma once

// The Store backends the conformance suite runs against. A backend joins the suite by adding a
// factory to all_backends(); the tests themselves never name a backend.

#include <functional>
#include <memory>
#include <ostream>
#include <string>
#include <vector>

#include "zae/open_store.h"
#include "zae/store.h"

namespace zae::test {

struct BackendFactory {
  // A gtest-safe label: letters, digits and '_'.
  std::string name;
  // A store on fresh, empty storage (a new file, a new table).
  std::function<std::unique_ptr<Store>(const StoreOptions&)> make;
  // A second store on the same storage as `existing` (another namespace of the same file or
  // table); empty when the backend cannot share storage (every sqlite::memory: is private).
  std::function<std::unique_ptr<Store>(const Store& existing, const StoreOptions&)> open_beside;
  // Non-empty when the backend cannot run in this environment; the tests then GTEST_SKIP
  // with this text.
  std::function<std::string()> skip_reason;
};

// gtest prints parameters in test listings; the name says all.
inline void PrintTo(const BackendFactory& factory, std::ostream* out) { *out << factory.name; }

// SQLite file and memory always; DynamoDB Local when ZAE_TEST_DYNAMODB_ENDPOINT is set.
std::vector<BackendFactory> all_backends();

}  // namespace zae::test
