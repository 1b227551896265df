// SPDX-License-Identifier: MIT
#pragma once

#include <optional>
#include <string>

#include "zae/store.h"

#include "aws/attribute_value.h"
#include "aws/dynamodb_client.h"

// Reading usage snapshot items (spec/data-model.md §6.12, spec/behavior.md §12.4), written by
// the Python aggregator or by ours, in both key forms (keys.h usage_window_key): readers parse
// attributes, never keys.
namespace zae::dynamodb {

// The snapshot an item holds: counters are every N attribute except the bookkeeping ones
// (US-2); a counter or total_events that is not an integer is skipped (0). nullopt for an item
// lacking entity_id, resource or window_start (as strings).
std::optional<UsageSnapshot> parse_usage_item(const aws::AttributeMap& item);

// One page of `query` (validated by the caller) in namespace `ns` of `table`: entity mode
// queries the entity's partition (`begins_with(SK, "#USAGE#[{r}#]")`), resource mode GSI2
// (`begins_with(GSI2SK, "USAGE#")`), both descending with Limit = query.limit; the window and
// time filters apply to the page afterwards. Throws aws errors (the caller translates) and
// ValidationError for a next_key this query did not return.
UsagePage query_usage_snapshots(aws::DynamoDbClient& client, const std::string& table,
                                const std::string& ns, const UsageQuery& query);

}  // namespace zae::dynamodb
