#include "core/tree_to_js.h"

#include <cstdlib>
#include <cstring>
#include <memory>
#include <vector>

namespace ci {
namespace {

bool MakeString(v8::Isolate* isolate, const ValueNode& node, v8::Local<v8::Value>* out) {
  v8::Local<v8::String> text;
  bool ok;
  if (node.one_byte) {
    ok = v8::String::NewFromOneByte(isolate, reinterpret_cast<const uint8_t*>(node.text.data()),
                                    v8::NewStringType::kNormal, static_cast<int>(node.text.size()))
             .ToLocal(&text);
  } else {
    ok = v8::String::NewFromTwoByte(isolate, reinterpret_cast<const uint16_t*>(node.text.data()),
                                    v8::NewStringType::kNormal,
                                    static_cast<int>(node.text.size() / 2))
             .ToLocal(&text);
  }
  *out = text;
  return ok;
}

bool MakeBigInt(v8::Local<v8::Context> context, const ValueNode& node, v8::Local<v8::Value>* out) {
  // Hex digits, most significant first -> 64-bit words, least significant first.
  std::vector<uint64_t> words((node.text.size() + 15) / 16, 0);
  size_t digit_index = 0;
  for (auto it = node.text.rbegin(); it != node.text.rend(); ++it, ++digit_index) {
    char c = *it;
    uint64_t digit = (c >= '0' && c <= '9') ? c - '0' : (c | 0x20) - 'a' + 10;
    words[digit_index / 16] |= digit << (4 * (digit_index % 16));
  }
  v8::Local<v8::BigInt> big;
  if (!v8::BigInt::NewFromWords(context, node.integer != 0 ? 1 : 0, static_cast<int>(words.size()),
                                words.data())
           .ToLocal(&big)) {
    return false;
  }
  *out = big;
  return true;
}

}  // namespace

bool TreeToJs(v8::Local<v8::Context> context,
              const ValueTree& tree,
              v8::Local<v8::Value>* out,
              std::string* error) {
  v8::Isolate* isolate = context->GetIsolate();
  const std::vector<ValueNode>& nodes = tree.nodes;
  std::vector<v8::Local<v8::Value>> values(nodes.size());

  for (size_t i = 0; i < nodes.size(); ++i) {
    const ValueNode& node = nodes[i];
    switch (node.kind) {
      case ValueKind::kUndefined:
        values[i] = v8::Undefined(isolate);
        break;
      case ValueKind::kNull:
        values[i] = v8::Null(isolate);
        break;
      case ValueKind::kFalse:
        values[i] = v8::False(isolate);
        break;
      case ValueKind::kTrue:
        values[i] = v8::True(isolate);
        break;
      case ValueKind::kInt:
        values[i] = v8::Number::New(isolate, static_cast<double>(node.integer));
        break;
      case ValueKind::kDouble:
        values[i] = v8::Number::New(isolate, node.number);
        break;
      case ValueKind::kBigInt:
        if (!MakeBigInt(context, node, &values[i])) {
          *error = "BigInt too large at " + tree.PathOf(static_cast<uint32_t>(i), "context");
          return false;
        }
        break;
      case ValueKind::kString:
        if (!MakeString(isolate, node, &values[i])) {
          *error = "string too long for JavaScript at " +
                   tree.PathOf(static_cast<uint32_t>(i), "context");
          return false;
        }
        break;
      case ValueKind::kDate:
        if (!v8::Date::New(context, node.number).ToLocal(&values[i])) {
          *error = "invalid date at " + tree.PathOf(static_cast<uint32_t>(i), "context");
          return false;
        }
        break;
      case ValueKind::kBytes: {
        // Host-provided bytes get their own memory: an isolate-allocated store that the capped
        // allocator refused would make V8 abort instead of throwing.
        size_t length = node.text.size();
        void* data = std::malloc(length ? length : 1);
        if (data == nullptr) {
          *error =
              "out of memory copying bytes at " + tree.PathOf(static_cast<uint32_t>(i), "context");
          return false;
        }
        std::memcpy(data, node.text.data(), length);
        std::unique_ptr<v8::BackingStore> store = v8::ArrayBuffer::NewBackingStore(
            data, length, [](void* bytes, size_t, void*) { std::free(bytes); }, nullptr);
        v8::Local<v8::ArrayBuffer> buffer = v8::ArrayBuffer::New(isolate, std::move(store));
        values[i] = v8::Uint8Array::New(buffer, 0, node.text.size());
        break;
      }
      case ValueKind::kArray:
        values[i] = v8::Array::New(isolate, static_cast<int>(node.child_count));
        break;
      case ValueKind::kObject:
        values[i] = v8::Object::New(isolate);
        break;
      case ValueKind::kMap:
        values[i] = v8::Map::New(isolate);
        break;
      case ValueKind::kSet:
        values[i] = v8::Set::New(isolate);
        break;
      case ValueKind::kRef:
        break;  // resolved below: the first occurrence may come later in index order
    }
  }
  for (size_t i = 0; i < nodes.size(); ++i) {
    if (nodes[i].kind == ValueKind::kRef) {
      values[i] = values[static_cast<size_t>(nodes[i].integer)];
    }
  }

  for (size_t i = 0; i < nodes.size(); ++i) {
    const ValueNode& node = nodes[i];
    const uint32_t first = node.first_child;
    const uint32_t count = node.child_count;
    switch (node.kind) {
      case ValueKind::kArray: {
        v8::Local<v8::Array> array = values[i].As<v8::Array>();
        for (uint32_t k = 0; k < count; ++k) {
          if (array->CreateDataProperty(context, k, values[first + k]).IsNothing()) {
            *error = "could not build the context value";
            return false;
          }
        }
        break;
      }
      case ValueKind::kObject: {
        v8::Local<v8::Object> object = values[i].As<v8::Object>();
        for (uint32_t k = 0; k + 1 < count; k += 2) {
          v8::Local<v8::Name> key = values[first + k].As<v8::Name>();
          if (object->CreateDataProperty(context, key, values[first + k + 1]).IsNothing()) {
            *error = "could not build the context value";
            return false;
          }
        }
        break;
      }
      case ValueKind::kMap: {
        v8::Local<v8::Map> map = values[i].As<v8::Map>();
        for (uint32_t k = 0; k + 1 < count; k += 2) {
          if (map->Set(context, values[first + k], values[first + k + 1]).IsEmpty()) {
            *error = "could not build the context value";
            return false;
          }
        }
        break;
      }
      case ValueKind::kSet: {
        v8::Local<v8::Set> set = values[i].As<v8::Set>();
        for (uint32_t k = 0; k < count; ++k) {
          if (set->Add(context, values[first + k]).IsEmpty()) {
            *error = "could not build the context value";
            return false;
          }
        }
        break;
      }
      default:
        break;
    }
  }
  *out = values.empty() ? v8::Local<v8::Value>(v8::Undefined(isolate)) : values[0];
  return true;
}

}  // namespace ci
