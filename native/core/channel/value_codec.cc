#include "core/channel/value_codec.h"

#include <cstdint>
#include <limits>
#include <string_view>
#include <vector>

namespace ci {
namespace {

// The length of the UTF-8 sequence at text[i], or 0 when it is not one (overlong, surrogate,
// past U+10FFFF or cut short).
size_t SequenceAt(std::string_view text, size_t i) {
  const auto lead = static_cast<uint8_t>(text[i]);
  if (lead < 0x80) {
    return 1;
  }
  size_t extra;
  uint32_t point;
  if (lead >= 0xC2 && lead <= 0xDF) {
    extra = 1;
    point = lead & 0x1F;
  } else if (lead >= 0xE0 && lead <= 0xEF) {
    extra = 2;
    point = lead & 0x0F;
  } else if (lead >= 0xF0 && lead <= 0xF4) {
    extra = 3;
    point = lead & 0x07;
  } else {
    return 0;
  }
  if (text.size() - i <= extra) {
    return 0;
  }
  for (size_t k = 1; k <= extra; ++k) {
    const auto next = static_cast<uint8_t>(text[i + k]);
    if ((next & 0xC0) != 0x80) {
      return 0;
    }
    point = (point << 6) | (next & 0x3F);
  }
  const bool overlong = (extra == 2 && point < 0x800) || (extra == 3 && point < 0x10000);
  if (overlong || point > 0x10FFFF || (point >= 0xD800 && point <= 0xDFFF)) {
    return 0;
  }
  return extra + 1;
}

bool IsContainer(ValueKind kind) {
  return kind == ValueKind::kArray || kind == ValueKind::kObject || kind == ValueKind::kMap ||
         kind == ValueKind::kSet;
}

// The shape TreeToPy and ValueTree::PathOf rely on: every container's children are a run of
// later nodes inside the tree, every node but the root is the child of exactly one container
// and names it as its parent, references point at containers, and texts fit their kinds.
void CheckTree(const ValueTree& tree) {
  const auto count = static_cast<uint32_t>(tree.nodes.size());
  constexpr uint32_t kUnowned = std::numeric_limits<uint32_t>::max();
  std::vector<uint32_t> owner(count, kUnowned);
  for (uint32_t i = 0; i < count; ++i) {
    const ValueNode& node = tree.nodes[i];
    if (IsContainer(node.kind)) {
      const uint64_t end = uint64_t{node.first_child} + node.child_count;
      if (node.child_count > 0 && (node.first_child <= i || end > count)) {
        throw ChannelError("a value's children lie outside it");
      }
      if ((node.kind == ValueKind::kObject || node.kind == ValueKind::kMap) &&
          node.child_count % 2 != 0) {
        throw ChannelError("a value's keys and values do not pair");
      }
      for (uint32_t child = node.first_child; child < end; ++child) {
        if (owner[child] != kUnowned) {
          throw ChannelError("a value is the child of two containers");
        }
        owner[child] = i;
      }
    } else if (node.child_count != 0) {
      throw ChannelError("a value that holds nothing has children");
    }
    if (node.kind == ValueKind::kRef &&
        (node.integer < 0 || node.integer >= count ||
         !IsContainer(tree.nodes[static_cast<size_t>(node.integer)].kind))) {
      throw ChannelError("a value refers to something that is not a container");
    }
    if (node.kind == ValueKind::kBigInt &&
        (node.text.empty() ||
         node.text.find_first_not_of("0123456789abcdefABCDEF") != std::string::npos)) {
      throw ChannelError("a BigInt's digits are not hexadecimal");
    }
    if (node.kind == ValueKind::kString && !node.one_byte && node.text.size() % 2 != 0) {
      throw ChannelError("a two-byte string has an odd number of bytes");
    }
  }
  if (count > 0 && tree.nodes[0].kind == ValueKind::kRef) {
    throw ChannelError("a value is only a reference");
  }
  for (uint32_t i = 1; i < count; ++i) {
    if (owner[i] == kUnowned || tree.nodes[i].parent != owner[i]) {
      throw ChannelError("a value's parent does not hold it");
    }
  }
}

}  // namespace

// Texts the bindings hand to Python as str: a byte that is not UTF-8 becomes U+FFFD, as the
// bindings' own decoding does, and never fails there.
std::string TakeUtf8(MessageReader& in, size_t max_bytes) {
  std::string_view text = in.Text(max_bytes);
  std::string repaired;
  repaired.reserve(text.size());
  for (size_t i = 0; i < text.size();) {
    const size_t length = SequenceAt(text, i);
    if (length == 0) {
      repaired += "\xEF\xBF\xBD";
      ++i;
    } else {
      repaired.append(text.data() + i, length);
      i += length;
    }
  }
  return repaired;
}

void PutTree(MessageWriter& out, const ValueTree& tree) {
  out.U32(static_cast<uint32_t>(tree.nodes.size()));
  for (const ValueNode& node : tree.nodes) {
    out.U8(static_cast<uint8_t>(node.kind));
    out.Bool(node.one_byte);
    out.I64(node.integer);
    out.F64(node.number);
    out.Text(node.text);
    out.U32(node.first_child);
    out.U32(node.child_count);
    out.U32(node.parent);
  }
}

void TakeTree(MessageReader& in, ValueTree* tree) {
  const ConversionLimits limits;
  const uint32_t count = in.Count(38);
  if (count > limits.max_nodes) {
    throw ChannelError("a value has more nodes than a conversion makes");
  }
  tree->nodes.resize(count);
  uint64_t bytes = 0;
  for (ValueNode& node : tree->nodes) {
    const uint8_t kind = in.U8();
    if (kind > static_cast<uint8_t>(ValueKind::kRef)) {
      throw ChannelError("a value has an unknown kind");
    }
    node.kind = static_cast<ValueKind>(kind);
    node.one_byte = in.Bool();
    node.integer = in.I64();
    node.number = in.F64();
    node.text = std::string(in.Text(limits.max_bytes - bytes));
    bytes += node.text.size();
    node.first_child = in.U32();
    node.child_count = in.U32();
    node.parent = in.U32();
  }
  CheckTree(*tree);
}

}  // namespace ci
