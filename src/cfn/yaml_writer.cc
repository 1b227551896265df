// SPDX-License-Identifier: MIT
#include "cfn/yaml_writer.h"

#include <memory>
#include <stdexcept>
#include <string>
#include <utility>

#include <yaml.h>

#include "manifest/yaml11.h"

namespace zae::cfn {

YamlNode YamlNode::string(std::string text) { return YamlNode(Kind::kString, std::move(text)); }
YamlNode YamlNode::integer(std::int64_t value) {
  return YamlNode(Kind::kNumberOrBool, std::to_string(value));
}
YamlNode YamlNode::boolean(bool value) {
  return YamlNode(Kind::kNumberOrBool, value ? "true" : "false");
}
YamlNode YamlNode::mapping() { return YamlNode(Kind::kMapping, ""); }
YamlNode YamlNode::sequence() { return YamlNode(Kind::kSequence, ""); }

YamlNode& YamlNode::add(std::string key, YamlNode value) {
  keys_.push_back(std::move(key));
  items_.push_back(std::move(value));
  return *this;
}

YamlNode& YamlNode::push(YamlNode value) {
  items_.push_back(std::move(value));
  return *this;
}

namespace {

struct EmitterDeleter {
  void operator()(yaml_emitter_t* e) const {
    yaml_emitter_delete(e);
    delete e;
  }
};

int append_output(void* data, unsigned char* buffer, size_t size) {
  static_cast<std::string*>(data)->append(reinterpret_cast<const char*>(buffer), size);
  return 1;
}

class Writer {
 public:
  explicit Writer(yaml_emitter_t& emitter) : emitter_(emitter) {}

  void node(const YamlNode& n) {
    switch (n.kind()) {
      case YamlNode::Kind::kString:
        // PyYAML's serializer: plain only when the resolver reads the plain text back as a
        // string; otherwise libyaml, like PyYAML's emitter, picks single quotes.
        scalar(n.text(), manifest::resolve_plain(n.text()) == manifest::PlainType::kString);
        return;
      case YamlNode::Kind::kNumberOrBool:
        scalar(n.text(), true);
        return;
      case YamlNode::Kind::kMapping: {
        yaml_event_t event;
        yaml_mapping_start_event_initialize(&event, nullptr, nullptr, 1, YAML_BLOCK_MAPPING_STYLE);
        emit(event);
        for (std::size_t i = 0; i < n.keys().size(); ++i) {
          scalar(n.keys()[i], manifest::resolve_plain(n.keys()[i]) == manifest::PlainType::kString);
          node(n.items()[i]);
        }
        yaml_mapping_end_event_initialize(&event);
        emit(event);
        return;
      }
      case YamlNode::Kind::kSequence: {
        yaml_event_t event;
        yaml_sequence_start_event_initialize(&event, nullptr, nullptr, 1,
                                             YAML_BLOCK_SEQUENCE_STYLE);
        emit(event);
        for (const YamlNode& item : n.items()) {
          node(item);
        }
        yaml_sequence_end_event_initialize(&event);
        emit(event);
        return;
      }
    }
  }

  void emit(yaml_event_t& event) {
    if (yaml_emitter_emit(&emitter_, &event) == 0) {
      throw std::runtime_error(std::string("YAML emitter: ") +
                               (emitter_.problem != nullptr ? emitter_.problem : "error"));
    }
  }

 private:
  void scalar(const std::string& text, bool plain_reads_back) {
    yaml_event_t event;
    if (yaml_scalar_event_initialize(&event, nullptr, nullptr,
                                     reinterpret_cast<yaml_char_t*>(const_cast<char*>(text.data())),
                                     static_cast<int>(text.size()), plain_reads_back ? 1 : 0, 1,
                                     YAML_ANY_SCALAR_STYLE) == 0) {
      throw std::bad_alloc();
    }
    emit(event);
  }

  yaml_emitter_t& emitter_;
};

}  // namespace

std::string emit_yaml(const YamlNode& root, const EmitOptions& options) {
  std::unique_ptr<yaml_emitter_t, EmitterDeleter> emitter(new yaml_emitter_t{});
  if (yaml_emitter_initialize(emitter.get()) == 0) {
    throw std::bad_alloc();
  }
  std::string out;
  yaml_emitter_set_output(emitter.get(), append_output, &out);
  yaml_emitter_set_indent(emitter.get(), 2);
  yaml_emitter_set_width(emitter.get(), options.line_width > 0 ? options.line_width : -1);
  yaml_emitter_set_unicode(emitter.get(), 0);
  Writer writer(*emitter);
  yaml_event_t event;
  yaml_stream_start_event_initialize(&event, YAML_UTF8_ENCODING);
  writer.emit(event);
  yaml_document_start_event_initialize(&event, nullptr, nullptr, nullptr, 1);
  writer.emit(event);
  writer.node(root);
  yaml_document_end_event_initialize(&event, 1);
  writer.emit(event);
  yaml_stream_end_event_initialize(&event);
  writer.emit(event);
  if (yaml_emitter_flush(emitter.get()) == 0) {
    throw std::runtime_error("YAML emitter: flush failed");
  }
  return out;
}

}  // namespace zae::cfn
