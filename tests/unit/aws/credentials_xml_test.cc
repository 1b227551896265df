// SPDX-License-Identifier: MIT
#include <string>

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "aws/xml.h"

// The XML reader that parses STS responses for the web identity credentials source.
namespace zae::aws {
namespace {

using ::testing::HasSubstr;

TEST(XmlTest, FindsNestedElementsAndText) {
  const XmlElement root = parse_xml(
      "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n"
      "<!-- a comment -->\n"
      "<Response xmlns=\"https://sts.amazonaws.com/doc/2011-06-15/\" a='1'>\n"
      "  <Result><Credentials>\n"
      "    <AccessKeyId>AK</AccessKeyId>\n"
      "    <Empty/>\n"
      "    <Empty2 x=\"y\" />\n"
      "  </Credentials></Result>\n"
      "</Response>\n");
  EXPECT_EQ(root.name, "Response");
  const XmlElement* key = root.find({"Result", "Credentials", "AccessKeyId"});
  ASSERT_NE(key, nullptr);
  EXPECT_EQ(key->text, "AK");
  ASSERT_NE(root.find({"Result", "Credentials", "Empty"}), nullptr);
  EXPECT_EQ(root.find({"Result", "Credentials", "Empty"})->text, "");
  ASSERT_NE(root.find({"Result", "Credentials", "Empty2"}), nullptr);
  EXPECT_EQ(root.find({"Result", "Missing"}), nullptr);
  EXPECT_EQ(root.child("Nope"), nullptr);
}

TEST(XmlTest, DecodesEntitiesCdataAndDropsPrefixes) {
  const XmlElement root = parse_xml(
      "<a:Root xmlns:a=\"urn:x\"><a:V>x &lt;&gt;&amp;&quot;&apos; &#65;&#x42;&#xE9;&#x1F600;"
      "<![CDATA[<raw & text>]]></a:V></a:Root>");
  EXPECT_EQ(root.name, "Root");
  ASSERT_NE(root.child("V"), nullptr);
  EXPECT_EQ(root.child("V")->text, "x <>&\"' AB\xC3\xA9\xF0\x9F\x98\x80<raw & text>");
}

TEST(XmlTest, RejectsMalformedDocuments) {
  struct Case {
    const char* xml;
    const char* problem;
  };
  const Case cases[] = {
      {"", "expected the root element"},      {"text", "expected the root element"},
      {"<a>", "unterminated element"},        {"<a></b>", "</b> closes <a>"},
      {"<a/><b/>", "after the root element"}, {"<a>&bogus;</a>", "unknown entity"},
      {"<a>&amp</a>", "unterminated entity"}, {"<a>&#xD800;</a>", "invalid character reference"},
      {"<a x=1></a>", "quoted attribute"},    {"<a x=\"1></a>", "unterminated attribute"},
      {"<!DOCTYPE a><a/>", "DOCTYPE"},        {"<a><!-- never closed </a>", "unterminated comment"},
      {"<a", "unterminated start tag"},
  };
  for (const Case& c : cases) {
    SCOPED_TRACE(c.xml);
    try {
      parse_xml(c.xml);
      ADD_FAILURE() << "no XmlError";
    } catch (const XmlError& error) {
      EXPECT_THAT(error.what(), HasSubstr(c.problem));
      EXPECT_THAT(error.what(), HasSubstr("XML at byte "));
    }
  }
}

TEST(XmlTest, LimitsNesting) {
  std::string deep;
  for (int i = 0; i < 40; ++i) {
    deep += "<a>";
  }
  for (int i = 0; i < 40; ++i) {
    deep += "</a>";
  }
  EXPECT_THROW(parse_xml(deep), XmlError);
}

}  // namespace
}  // namespace zae::aws
