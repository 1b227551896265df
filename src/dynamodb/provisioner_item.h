// SPDX-License-Identifier: MIT
#pragma once

#include <string_view>

#include "zae/store.h"

#include "aws/attribute_value.h"

// The provisioner state record of the declarative limits (spec/data-model.md §6.13): the item
// `PK={ns}/SYSTEM#`, `SK=#PROVISIONER` that the Python provisioner Lambda and the C++ CLI both
// read and rewrite, so the two can take turns applying manifests to one namespace.
namespace zae::dynamodb {

// The whole item, keys and GSI4PK included, exactly as the original writes it: managed_system
// BOOL, managed_resources L of S, managed_entities M of L of S, last_applied and applied_hash S.
aws::AttributeMap encode_provisioner_state(std::string_view ns, const ProvisionerState& state);

// Reads the item. Absent attributes read as their empty values (false, [], {}, ""); an attribute
// of another type throws MalformedItemError naming the item's key and the attribute.
ProvisionerState decode_provisioner_state(const aws::AttributeMap& item);

}  // namespace zae::dynamodb
