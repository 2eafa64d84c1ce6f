#ifndef CODE_INTERPRETER_CORE_VALUES_VALUE_TREE_H_
#define CODE_INTERPRETER_CORE_VALUES_VALUE_TREE_H_

#include <cstdint>
#include <string>
#include <vector>

namespace ci {

// The largest integer a JavaScript number holds exactly (2^53): numbers that are integral and
// within +-kMaxSafeInteger cross as integers, others as doubles.
constexpr int64_t kMaxSafeInteger = int64_t{1} << 53;

/** Kinds of values that cross between JavaScript and the host (structured-clone rules). */
enum class ValueKind : uint8_t {
  kUndefined,
  kNull,
  kFalse,
  kTrue,
  kInt,     // integral, within +-2^53
  kDouble,  // any other number, -0, NaN and infinities included
  kBigInt,  // `text` holds hexadecimal digits; `integer` is 1 when negative
  kString,  // `text` holds Latin-1 bytes when `one_byte`, else UTF-16LE
  kDate,    // `number` holds milliseconds since the epoch
  kBytes,   // `text` holds the raw bytes
  kArray,   // children are the elements
  kObject,  // children alternate key (a kString node) and value
  kMap,     // children alternate key and value
  kSet,     // children are the members
  kRef,     // `integer` is the index of an earlier container node (shared reference or cycle)
};

/**
 * One value of a ValueTree. Containers own a contiguous run of child nodes
 * [first_child, first_child + child_count); every child's index is greater than its parent's.
 */
struct ValueNode {
  ValueKind kind = ValueKind::kUndefined;
  bool one_byte = true;
  int64_t integer = 0;
  double number = 0;
  std::string text;
  uint32_t first_child = 0;
  uint32_t child_count = 0;
  uint32_t parent = 0;
};

/**
 * A value held outside any engine, so it can be built while holding one lock (the GIL or
 * the V8 isolate) and consumed while holding the other. Node 0 is the root.
 */
struct ValueTree {
  std::vector<ValueNode> nodes;

  bool empty() const { return nodes.empty(); }

  // Makes the tree a single root node, as new, and returns it.
  ValueNode& ResetToRoot() {
    nodes.assign(1, ValueNode());
    return nodes[0];
  }

  // "result.a[3]"-style path of a node, for error messages.
  std::string PathOf(uint32_t index, const std::string& root_name) const;
};

/** Limits that keep a conversion bounded in depth and size whatever the input. */
struct ConversionLimits {
  uint32_t max_depth = 2000;
  uint32_t max_nodes = 4000000;
  uint64_t max_bytes = 256ull << 20;
};

}  // namespace ci

#endif  // CODE_INTERPRETER_CORE_VALUES_VALUE_TREE_H_
