// SPDX-License-Identifier: MIT
// The declarative limits manifest, parse_manifest (src/manifest/manifest.h). Input: YAML text.
//
// Properties: a document either parses or throws ManifestError (no other exception type, no
// libyaml leak under ASan); a parsed manifest has a non-empty namespace other than "_" and every
// limit list ordered by name without repeats; writing it back as YAML (flow style, every string
// double-quoted and escaped) parses to an equal manifest; normalized_json() is valid JSON and
// applied_hash() is "sha256:" and 64 lower-case hex digits.
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <map>
#include <string>
#include <vector>

#include "aws/json.h"
#include "fuzz/fuzz_check.h"
#include "manifest/manifest.h"

namespace {

// A YAML double-quoted scalar. The input came through libyaml, so it is valid UTF-8.
void append_quoted(std::string& out, std::string_view text) {
  static constexpr char kHex[] = "0123456789abcdef";
  out += '"';
  for (std::size_t i = 0; i < text.size();) {
    const auto c = static_cast<unsigned char>(text[i]);
    if (c == '"' || c == '\\') {
      out += '\\';
      out += static_cast<char>(c);
      ++i;
      continue;
    }
    if (c >= 0x20 && c < 0x7f) {
      out += static_cast<char>(c);
      ++i;
      continue;
    }
    std::uint32_t cp = c;
    std::size_t len = 1;
    if (c >= 0xf0) {
      cp = c & 0x07;
      len = 4;
    } else if (c >= 0xe0) {
      cp = c & 0x0f;
      len = 3;
    } else if (c >= 0xc0) {
      cp = c & 0x1f;
      len = 2;
    }
    for (std::size_t k = 1; k < len && i + k < text.size(); ++k) {
      cp = (cp << 6) | (static_cast<unsigned char>(text[i + k]) & 0x3f);
    }
    i += len;
    out += "\\U";
    for (int shift = 28; shift >= 0; shift -= 4) {
      out += kHex[(cp >> shift) & 0xf];
    }
  }
  out += '"';
}

void append_limits(std::string& out, const std::vector<zae::Limit>& limits) {
  out += "{\"limits\": {";
  for (std::size_t i = 0; i < limits.size(); ++i) {
    out += i == 0 ? "" : ", ";
    append_quoted(out, limits[i].name());
    out += ": {capacity: " + std::to_string(limits[i].capacity()) +
           ", refill_amount: " + std::to_string(limits[i].refill_amount()) +
           ", refill_period: " + std::to_string(limits[i].refill_period_seconds()) + "}";
  }
  out += "}}";
}

std::string to_yaml(const zae::manifest::Manifest& m) {
  std::string out = "{namespace: ";
  append_quoted(out, m.namespace_name);
  if (m.system) {
    out += ", system: ";
    append_limits(out, m.system->limits);
    if (m.system->on_unavailable) {
      out.pop_back();
      out += m.system->on_unavailable == zae::OnUnavailable::kAllow
                 ? ", on_unavailable: allow}"
                 : ", on_unavailable: \"block\"}";
    }
  }
  if (!m.resources.empty()) {
    out += ", resources: {";
    bool first = true;
    for (const auto& [name, limits] : m.resources) {
      out += first ? "" : ", ";
      first = false;
      append_quoted(out, name);
      out += ": ";
      append_limits(out, limits);
    }
    out += "}";
  }
  if (!m.entities.empty()) {
    out += ", entities: {";
    bool first = true;
    for (const auto& [id, resources] : m.entities) {
      out += first ? "" : ", ";
      first = false;
      append_quoted(out, id);
      out += ": {resources: {";
      bool first_resource = true;
      for (const auto& [resource, limits] : resources) {
        out += first_resource ? "" : ", ";
        first_resource = false;
        append_quoted(out, resource);
        out += ": ";
        append_limits(out, limits);
      }
      out += "}}";
    }
    out += "}";
  }
  out += "}\n";
  return out;
}

void check_sorted(const std::vector<zae::Limit>& limits) {
  for (std::size_t i = 1; i < limits.size(); ++i) {
    ZAE_FUZZ_CHECK(limits[i - 1].name() < limits[i].name());
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string_view yaml = zae::test::as_text(data, size);
  zae::manifest::Manifest manifest;
  try {
    manifest = zae::manifest::parse_manifest(yaml, "fuzz.yaml");
  } catch (const zae::manifest::ManifestError& e) {
    ZAE_FUZZ_CHECK(std::string_view(e.what()).starts_with("fuzz.yaml"));
    ZAE_FUZZ_CHECK(!e.problem().empty());
    return 0;
  }
  ZAE_FUZZ_CHECK(!manifest.namespace_name.empty() && manifest.namespace_name != "_");
  if (manifest.system) {
    check_sorted(manifest.system->limits);
  }
  for (const auto& [name, limits] : manifest.resources) {
    check_sorted(limits);
  }
  for (const auto& [id, resources] : manifest.entities) {
    for (const auto& [resource, limits] : resources) {
      check_sorted(limits);
    }
  }

  const std::string yaml_again = to_yaml(manifest);
  try {
    ZAE_FUZZ_CHECK(zae::manifest::parse_manifest(yaml_again, "again.yaml") == manifest);
  } catch (const zae::manifest::ManifestError& e) {
    std::fprintf(stderr, "re-parse of\n%s\nfailed: %s\n", yaml_again.c_str(), e.what());
    std::abort();
  }

  const std::string json = zae::manifest::normalized_json(manifest);
  try {
    zae::aws::JsonReader reader(json);
    reader.skip_value();
    reader.finish();
  } catch (const std::exception& e) {
    std::fprintf(stderr, "normalized_json is not JSON: %s\n%s\n", e.what(), json.c_str());
    std::abort();
  }
  const std::string hash = zae::manifest::applied_hash(manifest);
  ZAE_FUZZ_CHECK(hash.size() == 7 + 64 && hash.starts_with("sha256:"));
  for (char c : std::string_view(hash).substr(7)) {
    ZAE_FUZZ_CHECK((c >= '0' && c <= '9') || (c >= 'a' && c <= 'f'));
  }
  return 0;
}
