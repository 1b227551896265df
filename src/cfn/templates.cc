// SPDX-License-Identifier: MIT
#include "cfn/templates.h"

#include <initializer_list>
#include <optional>
#include <utility>
#include <vector>

#include "aws/dynamodb_client.h"
#include "aws/dynamodb_wire.h"
#include "cfn/yaml_writer.h"
#include "dynamodb/items.h"
#include "dynamodb/provisioning.h"
#include "dynamodb/table_admin.h"

namespace zae::cfn {
namespace {

using Node = YamlNode;

// The table definition and tags are generated for this name; every string equal to it becomes
// a reference to the TableName parameter. It cannot be a table name (validate_table_name).
constexpr std::string_view kTableNamePlaceholder = "\x01TableName";

Node str(std::string_view text) { return Node::string(std::string(text)); }

Node ref(std::string_view name) { return Node::mapping().add("Ref", str(name)); }

// A value of the table definition: the TableName parameter where the definition has the name.
Node value(std::string_view text) {
  return text == kTableNamePlaceholder ? ref("TableName") : str(text);
}

Node list_of_strings(std::initializer_list<std::string_view> items) {
  Node out = Node::sequence();
  for (std::string_view item : items) {
    out.push(str(item));
  }
  return out;
}

Node fn(std::string_view name, Node argument) {
  return Node::mapping().add(std::string(name), std::move(argument));
}

Node key_schema(const std::vector<aws::KeySchemaElement>& elements) {
  Node out = Node::sequence();
  for (const auto& e : elements) {
    out.push(Node::mapping()
                 .add("AttributeName", str(e.name))
                 .add("KeyType", str(aws::wire::name(e.type))));
  }
  return out;
}

Node throughput(const aws::ProvisionedThroughput& t) {
  return Node::mapping()
      .add("ReadCapacityUnits", Node::integer(t.read_capacity_units))
      .add("WriteCapacityUnits", Node::integer(t.write_capacity_units));
}

Node indexes(const std::vector<aws::SecondaryIndex>& definitions) {
  Node out = Node::sequence();
  for (const auto& index : definitions) {
    Node projection = Node::mapping().add("ProjectionType", str(index.projection.type));
    if (!index.projection.non_key_attributes.empty()) {
      Node attributes = Node::sequence();
      for (const auto& a : index.projection.non_key_attributes) {
        attributes.push(str(a));
      }
      projection.add("NonKeyAttributes", std::move(attributes));
    }
    Node node = Node::mapping()
                    .add("IndexName", str(index.name))
                    .add("KeySchema", key_schema(index.key_schema))
                    .add("Projection", std::move(projection));
    if (index.provisioned_throughput) {
      node.add("ProvisionedThroughput", throughput(*index.provisioned_throughput));
    }
    out.push(std::move(node));
  }
  return out;
}

Node boolean_parameter(std::string_view description, std::string_view default_value) {
  return Node::mapping()
      .add("Type", str("String"))
      .add("Default", str(default_value))
      .add("AllowedValues", list_of_strings({"true", "false"}))
      .add("Description", str(description));
}

Node equals_true(std::string_view parameter) {
  return fn("Fn::Equals", Node::sequence().push(ref(parameter)).push(str("true")));
}

Node if_then_else(std::string_view condition, Node then, Node otherwise) {
  return fn("Fn::If",
            Node::sequence().push(str(condition)).push(std::move(then)).push(std::move(otherwise)));
}

Node output(std::string_view description, Node value, std::string_view name) {
  return Node::mapping()
      .add("Description", str(description))
      .add("Value", std::move(value))
      .add("Export", Node::mapping().add(
                         "Name", fn("Fn::Sub", str("${AWS::StackName}-" + std::string(name)))));
}

Node get_att(std::string_view resource, std::string_view attribute) {
  return fn("Fn::GetAtt", list_of_strings({resource, attribute}));
}

}  // namespace

std::string table_template(const TableTemplateOptions& options) {
  // The very request `deploy` sends, with the tags `deploy` applies when given no --tag.
  const aws::CreateTableRequest table = dynamodb::table_definition(
      kTableNamePlaceholder,
      dynamodb::merge_tags(
          {}, dynamodb::discovery_tags(kTableNamePlaceholder, options.client_version)));

  Node parameters =
      Node::mapping()
          .add("TableName",
               Node::mapping()
                   .add("Type", str("String"))
                   .add("Default", str(options.default_table_name))
                   .add("Description",
                        str("DynamoDB table name (the name every zae-limiter client uses)"))
                   // dynamodb::validate_table_name (spec/data-model.md §1.1).
                   .add("AllowedPattern", str("^[A-Za-z][A-Za-z0-9-]*$"))
                   .add("MinLength", Node::integer(1))
                   .add("MaxLength", Node::integer(55))
                   .add("ConstraintDescription",
                        str("must start with a letter and contain only letters, digits and "
                            "hyphens, at most 55 characters")))
          .add("EnablePointInTimeRecovery",
               boolean_parameter("Point-in-time recovery (deploy's default: enabled)", "true"))
          .add("PointInTimeRecoveryPeriodDays",
               Node::mapping()
                   .add("Type", str("String"))
                   .add("Default", str(""))
                   .add("AllowedPattern", str("^$|^([1-9]|[12][0-9]|3[0-5])$"))
                   .add("Description",
                        str("Point-in-time recovery period, 1-35 days (empty: AWS's default, 35; "
                            "deploy --pitr-recovery-days)")))
          .add(
              "EnableDeletionProtection",
              boolean_parameter("Table deletion protection (deploy's default: disabled)", "false"));

  Node conditions =
      Node::mapping()
          .add("PointInTimeRecoveryEnabled", equals_true("EnablePointInTimeRecovery"))
          .add("HasPointInTimeRecoveryPeriod",
               fn("Fn::And",
                  Node::sequence()
                      .push(Node::mapping().add("Condition", str("PointInTimeRecoveryEnabled")))
                      .push(fn("Fn::Not",
                               Node::sequence().push(
                                   fn("Fn::Equals", Node::sequence()
                                                        .push(ref("PointInTimeRecoveryPeriodDays"))
                                                        .push(str(""))))))))
          .add("DeletionProtectionEnabled", equals_true("EnableDeletionProtection"));

  Node attributes = Node::sequence();
  for (const auto& a : table.attribute_definitions) {
    attributes.push(
        Node::mapping().add("AttributeName", str(a.name)).add("AttributeType", str(a.type)));
  }
  Node properties = Node::mapping()
                        .add("TableName", value(table.table_name))
                        .add("BillingMode", str(aws::wire::name(table.billing_mode)));
  if (table.provisioned_throughput) {
    properties.add("ProvisionedThroughput", throughput(*table.provisioned_throughput));
  }
  properties.add("AttributeDefinitions", std::move(attributes))
      .add("KeySchema", key_schema(table.key_schema));
  if (!table.global_secondary_indexes.empty()) {
    properties.add("GlobalSecondaryIndexes", indexes(table.global_secondary_indexes));
  }
  if (!table.local_secondary_indexes.empty()) {
    properties.add("LocalSecondaryIndexes", indexes(table.local_secondary_indexes));
  }
  if (table.stream_specification && table.stream_specification->enabled) {
    properties.add(
        "StreamSpecification",
        Node::mapping().add("StreamViewType",
                            str(aws::wire::name(table.stream_specification->view_type))));
  }
  properties
      .add("TimeToLiveSpecification", Node::mapping()
                                          .add("AttributeName", str(dynamodb::kTtlAttribute))
                                          .add("Enabled", Node::boolean(true)))
      .add("PointInTimeRecoverySpecification",
           Node::mapping()
               .add("PointInTimeRecoveryEnabled",
                    if_then_else("PointInTimeRecoveryEnabled", Node::boolean(true),
                                 Node::boolean(false)))
               .add("RecoveryPeriodInDays",
                    if_then_else("HasPointInTimeRecoveryPeriod",
                                 ref("PointInTimeRecoveryPeriodDays"), ref("AWS::NoValue"))))
      .add("DeletionProtectionEnabled",
           if_then_else("DeletionProtectionEnabled", Node::boolean(true), Node::boolean(false)));
  Node tags = Node::sequence();
  for (const auto& tag : table.tags) {
    tags.push(Node::mapping().add("Key", str(tag.key)).add("Value", value(tag.value)));
  }
  properties.add("Tags", std::move(tags));

  Node root =
      Node::mapping()
          .add("AWSTemplateFormatVersion", str("2010-09-09"))
          .add("Description",
               str("zae-limiter rate limiter table (schema " +
                   std::string(dynamodb::kSchemaVersion) +
                   "), the table `zae-limiter deploy` creates. After the stack is created, run "
                   "`zae-limiter deploy --name TABLE` once to write the version record and "
                   "register the default namespace."))
          .add("Parameters", std::move(parameters))
          .add("Conditions", std::move(conditions))
          .add("Resources", Node::mapping().add("RateLimitsTable",
                                                Node::mapping()
                                                    .add("Type", str("AWS::DynamoDB::Table"))
                                                    .add("Properties", std::move(properties))))
          .add("Outputs",
               Node::mapping()
                   .add("TableName", output("Name of the rate limiter table",
                                            ref("RateLimitsTable"), "TableName"))
                   .add("TableArn", output("ARN of the rate limiter table",
                                           get_att("RateLimitsTable", "Arn"), "TableArn"))
                   .add("StreamArn", output("ARN of the table's stream (NEW_AND_OLD_IMAGES)",
                                            get_att("RateLimitsTable", "StreamArn"), "StreamArn")));
  return emit_yaml(root, {.line_width = 0});
}

namespace {

// spec/cli.md §10.4: only the fields written; burst dropped.
Node limits_node(const std::optional<std::vector<manifest::WrittenLimit>>& limits) {
  Node out = Node::mapping();
  if (!limits) {
    return out;
  }
  for (const auto& limit : *limits) {
    Node fields = Node::mapping().add("Capacity", Node::integer(limit.capacity));
    if (limit.refill_amount) {
      fields.add("RefillAmount", Node::integer(*limit.refill_amount));
    }
    if (limit.refill_period) {
      fields.add("RefillPeriod", Node::integer(*limit.refill_period));
    }
    out.add(limit.name, std::move(fields));
  }
  return out;
}

Node resources_node(const std::vector<manifest::WrittenResource>& resources) {
  Node out = Node::mapping();
  for (const auto& r : resources) {
    out.add(r.name, Node::mapping().add("Limits", limits_node(r.limits)));
  }
  return out;
}

}  // namespace

std::string limits_template(const manifest::WrittenManifest& manifest,
                            std::string_view stack_name) {
  const std::string namespace_name = manifest.namespace_name.value_or("default");
  Node properties = Node::mapping()
                        .add("ServiceToken", fn("Fn::ImportValue",
                                                str(std::string(stack_name) + "-ProvisionerArn")))
                        .add("TableName", str(stack_name))
                        .add("Namespace", str(namespace_name));
  if (manifest.system) {
    Node system = Node::mapping();
    if (manifest.system->on_unavailable) {
      system.add("OnUnavailable", str(*manifest.system->on_unavailable));
    }
    if (manifest.system->limits) {
      system.add("Limits", limits_node(manifest.system->limits));
    }
    properties.add("System", std::move(system));
  }
  if (manifest.resources) {
    properties.add("Resources", resources_node(*manifest.resources));
  }
  if (manifest.entities) {
    Node entities = Node::mapping();
    for (const auto& e : *manifest.entities) {
      entities.add(
          e.id, Node::mapping().add("Resources", resources_node(e.resources.value_or(
                                                     std::vector<manifest::WrittenResource>{}))));
    }
    properties.add("Entities", std::move(entities));
  }
  Node root =
      Node::mapping()
          .add("AWSTemplateFormatVersion", str("2010-09-09"))
          .add("Description", str("Declarative limits for namespace '" + namespace_name + "'"))
          .add("Resources",
               Node::mapping().add("TenantLimits", Node::mapping()
                                                       .add("Type", str("Custom::ZaeLimiterLimits"))
                                                       .add("Properties", std::move(properties))));
  return emit_yaml(root);
}

}  // namespace zae::cfn
