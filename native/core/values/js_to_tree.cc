#include "core/values/js_to_tree.h"

#include <cmath>
#include <unordered_map>
#include <utility>
#include <vector>

namespace ci {
namespace {

struct Pending {
  uint32_t index;
  v8::Local<v8::Value> value;
  uint32_t depth;
};

std::string BigIntToHex(v8::Local<v8::BigInt> big, bool* negative) {
  int sign = 0;
  int count = big->WordCount();
  std::vector<uint64_t> words(static_cast<size_t>(count));
  big->ToWordsArray(&sign, &count, words.data());
  *negative = sign != 0;
  static constexpr char kDigits[] = "0123456789abcdef";
  std::string hex;
  for (int w = count - 1; w >= 0; --w) {
    for (int shift = 60; shift >= 0; shift -= 4) {
      char digit = kDigits[(words[static_cast<size_t>(w)] >> shift) & 0xF];
      if (hex.empty() && digit == '0') {
        continue;
      }
      hex.push_back(digit);
    }
  }
  return hex.empty() ? "0" : hex;
}

void ReadString(v8::Isolate* isolate, v8::Local<v8::String> text, ValueNode* node) {
  int length = text->Length();
  if (text->IsOneByte()) {
    node->one_byte = true;
    node->text.resize(static_cast<size_t>(length));
    text->WriteOneByte(isolate, reinterpret_cast<uint8_t*>(node->text.data()), 0, length,
                       v8::String::NO_NULL_TERMINATION);
  } else {
    node->one_byte = false;
    node->text.resize(static_cast<size_t>(length) * 2);
    text->Write(isolate, reinterpret_cast<uint16_t*>(node->text.data()), 0, length,
                v8::String::NO_NULL_TERMINATION);
  }
}

std::string TooLarge(const ConversionLimits& limits) {
  return "larger than " + std::to_string(limits.max_bytes >> 20) + " MB";
}

/** Object identity -> node index, for shared references and cycles. */
class SeenObjects {
 public:
  // Returns the index recorded for `object`, or records `index` and returns it.
  uint32_t FindOrAdd(v8::Local<v8::Object> object, uint32_t index) {
    auto range = seen_.equal_range(object->GetIdentityHash());
    for (auto it = range.first; it != range.second; ++it) {
      if (it->second.first == object) {
        return it->second.second;
      }
    }
    seen_.emplace(object->GetIdentityHash(), std::make_pair(object, index));
    return index;
  }

 private:
  std::unordered_multimap<int, std::pair<v8::Local<v8::Object>, uint32_t>> seen_;
};

class Reader {
 public:
  Reader(v8::Local<v8::Context> context,
         const ConversionLimits& limits,
         ValueTree* tree,
         const char* root_name)
      : context_(context),
        isolate_(context->GetIsolate()),
        limits_(limits),
        tree_(tree),
        root_name_(root_name) {}

  ConversionStatus Run(v8::Local<v8::Value> root, std::string* error) {
    tree_->ResetToRoot();
    stack_.push_back({0, root, 0});
    while (!stack_.empty()) {
      Pending item = stack_.back();
      stack_.pop_back();
      ConversionStatus status = Visit(item);
      if (status != ConversionStatus::kOk) {
        return Checked(status, item.index, error);
      }
    }
    return ConversionStatus::kOk;
  }

 private:
  ValueNode& node(uint32_t index) { return tree_->nodes[index]; }

  // Names the path of an unsupported value in `error`.
  ConversionStatus Checked(ConversionStatus status, uint32_t index, std::string* error) {
    if (status == ConversionStatus::kUnsupported) {
      *error = problem_ + " at " + tree_->PathOf(index, root_name_);
    }
    return status;
  }

  ConversionStatus Fail(std::string problem) {
    problem_ = std::move(problem);
    return ConversionStatus::kUnsupported;
  }

