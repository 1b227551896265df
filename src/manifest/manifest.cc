// SPDX-License-Identifier: MIT
#include "manifest/manifest.h"

#include <algorithm>
#include <array>
#include <chrono>
#include <cstdint>
#include <fstream>
#include <memory>
#include <set>
#include <sstream>
#include <utility>

#include <fmt/core.h>
#include <openssl/evp.h>
#include <yaml.h>

#include "zae/errors.h"
#include "zae/validation.h"

#include "manifest/yaml11.h"

namespace zae::manifest {

ManifestError::ManifestError(const std::string& file,
                             std::optional<std::pair<int, int>> line_column,
                             const std::string& path, const std::string& problem)
    : std::runtime_error(file +
                         (line_column
                              ? fmt::format(":{}:{}", line_column->first, line_column->second)
                              : std::string()) +
                         ": " + (path.empty() ? std::string() : path + ": ") + problem),
      path_(path),
      problem_(problem) {}

namespace {

// spec/cli.md §10.4: limits cfn-template reads a manifest without `namespace` as "default".
constexpr std::string_view kDefaultNamespace = "default";

// A plain (unquoted) scalar is read as YAML 1.1 as PyYAML's safe loader resolves it
// (spec/cli.md §10.1, manifest/yaml11.h). The original reads the manifest that way, so
// `capacity: 010` is 8 there and `namespace: yes` is a boolean; we refuse what would be read
// differently.

struct ParserDeleter {
  void operator()(yaml_parser_t* p) const {
    yaml_parser_delete(p);
    delete p;
  }
};
struct DocumentDeleter {
  void operator()(yaml_document_t* d) const {
    yaml_document_delete(d);
    delete d;
  }
};

// Walks one loaded YAML document, building the Manifest and naming each error by its path.
class Reader {
 public:
  Reader(yaml_document_t& document, const std::string& file) : doc_(document), file_(file) {}

  // Both forms at once: the normalised manifest and the manifest as written.
  struct Parsed {
    Manifest manifest{};
    WrittenManifest written{};
  };

  Parsed read(yaml_node_t* root, NamespaceKey namespace_key) {
    if (root == nullptr || root->type != YAML_MAPPING_NODE) {
      fail(root, "", "YAML file must contain a mapping");
    }
    Parsed parsed;
    Manifest& m = parsed.manifest;
    WrittenManifest& w = parsed.written;
    bool has_namespace = false;
    for (const auto& [key, value] :
         pairs(root, "", {"namespace", "system", "resources", "entities"})) {
      if (key == "namespace") {
        m.namespace_name = string_value(value, "namespace");
        if (m.namespace_name.empty()) {
          fail(value, "namespace", "must not be empty");
        }
        if (m.namespace_name == "_") {
          fail(value, "namespace", "'_' is reserved for the namespace registry");
        }
        w.namespace_name = m.namespace_name;
        has_namespace = true;
      } else if (key == "system") {
        auto [section, written] = read_system(value);
        m.system = std::move(section);
        w.system = std::move(written);
      } else if (key == "resources") {
        w.resources.emplace();
        for (const auto& [name, section] : pairs(value, "resources", {})) {
          const std::string path = "resources." + name;
          // Init-captures: clang before 16 cannot capture structured bindings (P1091, P1381).
          check_name(section, path, [&name = name] { validate_resource(name, "resource"); });
          Holder holder = read_limits_holder(section, path);
          m.resources[name] = std::move(holder.normalized);
          w.resources->push_back({.name = name, .limits = std::move(holder.written)});
        }
      } else if (key == "entities") {
        w.entities.emplace();
        for (const auto& [entity_id, section] : pairs(value, "entities", {})) {
          const std::string path = "entities." + entity_id;
          check_name(section, path,
                     [&entity_id = entity_id] { validate_identifier(entity_id, "entity_id"); });
          auto& resources = m.entities[entity_id];
          WrittenEntity entity{.id = entity_id};
          for (const auto& [k, v] : pairs(section, path, {"resources"})) {
            (void)k;
            entity.resources.emplace();
            for (const auto& [resource, holder_node] : pairs(v, path + ".resources", {})) {
              const std::string rpath = path + ".resources." + resource;
              if (resource != kDefaultResource) {
                check_name(holder_node, rpath,
                           [&resource = resource] { validate_resource(resource, "resource"); });
              }
              Holder holder = read_limits_holder(holder_node, rpath);
              resources[resource] = std::move(holder.normalized);
              entity.resources->push_back({.name = resource, .limits = std::move(holder.written)});
            }
          }
          w.entities->push_back(std::move(entity));
        }
      }
    }
    if (!has_namespace) {
      if (namespace_key == NamespaceKey::kRequired) {
        fail(root, "", "'namespace' is required in limits manifest");
      }
      m.namespace_name = std::string(kDefaultNamespace);
    }
    return parsed;
  }

