// SPDX-License-Identifier: MIT
// DynamoDB's AttributeValue JSON (src/aws/attribute_codec.h) over the JSON reader and writer
// (src/aws/json.h). The first byte picks the entry point: even, one AttributeValue; odd, an item
// (an object of name to AttributeValue). The rest is the document.
//
// Properties: decoding either returns or throws JsonError with an offset inside the input (no
// other exception type); a document that decodes is valid JSON (JsonReader::skip_value accepts
// it); encoding the decoded value never throws and decodes back to an equal value; encoding is
// a fixed point after one round (encode(decode(encode(v))) == encode(v)).
#include <cstddef>
#include <cstdint>
#include <string>

#include "aws/attribute_codec.h"
#include "aws/errors.h"
#include "aws/json.h"
#include "fuzz/fuzz_check.h"

namespace {

void check_valid_json(std::string_view text) {
  zae::aws::JsonReader reader(text);
  reader.skip_value();
  reader.finish();
}

template <typename Decode, typename Encode>
void check(std::string_view json, Decode decode, Encode encode) {
  std::optional<decltype(decode(json))> value;
  try {
    value = decode(json);
  } catch (const zae::aws::JsonError& e) {
    ZAE_FUZZ_CHECK(e.offset() <= json.size());
    return;
  }
  check_valid_json(json);
  const std::string encoded = encode(*value);
  const auto again = decode(encoded);
  ZAE_FUZZ_CHECK(again == *value);
  ZAE_FUZZ_CHECK(encode(again) == encoded);
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  if (size == 0) {
    return 0;
  }
  const std::string_view json = zae::test::as_text(data + 1, size - 1);
  if (data[0] % 2 == 0) {
    check(
        json, [](std::string_view j) { return zae::aws::attribute_value_from_json(j); },
        [](const zae::aws::AttributeValue& v) { return zae::aws::attribute_value_to_json(v); });
  } else {
    check(
        json, [](std::string_view j) { return zae::aws::item_from_json(j); },
        [](const zae::aws::AttributeMap& m) { return zae::aws::item_to_json(m); });
  }
  return 0;
}