  ConversionStatus Visit(const Pending& item) {
    v8::Local<v8::Value> value = item.value;
    ValueNode& target = node(item.index);
    if (value->IsUndefined()) {
      target.kind = ValueKind::kUndefined;
    } else if (value->IsNull()) {
      target.kind = ValueKind::kNull;
    } else if (value->IsBoolean()) {
      target.kind = value->IsTrue() ? ValueKind::kTrue : ValueKind::kFalse;
    } else if (value->IsInt32()) {
      target.kind = ValueKind::kInt;
      target.integer = value.As<v8::Int32>()->Value();
    } else if (value->IsNumber()) {
      double number = value.As<v8::Number>()->Value();
      if (std::trunc(number) == number && std::fabs(number) <= kMaxSafeInteger &&
          !(number == 0 && std::signbit(number))) {
        target.kind = ValueKind::kInt;
        target.integer = static_cast<int64_t>(number);
      } else {
        target.kind = ValueKind::kDouble;
        target.number = number;
      }
    } else if (value->IsString()) {
      target.kind = ValueKind::kString;
      ReadString(isolate_, value.As<v8::String>(), &target);
      return Account(target.text.size());
    } else if (value->IsBigInt()) {
      bool negative = false;
      target.kind = ValueKind::kBigInt;
      target.text = BigIntToHex(value.As<v8::BigInt>(), &negative);
      target.integer = negative ? 1 : 0;
    } else if (value->IsSymbol()) {
      return Fail("cannot convert a Symbol");
    } else if (value->IsFunction()) {
      return Fail("cannot convert a function");
    } else if (value->IsObject()) {
      return VisitObject(item, value.As<v8::Object>());
    } else {
      return Fail("cannot convert this value");
    }
    return ConversionStatus::kOk;
  }

  ConversionStatus Account(size_t bytes) {
    bytes_ += bytes;
    if (bytes_ > limits_.max_bytes) {
      return Fail(TooLarge(limits_));
    }
    return ConversionStatus::kOk;
  }

  ConversionStatus VisitObject(const Pending& item, v8::Local<v8::Object> object) {
    uint32_t first_seen = seen_.FindOrAdd(object, item.index);
    if (first_seen != item.index) {
      node(item.index).kind = ValueKind::kRef;
      node(item.index).integer = first_seen;
      return ConversionStatus::kOk;
    }
    if (object->IsDate()) {
      node(item.index).kind = ValueKind::kDate;
      node(item.index).number = object.As<v8::Date>()->ValueOf();
      return ConversionStatus::kOk;
    }
    if (object->IsArrayBuffer() || object->IsArrayBufferView()) {
      return ReadBytes(item.index, object);
    }
    if (item.depth >= limits_.max_depth) {
      return Fail("nested more than " + std::to_string(limits_.max_depth) + " levels");
    }
    children_.clear();
    ValueKind kind;
    if (object->IsArray()) {
      kind = ValueKind::kArray;
      v8::Local<v8::Array> array = object.As<v8::Array>();
      uint32_t length = array->Length();
      if (ConversionStatus status = Reserve(length); status != ConversionStatus::kOk) {
        return status;
      }
      for (uint32_t i = 0; i < length; ++i) {
        v8::Local<v8::Value> element;
        if (!array->Get(context_, i).ToLocal(&element)) {
          return ConversionStatus::kThrew;
        }
        children_.push_back(element);
      }
    } else if (object->IsMap() || object->IsSet()) {
      kind = object->IsMap() ? ValueKind::kMap : ValueKind::kSet;
      v8::Local<v8::Array> entries = kind == ValueKind::kMap ? object.As<v8::Map>()->AsArray()
                                                             : object.As<v8::Set>()->AsArray();
      uint32_t length = entries->Length();
      if (ConversionStatus status = Reserve(length); status != ConversionStatus::kOk) {
        return status;
      }
      for (uint32_t i = 0; i < length; ++i) {
        v8::Local<v8::Value> entry;
        if (!entries->Get(context_, i).ToLocal(&entry)) {
          return ConversionStatus::kThrew;
        }
        children_.push_back(entry);
      }
    } else {
      kind = ValueKind::kObject;
      v8::Local<v8::Array> keys;
      if (!object
               ->GetOwnPropertyNames(
                   context_,
                   static_cast<v8::PropertyFilter>(v8::ONLY_ENUMERABLE | v8::SKIP_SYMBOLS),
                   v8::KeyConversionMode::kConvertToString)
               .ToLocal(&keys)) {
        return ConversionStatus::kThrew;
      }
      uint32_t length = keys->Length();
      if (ConversionStatus status = Reserve(2 * static_cast<uint64_t>(length));
          status != ConversionStatus::kOk) {
        return status;
      }
      for (uint32_t i = 0; i < length; ++i) {
        v8::Local<v8::Value> key;
        v8::Local<v8::Value> property;
        if (!keys->Get(context_, i).ToLocal(&key) ||
            !object->Get(context_, key).ToLocal(&property)) {
          return ConversionStatus::kThrew;
        }
        children_.push_back(key);
        children_.push_back(property);
      }
    }
    return AddChildren(item, kind);
  }