 private:
  using Pairs = std::vector<std::pair<std::string, yaml_node_t*>>;

  [[noreturn]] void fail(const yaml_node_t* node, const std::string& path,
                         const std::string& problem) const {
    std::optional<std::pair<int, int>> where;
    if (node != nullptr) {
      where = std::pair{static_cast<int>(node->start_mark.line) + 1,
                        static_cast<int>(node->start_mark.column) + 1};
    }
    throw ManifestError(file_, where, path, problem);
  }

  static std::string text_of(const yaml_node_t* node) {
    return std::string(reinterpret_cast<const char*>(node->data.scalar.value),
                       node->data.scalar.length);
  }
  static bool is_plain(const yaml_node_t* node) {
    return node->data.scalar.style == YAML_PLAIN_SCALAR_STYLE;
  }

  // Only the default tags: an explicit `!!int` or a custom tag would make the original read
  // the value differently from what is written.
  void check_tag(const yaml_node_t* node, const std::string& path) const {
    const std::string tag = node->tag != nullptr ? reinterpret_cast<const char*>(node->tag) : "";
    const char* expected = node->type == YAML_SCALAR_NODE     ? YAML_DEFAULT_SCALAR_TAG
                           : node->type == YAML_SEQUENCE_NODE ? YAML_DEFAULT_SEQUENCE_TAG
                                                              : YAML_DEFAULT_MAPPING_TAG;
    if (tag != expected) {
      fail(node, path, "explicit YAML tags are not supported (" + tag + ")");
    }
  }

  // The entries of a mapping node, in file order. Keys must be strings (quoted, or plain text
  // YAML 1.1 reads as a string or a plain decimal integer), unique, and among `allowed` unless
  // that is empty.
  Pairs pairs(yaml_node_t* node, const std::string& path,
              std::initializer_list<std::string_view> allowed) const {
    const std::string where = path.empty() ? "the top level" : "'" + path + "'";
    if (node->type != YAML_MAPPING_NODE) {
      fail(node, path,
           "must be a mapping" + found(node) +
               (node->type == YAML_SCALAR_NODE && is_plain(node) &&
                        resolve_plain(text_of(node)) == PlainType::kNull
                    ? " (write {} for an empty section)"
                    : ""));
    }
    check_tag(node, path);
    Pairs out;
    std::set<std::string> seen;
    for (yaml_node_pair_t* p = node->data.mapping.pairs.start; p < node->data.mapping.pairs.top;
         ++p) {
      yaml_node_t* key = yaml_document_get_node(&doc_, p->key);
      yaml_node_t* value = yaml_document_get_node(&doc_, p->value);
      if (key->type != YAML_SCALAR_NODE) {
        fail(key, path, "keys must be strings");
      }
      check_tag(key, path);
      const std::string name = text_of(key);
      const std::string key_path = path.empty() ? name : path + "." + name;
      if (is_plain(key)) {
        const PlainType type = resolve_plain(name);
        if (type != PlainType::kString && type != PlainType::kDecimalInt) {
          fail(key, key_path,
               fmt::format("YAML 1.1 reads this key as {}; quote it", type_word(type)));
        }
      }
      if (allowed.size() != 0 && std::find(allowed.begin(), allowed.end(), name) == allowed.end()) {
        std::string list;
        for (std::string_view a : allowed) {
          list += (list.empty() ? "" : ", ") + std::string(a);
        }
        fail(key, key_path, fmt::format("unknown key in {} (expected one of: {})", where, list));
      }
      if (!seen.insert(name).second) {
        fail(key, key_path, "duplicate key");
      }
      out.emplace_back(name, value);
    }
    return out;
  }

  std::string found(const yaml_node_t* node) const {
    switch (node->type) {
      case YAML_MAPPING_NODE:
        return ", found a mapping";
      case YAML_SEQUENCE_NODE:
        return ", found a list";
      case YAML_SCALAR_NODE:
        if (!is_plain(node)) {
          return ", found the string '" + text_of(node) + "'";
        }
        if (resolve_plain(text_of(node)) == PlainType::kNull) {
          return ", found nothing (null)";
        }
        return ", found '" + text_of(node) + "'";
      default:
        return "";
    }
  }

