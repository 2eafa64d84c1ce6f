#ifndef CODE_INTERPRETER_CORE_CHANNEL_VALUE_CODEC_H_
#define CODE_INTERPRETER_CORE_CHANNEL_VALUE_CODEC_H_

#include <cstddef>
#include <string>

#include "core/channel/message.h"
#include "core/values/value_tree.h"

namespace ci {

// A value tree as it crosses the channel. TakeTree checks the tree whole: the shape TreeToPy
// and ValueTree::PathOf rely on (ChannelError otherwise).
void PutTree(MessageWriter& out, const ValueTree& tree);
void TakeTree(MessageReader& in, ValueTree* tree);

// A text the bindings hand to Python as str: a byte that is not UTF-8 becomes U+FFFD.
std::string TakeUtf8(MessageReader& in, size_t max_bytes);

}  // namespace ci

#endif  // CODE_INTERPRETER_CORE_CHANNEL_VALUE_CODEC_H_