  ConversionStatus Reserve(uint64_t count) {
    if (tree_->nodes.size() + count > limits_.max_nodes) {
      return Fail("more than " + std::to_string(limits_.max_nodes) + " values");
    }
    return ConversionStatus::kOk;
  }

  ConversionStatus AddChildren(const Pending& item, ValueKind kind) {
    auto first = static_cast<uint32_t>(tree_->nodes.size());
    auto count = static_cast<uint32_t>(children_.size());
    tree_->nodes.resize(first + count);
    ValueNode& parent = node(item.index);
    parent.kind = kind;
    parent.first_child = first;
    parent.child_count = count;
    for (uint32_t k = 0; k < count; ++k) {
      node(first + k).parent = item.index;
    }
    // Object keys are strings already; fill them now and queue only the values.
    bool keyed = kind == ValueKind::kObject;
    for (uint32_t k = count; k-- > 0;) {
      if (keyed && k % 2 == 0) {
        ValueNode& key = node(first + k);
        key.kind = ValueKind::kString;
        ReadString(isolate_, children_[k].As<v8::String>(), &key);
        if (ConversionStatus status = Account(key.text.size()); status != ConversionStatus::kOk) {
          return status;
        }
      } else {
        stack_.push_back({first + k, children_[k], item.depth + 1});
      }
    }
    return ConversionStatus::kOk;
  }

  ConversionStatus ReadBytes(uint32_t index, v8::Local<v8::Object> object) {
    ValueNode& target = node(index);
    target.kind = ValueKind::kBytes;
    if (object->IsArrayBuffer()) {
      std::shared_ptr<v8::BackingStore> store = object.As<v8::ArrayBuffer>()->GetBackingStore();
      if (store->Data() != nullptr) {
        target.text.assign(static_cast<const char*>(store->Data()), store->ByteLength());
      }
    } else {
      v8::Local<v8::ArrayBufferView> view = object.As<v8::ArrayBufferView>();
      target.text.resize(view->ByteLength());
      view->CopyContents(target.text.data(), target.text.size());
    }
    return Account(target.text.size());
  }

  v8::Local<v8::Context> context_;
  v8::Isolate* isolate_;
  const ConversionLimits& limits_;
  ValueTree* tree_;
  const char* root_name_;
  std::vector<Pending> stack_;
  std::vector<v8::Local<v8::Value>> children_;
  SeenObjects seen_;
  uint64_t bytes_ = 0;
  std::string problem_;
};

}  // namespace

ConversionStatus JsToTree(v8::Local<v8::Context> context,
                          v8::Local<v8::Value> value,
                          const ConversionLimits& limits,
                          ValueTree* tree,
                          std::string* error,
                          const char* root_name) {
  return Reader(context, limits, tree, root_name).Run(value, error);
}

ConversionStatus StringToTree(v8::Isolate* isolate,
                              v8::Local<v8::String> text,
                              const ConversionLimits& limits,
                              ValueTree* tree,
                              std::string* error) {
  const uint64_t bytes = static_cast<uint64_t>(text->Length()) * (text->IsOneByte() ? 1 : 2);
  if (bytes > limits.max_bytes) {
    *error = TooLarge(limits) + " at result";
    return ConversionStatus::kUnsupported;
  }
  ValueNode& node = tree->ResetToRoot();
  node.kind = ValueKind::kString;
  ReadString(isolate, text, &node);
  return ConversionStatus::kOk;
}

}  // namespace ci
