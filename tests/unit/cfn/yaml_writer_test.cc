// SPDX-License-Identifier: MIT
#include "cfn/yaml_writer.h"

#include <string>

#include <gtest/gtest.h>

namespace zae::cfn {
namespace {

std::string one(const std::string& value) {
  return emit_yaml(YamlNode::mapping().add("k", YamlNode::string(value)));
}

// Expected texts from PyYAML 6.0.3: yaml.dump({"k": value}).
TEST(YamlWriterTest, QuotesStringsYaml11WouldReadAsSomethingElse) {
  EXPECT_EQ(one("2010-09-09"), "k: '2010-09-09'\n");
  EXPECT_EQ(one("2001-12-14t21:59:43.10-05:00"), "k: '2001-12-14t21:59:43.10-05:00'\n");
  EXPECT_EQ(one("true"), "k: 'true'\n");
  EXPECT_EQ(one("123"), "k: '123'\n");
  EXPECT_EQ(one("1.5"), "k: '1.5'\n");
  EXPECT_EQ(one("0x1f"), "k: '0x1f'\n");
  EXPECT_EQ(one(""), "k: ''\n");
  EXPECT_EQ(one("null"), "k: 'null'\n");
  EXPECT_EQ(one("<<"), "k: '<<'\n");
  EXPECT_EQ(one("="), "k: '='\n");
  EXPECT_EQ(one("a: b"), "k: 'a: b'\n");
}

TEST(YamlWriterTest, LeavesOtherStringsPlain) {
  EXPECT_EQ(one("gpt-4"), "k: gpt-4\n");
  EXPECT_EQ(one("${AWS::StackName}-TableName"), "k: ${AWS::StackName}-TableName\n");
  EXPECT_EQ(one("^[A-Za-z][A-Za-z0-9-]*$"), "k: ^[A-Za-z][A-Za-z0-9-]*$\n");
  EXPECT_EQ(one("Custom::Z"), "k: Custom::Z\n");
}

TEST(YamlWriterTest, BlockStyleWithEmptyCollectionsInFlowStyle) {
  const YamlNode doc = YamlNode::mapping()
                           .add("n", YamlNode::integer(42))
                           .add("b", YamlNode::boolean(true))
                           .add("empty", YamlNode::mapping())
                           .add("none", YamlNode::sequence())
                           .add("list", YamlNode::sequence()
                                            .push(YamlNode::string("x"))
                                            .push(YamlNode::mapping()
                                                      .add("a", YamlNode::integer(1))
                                                      .add("b", YamlNode::string("y"))))
                           .add("123", YamlNode::mapping().add("z", YamlNode::string("w")));
  EXPECT_EQ(emit_yaml(doc),
            "n: 42\n"
            "b: true\n"
            "empty: {}\n"
            "none: []\n"
            "list:\n"
            "- x\n"
            "- a: 1\n"
            "  b: y\n"
            "'123':\n"
            "  z: w\n");
}

}  // namespace
}  // namespace zae::cfn