  std::string string_value(yaml_node_t* node, const std::string& path) const {
    if (node->type != YAML_SCALAR_NODE) {
      fail(node, path, "must be a string" + found(node));
    }
    check_tag(node, path);
    const std::string text = text_of(node);
    if (is_plain(node)) {
      const PlainType type = resolve_plain(text);
      if (type != PlainType::kString) {
        fail(node, path,
             fmt::format("must be a string; YAML 1.1 reads '{}' as {} (quote it)", text,
                         type_word(type)));
      }
    }
    return text;
  }

  template <typename Check>
  void check_name(yaml_node_t* node, const std::string& path, Check check) const {
    try {
      check();
    } catch (const ValidationError& e) {
      fail(node, path, e.reason());
    }
  }

  std::int64_t integer_value(yaml_node_t* node, const std::string& path, std::int64_t max) const {
    if (node->type != YAML_SCALAR_NODE) {
      fail(node, path, "must be a positive integer" + found(node));
    }
    check_tag(node, path);
    const std::string text = text_of(node);
    if (!is_plain(node)) {
      fail(node, path, "must be a positive integer, not the quoted string '" + text + "'");
    }
    const PlainType type = resolve_plain(text);
    if (type == PlainType::kOtherInt) {
      fail(node, path,
           "write the number in decimal without leading zeros ('" + text +
               "' is octal, hexadecimal, binary or base 60 in YAML 1.1)");
    }
    if (type != PlainType::kDecimalInt) {
      fail(node, path,
           fmt::format("must be a positive integer, got {} '{}'", type_word(type), text));
    }
    std::string digits;
    for (char c : text) {
      if (c != '_' && c != '+') {
        digits += c;
      }
    }
    if (digits.starts_with('-') || digits == "0") {
      fail(node, path, "must be a positive integer, got " + text);
    }
    // At most 19 digits fit an int64; anything longer is over every maximum anyway.
    if (digits.size() > 18 || std::stoll(digits) > max) {
      fail(node, path, fmt::format("must be at most {}, got {}", max, text));
    }
    return std::stoll(digits);
  }

  struct Limits {
    std::vector<Limit> normalized{};
    std::vector<WrittenLimit> written{};
  };
  // What a mapping with an optional `limits` key holds (a resource, an entity's resource).
  struct Holder {
    std::vector<Limit> normalized{};
    std::optional<std::vector<WrittenLimit>> written{};
  };

  std::pair<Limit, WrittenLimit> read_limit(const std::string& name, yaml_node_t* node,
                                            const std::string& path) const {
    check_name(node, path, [&] { validate_limit_name(name, "name"); });
    WrittenLimit written{.name = name};
    std::optional<std::int64_t> capacity;
    for (const auto& [key, value] :
         pairs(node, path, {"capacity", "burst", "refill_amount", "refill_period"})) {
      const std::string field_path = path + "." + key;
      if (key == "refill_period") {
        written.refill_period = integer_value(value, field_path, kMaxRefillPeriodSeconds);
      } else {
        const std::int64_t v = integer_value(value, field_path, kMaxLimitTokens);
        (key == "capacity" ? capacity : key == "burst" ? written.burst : written.refill_amount) = v;
      }
    }
    if (!capacity) {
      fail(node, path, "'capacity' is required");
    }
    written.capacity = *capacity;
    // spec/cli.md §14.1: a legacy `burst` replaces capacity; refill_amount defaults to the
    // effective capacity, refill_period to 60 seconds.
    const std::int64_t effective = written.burst.value_or(*capacity);
    return {Limit(name, effective, written.refill_amount.value_or(effective),
                  written.refill_period.value_or(60)),
            std::move(written)};
  }

  Limits read_limits(yaml_node_t* node, const std::string& path) const {
    std::map<std::string, Limit> by_name;
    Limits out;
    for (const auto& [name, value] : pairs(node, path, {})) {
      auto [limit, written] = read_limit(name, value, path + "." + name);
      by_name.emplace(name, std::move(limit));
      out.written.push_back(std::move(written));
    }
    for (auto& [name, limit] : by_name) {
      out.normalized.push_back(std::move(limit));
    }
    return out;
  }

  // A mapping whose only key is `limits` (a resource, an entity's resource).
  Holder read_limits_holder(yaml_node_t* node, const std::string& path) const {
    Holder holder;
    for (const auto& [key, value] : pairs(node, path, {"limits"})) {
      Limits limits = read_limits(value, path + "." + key);
      holder.normalized = std::move(limits.normalized);
      holder.written = std::move(limits.written);
    }
    return holder;
  }

