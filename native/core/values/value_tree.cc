#include "core/values/value_tree.h"

#include <algorithm>

namespace ci {
namespace {

// Renders a string node as UTF-8 for messages; non-ASCII UTF-16 units become '?'.
std::string KeyText(const ValueNode& key) {
  if (key.kind != ValueKind::kString) {
    return "<key>";
  }
  std::string out;
  if (key.one_byte) {
    for (unsigned char c : key.text) {
      if (c < 0x80) {
        out.push_back(static_cast<char>(c));
      } else {
        out.push_back(static_cast<char>(0xC0 | (c >> 6)));
        out.push_back(static_cast<char>(0x80 | (c & 0x3F)));
      }
    }
  } else {
    for (size_t i = 0; i + 1 < key.text.size(); i += 2) {
      unsigned unit = static_cast<unsigned char>(key.text[i]) |
                      (static_cast<unsigned char>(key.text[i + 1]) << 8);
      out.push_back(unit < 0x80 ? static_cast<char>(unit) : '?');
    }
  }
  return out;
}

bool IsIdentifier(const std::string& text) {
  if (text.empty() || (text[0] >= '0' && text[0] <= '9')) {
    return false;
  }
  return std::all_of(text.begin(), text.end(), [](char c) {
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_' ||
           c == '$';
  });
}

}  // namespace

std::string ValueTree::PathOf(uint32_t index, const std::string& root_name) const {
  std::vector<std::string> parts;
  while (index != 0 && index < nodes.size()) {
    const ValueNode& parent = nodes[nodes[index].parent];
    uint32_t offset = index - parent.first_child;
    if (parent.kind == ValueKind::kObject || parent.kind == ValueKind::kMap) {
      if (offset % 2 == 0) {
        parts.push_back("<key " + KeyText(nodes[index]) + ">");
      } else {
        std::string key = KeyText(nodes[index - 1]);
        parts.push_back(IsIdentifier(key) ? "." + key : "[\"" + key + "\"]");
      }
    } else {
      parts.push_back("[" + std::to_string(offset) + "]");
    }
    index = nodes[index].parent;
  }
  // A path thousands of steps deep says no more in full than its two ends do.
  constexpr size_t kEndSteps = 8;
  std::string path = root_name;
  for (size_t step = 0; step < parts.size(); ++step) {
    if (parts.size() > 3 * kEndSteps && step == kEndSteps) {
      path += "...(" + std::to_string(parts.size() - 2 * kEndSteps) + " more)...";
      step = parts.size() - kEndSteps;
    }
    path += parts[parts.size() - 1 - step];
  }
  return path;
}

}  // namespace ci
