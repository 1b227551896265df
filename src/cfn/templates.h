// SPDX-License-Identifier: MIT
#pragma once

#include <string>
#include <string_view>

#include "manifest/manifest.h"

// The CloudFormation templates of `zae-limiter cfn-template` (spec/cli.md §3.5) and
// `zae-limiter limits cfn-template` (§10.4), as YAML text. Pure functions: no I/O.
namespace zae::cfn {

struct TableTemplateOptions {
  // Written into the zae-limiter:version tag, as `deploy` writes it.
  std::string client_version{};
  // The default of the TableName parameter.
  std::string default_table_name = "zae-limiter";
};

// A template whose one resource, an AWS::DynamoDB::Table, is the table `deploy` creates: the
// table part is generated from dynamodb::table_definition() (attribute definitions, key schema,
// every GSI and LSI with its projection, stream, billing), the tags are deploy's discovery tags,
// TTL is on dynamodb::kTtlAttribute. Parameters: TableName (validated as deploy validates it),
// EnablePointInTimeRecovery (default 'true'), PointInTimeRecoveryPeriodDays (default: AWS's),
// EnableDeletionProtection (default 'false'). Outputs TableName, TableArn and StreamArn, each
// exported as ${AWS::StackName}-{output}. The version record and the `default` namespace are
// items, which a template cannot write: `zae-limiter deploy --name NAME` on the created table
// writes them (it accepts an existing table). Intrinsic functions use the long forms (Ref:,
// Fn::GetAtt:), so any YAML parser reads the text. Ends with a newline.
std::string table_template(const TableTemplateOptions& options);

// spec/cli.md §10.4: a Custom::ZaeLimiterLimits resource served by the Python original's
// provisioner Lambda (imported as {stack_name}-ProvisionerArn), repeating only what the
// manifest writes (no defaults; `burst` dropped; `Limits: {}` for a resource without `limits`).
// The namespace is the manifest's, else "default". Byte for byte what the original's PyYAML dump
// writes; ends with one newline (the CLI adds the original's extra one).
std::string limits_template(const manifest::WrittenManifest& manifest, std::string_view stack_name);

}  // namespace zae::cfn