  std::pair<SystemSection, WrittenSystem> read_system(yaml_node_t* node) const {
    SystemSection system;
    WrittenSystem written;
    for (const auto& [key, value] : pairs(node, "system", {"on_unavailable", "limits"})) {
      if (key == "limits") {
        Limits limits = read_limits(value, "system.limits");
        system.limits = std::move(limits.normalized);
        written.limits = std::move(limits.written);
      } else {
        const std::string text = string_value(value, "system.on_unavailable");
        if (text != "allow" && text != "block") {
          fail(value, "system.on_unavailable", "must be allow or block, got '" + text + "'");
        }
        system.on_unavailable = parse_on_unavailable(text);
        written.on_unavailable = text;
      }
    }
    return {std::move(system), std::move(written)};
  }

  yaml_document_t& doc_;
  const std::string& file_;
};

// ---- Python json.dumps -------------------------------------------------------------------

// json.dumps(ensure_ascii=True): '"', '\\', \n \r \t \b \f by name, other characters outside
// ' '..'~' as \uXXXX (UTF-16 surrogate pairs above the BMP). Input is valid UTF-8 (libyaml
// rejects anything else).
void append_python_string(std::string& out, std::string_view text) {
  out += '"';
  for (std::size_t i = 0; i < text.size();) {
    const auto c = static_cast<unsigned char>(text[i]);
    if (c == '"' || c == '\\') {
      out += '\\';
      out += static_cast<char>(c);
      ++i;
      continue;
    }
    if (c >= 0x20 && c <= 0x7e) {
      out += static_cast<char>(c);
      ++i;
      continue;
    }
    const char* named = c == '\n'   ? "\\n"
                        : c == '\r' ? "\\r"
                        : c == '\t' ? "\\t"
                        : c == '\b' ? "\\b"
                        : c == '\f' ? "\\f"
                                    : nullptr;
    if (named != nullptr) {
      out += named;
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
    if (cp >= 0x10000) {
      const std::uint32_t v = cp - 0x10000;
      out += fmt::format("\\u{:04x}\\u{:04x}", 0xd800 + (v >> 10), 0xdc00 + (v & 0x3ff));
    } else {
      out += fmt::format("\\u{:04x}", cp);
    }
  }
  out += '"';
}

// Writes a dict whose keys are already sorted (std::map order is byte order, which for UTF-8 is
// code-point order, as Python sorts str).
template <typename Map, typename WriteValue>
void append_dict(std::string& out, const Map& map, WriteValue write_value) {
  out += '{';
  bool first = true;
  for (const auto& [key, value] : map) {
    out += first ? "" : ", ";
    first = false;
    append_python_string(out, key);
    out += ": ";
    write_value(out, value);
  }
  out += '}';
}

void append_limits(std::string& out, const std::vector<Limit>& limits) {
  std::map<std::string, const Limit*> by_name;
  for (const Limit& limit : limits) {
    by_name.emplace(limit.name(), &limit);
  }
  append_dict(out, by_name, [](std::string& o, const Limit* limit) {
    o += fmt::format(R"({{"capacity": {}, "refill_amount": {}, "refill_period": {}}})",
                     limit->capacity(), limit->refill_amount(), limit->refill_period_seconds());
  });
}

void append_limits_holder(std::string& out, const std::vector<Limit>& limits) {
  out += R"({"limits": )";
  append_limits(out, limits);
  out += '}';
}

}  // namespace

namespace {

Reader::Parsed parse(std::string_view yaml, const std::string& file, NamespaceKey namespace_key) {
  std::unique_ptr<yaml_parser_t, ParserDeleter> parser(new yaml_parser_t{});
  if (yaml_parser_initialize(parser.get()) == 0) {
    throw std::bad_alloc();
  }
  yaml_parser_set_input_string(parser.get(), reinterpret_cast<const unsigned char*>(yaml.data()),
                               yaml.size());
  const auto load = [&] {
    std::unique_ptr<yaml_document_t, DocumentDeleter> doc(new yaml_document_t{});
    if (yaml_parser_load(parser.get(), doc.get()) == 0) {
      const yaml_mark_t mark = parser->problem_mark;
      std::string problem = parser->problem != nullptr ? parser->problem : "YAML error";
      if (parser->context != nullptr) {
        problem = std::string(parser->context) + ": " + problem;
      }
      // yaml_parser_load has already released the document's contents.
      delete doc.release();
      throw ManifestError(
          file, std::pair{static_cast<int>(mark.line) + 1, static_cast<int>(mark.column) + 1}, "",
          "invalid YAML: " + problem);
    }
    return doc;
  };
  auto doc = load();
  Reader reader(*doc, file);
  Reader::Parsed parsed = reader.read(yaml_document_get_root_node(doc.get()), namespace_key);
  auto next = load();
  if (yaml_document_get_root_node(next.get()) != nullptr) {
    throw ManifestError(file, std::nullopt, "",
                        "the file holds more than one YAML document; a manifest is one mapping");
  }
  return parsed;
}

std::string read_file(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) {
    throw ManifestError(path, std::nullopt, "", "cannot read the file");
  }
  std::ostringstream text;
  text << in.rdbuf();
  if (in.bad()) {
    throw ManifestError(path, std::nullopt, "", "cannot read the file");
  }
  return text.str();
}

}  // namespace

Manifest parse_manifest(std::string_view yaml, const std::string& file) {
  return parse(yaml, file, NamespaceKey::kRequired).manifest;
}

Manifest load_manifest(const std::string& path) { return parse_manifest(read_file(path), path); }

WrittenManifest parse_written_manifest(std::string_view yaml, const std::string& file,
                                       NamespaceKey namespace_key) {
  return parse(yaml, file, namespace_key).written;
}

WrittenManifest load_written_manifest(const std::string& path, NamespaceKey namespace_key) {
  return parse_written_manifest(read_file(path), path, namespace_key);
}

std::string normalized_json(const Manifest& manifest) {
  // spec/cli.md §14.3: keys in sorted order: entities, namespace, resources, system.
  std::string out = "{";
  if (!manifest.entities.empty()) {
    out += R"("entities": )";
    append_dict(out, manifest.entities, [](std::string& o, const auto& resources) {
      o += R"({"resources": )";
      append_dict(o, resources, append_limits_holder);
      o += '}';
    });
    out += ", ";
  }
  out += R"("namespace": )";
  append_python_string(out, manifest.namespace_name);
  if (!manifest.resources.empty()) {
    out += R"(, "resources": )";
    append_dict(out, manifest.resources, append_limits_holder);
  }
  if (manifest.system) {
    out += R"(, "system": {"limits": )";
    append_limits(out, manifest.system->limits);
    if (manifest.system->on_unavailable) {
      out += R"(, "on_unavailable": )";
      append_python_string(out, to_string(*manifest.system->on_unavailable));
    }
    out += '}';
  }
  out += '}';
  return out;
}

std::string applied_hash(const Manifest& manifest) {
  const std::string json = normalized_json(manifest);
  std::array<unsigned char, EVP_MAX_MD_SIZE> digest{};
  unsigned int length = 0;
  if (EVP_Digest(json.data(), json.size(), digest.data(), &length, EVP_sha256(), nullptr) != 1) {
    throw std::runtime_error("SHA-256 failed (OpenSSL EVP_Digest)");
  }
  std::string out = "sha256:";
  for (unsigned int i = 0; i < length; ++i) {
    out += fmt::format("{:02x}", digest[i]);
  }
  return out;
}

ProvisionerState managed_set(const Manifest& manifest) {
  ProvisionerState state;
  state.managed_system = manifest.system.has_value();
  for (const auto& [resource, limits] : manifest.resources) {
    state.managed_resources.push_back(resource);
  }
  for (const auto& [entity_id, resources] : manifest.entities) {
    auto& list = state.managed_entities[entity_id];
    for (const auto& [resource, limits] : resources) {
      list.push_back(resource);
    }
  }
  return state;
}

std::string python_isoformat(TimePoint time) {
  using namespace std::chrono;
  const auto day = floor<days>(time);
  const year_month_day ymd{day};
  const hh_mm_ss hms{time - day};
  std::string out =
      fmt::format("{:04}-{:02}-{:02}T{:02}:{:02}:{:02}", static_cast<int>(ymd.year()),
                  static_cast<unsigned>(ymd.month()), static_cast<unsigned>(ymd.day()),
                  hms.hours().count(), hms.minutes().count(), hms.seconds().count());
  const auto micros = duration_cast<microseconds>(hms.subseconds()).count();
  if (micros != 0) {
    out += fmt::format(".{:06}", micros);
  }
  return out + "+00:00";
}

}  // namespace zae::manifest
