// What V8 alone spends moving W4's data (1,000 entries {id, name, tags, seen}) in and out of
// a context, with no Python involved: the floor under any conversion built on V8's API.
// Built and run by ci/conversion-floor against the same V8 as the package.
#include <libplatform/libplatform.h>
#include <v8.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <memory>
#include <string>
#include <vector>

namespace {

using Clock = std::chrono::steady_clock;
constexpr int kEntries = 1000;
constexpr int kRepeats = 100;
constexpr int kRounds = 7;

// Best per-iteration time over kRounds of kRepeats, in microseconds.
template <typename Work>
double BestUs(Work&& work) {
  double best = 1e18;
  for (int round = 0; round < kRounds; ++round) {
    auto started = Clock::now();
    for (int i = 0; i < kRepeats; ++i) {
      work();
    }
    best = std::min(
        best, std::chrono::duration<double, std::micro>(Clock::now() - started).count() / kRepeats);
  }
  return best;
}

v8::Local<v8::String> OneByte(v8::Isolate* isolate,
                              const std::string& text,
                              v8::NewStringType type = v8::NewStringType::kNormal) {
  return v8::String::NewFromOneByte(isolate, reinterpret_cast<const uint8_t*>(text.data()), type,
                                    static_cast<int>(text.size()))
      .ToLocalChecked();
}

}  // namespace

int main() {
  std::unique_ptr<v8::Platform> platform = v8::platform::NewDefaultPlatform(2);
  v8::V8::InitializePlatform(platform.get());
  v8::V8::Initialize();
  v8::Isolate::CreateParams params;
  params.array_buffer_allocator = v8::ArrayBuffer::Allocator::NewDefaultAllocator();
  v8::Isolate* isolate = v8::Isolate::New(params);
  {
    v8::Isolate::Scope isolate_scope(isolate);
    v8::HandleScope handle_scope(isolate);
    v8::Local<v8::Context> context = v8::Context::New(isolate);
    v8::Context::Scope context_scope(context);

    const char* build =
        "const d = {}; for (let i = 0; i < 1000; i++) "
        "d['k' + i] = {id: i, name: 'n' + i, tags: ['a', 'b'], seen: true}; d";
    v8::Global<v8::Value> data(
        isolate,
        v8::Script::Compile(context, v8::String::NewFromUtf8(isolate, build).ToLocalChecked())
            .ToLocalChecked()
            ->Run(context)
            .ToLocalChecked());

    std::pair<uint8_t*, size_t> wire{nullptr, 0};
    const double serialize = BestUs([&] {
      v8::HandleScope scope(isolate);
      v8::ValueSerializer serializer(isolate);
      serializer.WriteHeader();
      serializer.WriteValue(context, data.Get(isolate)).Check();
      std::free(wire.first);
      wire = serializer.Release();
    });
    const double deserialize = BestUs([&] {
      v8::HandleScope scope(isolate);
      v8::ValueDeserializer deserializer(isolate, wire.first, wire.second);
      deserializer.ReadHeader(context).Check();
      deserializer.ReadValue(context).ToLocalChecked();
    });

    std::vector<std::string> keys;
    std::vector<std::string> names;
    for (int i = 0; i < kEntries; ++i) {
      keys.push_back("k" + std::to_string(i));
      names.push_back("n" + std::to_string(i));
    }
    v8::Global<v8::Object> built;
    const double api_build = BestUs([&] {
      v8::HandleScope scope(isolate);
      v8::Local<v8::Value> prototype = v8::Object::New(isolate)->GetPrototype();
      v8::Local<v8::Name> inner_keys[] = {
          OneByte(isolate, "id", v8::NewStringType::kInternalized),
          OneByte(isolate, "name", v8::NewStringType::kInternalized),
          OneByte(isolate, "tags", v8::NewStringType::kInternalized),
          OneByte(isolate, "seen", v8::NewStringType::kInternalized)};
      v8::Local<v8::Value> tag_values[] = {OneByte(isolate, "a"), OneByte(isolate, "b")};
      std::vector<v8::Local<v8::Name>> outer_keys;
      std::vector<v8::Local<v8::Value>> outer_values;
      for (int i = 0; i < kEntries; ++i) {
        v8::Local<v8::Value> values[] = {v8::Integer::New(isolate, i), OneByte(isolate, names[i]),
                                         v8::Array::New(isolate, tag_values, 2), v8::True(isolate)};
        outer_values.push_back(v8::Object::New(isolate, prototype, inner_keys, values, 4));
        outer_keys.push_back(OneByte(isolate, keys[i], v8::NewStringType::kInternalized));
      }
      built.Reset(isolate, v8::Object::New(isolate, prototype, outer_keys.data(),
                                           outer_values.data(), outer_keys.size()));
    });
    const double api_read = BestUs([&] {
      v8::HandleScope scope(isolate);
      v8::Local<v8::Object> outer = data.Get(isolate).As<v8::Object>();
      v8::Local<v8::Array> outer_keys = outer->GetOwnPropertyNames(context).ToLocalChecked();
      for (uint32_t i = 0; i < outer_keys->Length(); ++i) {
        v8::Local<v8::Object> inner =
            outer->Get(context, outer_keys->Get(context, i).ToLocalChecked())
                .ToLocalChecked()
                .As<v8::Object>();
        v8::Local<v8::Array> inner_keys = inner->GetOwnPropertyNames(context).ToLocalChecked();
        for (uint32_t j = 0; j < inner_keys->Length(); ++j) {
          v8::Local<v8::Value> value =
              inner->Get(context, inner_keys->Get(context, j).ToLocalChecked()).ToLocalChecked();
          if (value->IsArray()) {
            v8::Local<v8::Array> array = value.As<v8::Array>();
            for (uint32_t k = 0; k < array->Length(); ++k) {
              array->Get(context, k).ToLocalChecked();
            }
          }
        }
      }
    });
    // JSON text both ways: V8's JSON parser builds fast-mode objects along map transitions.
    v8::Global<v8::String> json(isolate,
                                v8::JSON::Stringify(context, data.Get(isolate)).ToLocalChecked());
    const double json_out = BestUs([&] {
      v8::HandleScope scope(isolate);
      v8::JSON::Stringify(context, data.Get(isolate)).ToLocalChecked();
    });
    const double json_in = BestUs([&] {
      v8::HandleScope scope(isolate);
      v8::JSON::Parse(context, json.Get(isolate)).ToLocalChecked();
    });
    // Fast-mode objects from the API: one CreateDataProperty per key.
    const double api_fast_build = BestUs([&] {
      v8::HandleScope scope(isolate);
      v8::Local<v8::String> inner_keys[] = {
          OneByte(isolate, "id", v8::NewStringType::kInternalized),
          OneByte(isolate, "name", v8::NewStringType::kInternalized),
          OneByte(isolate, "tags", v8::NewStringType::kInternalized),
          OneByte(isolate, "seen", v8::NewStringType::kInternalized)};
      v8::Local<v8::Value> tag_values[] = {OneByte(isolate, "a"), OneByte(isolate, "b")};
      v8::Local<v8::Object> outer = v8::Object::New(isolate);
      for (int i = 0; i < kEntries; ++i) {
        v8::Local<v8::Object> inner = v8::Object::New(isolate);
        inner->CreateDataProperty(context, inner_keys[0], v8::Integer::New(isolate, i)).Check();
        inner->CreateDataProperty(context, inner_keys[1], OneByte(isolate, names[i])).Check();
        inner->CreateDataProperty(context, inner_keys[2], v8::Array::New(isolate, tag_values, 2))
            .Check();
        inner->CreateDataProperty(context, inner_keys[3], v8::True(isolate)).Check();
        outer
            ->CreateDataProperty(context,
                                 OneByte(isolate, keys[i], v8::NewStringType::kInternalized), inner)
            .Check();
      }
    });
    // An object built by Object::New is in dictionary mode: W4's pass over the entries (here
    // storing `seen`, which this data has already) and the serializer then cost more than on the
    // deserializer's fast-mode objects, which the sum below omits.
    v8::Global<v8::Value> read_in(isolate, [&] {
      v8::EscapableHandleScope scope(isolate);
      v8::ValueDeserializer deserializer(isolate, wire.first, wire.second);
      deserializer.ReadHeader(context).Check();
      return scope.Escape(deserializer.ReadValue(context).ToLocalChecked());
    }());
    v8::Local<v8::Function> mark =
        v8::Script::Compile(context, v8::String::NewFromUtf8(
                                         isolate, "(d) => { for (const k in d) d[k].seen = true; }")
                                         .ToLocalChecked())
            .ToLocalChecked()
            ->Run(context)
            .ToLocalChecked()
            .As<v8::Function>();
    auto script_and_out = [&](auto&& get) {
      return BestUs([&] {
        v8::HandleScope scope(isolate);
        v8::Local<v8::Value> value = get();
        mark->Call(context, v8::Undefined(isolate), 1, &value).ToLocalChecked();
        v8::ValueSerializer serializer(isolate);
        serializer.WriteHeader();
        serializer.WriteValue(context, value).Check();
        std::free(serializer.Release().first);
      });
    };
    const double fast_script_out = script_and_out([&] { return read_in.Get(isolate); });
    const double dictionary_script_out =
        script_and_out([&] { return built.Get(isolate).As<v8::Value>(); });
    std::free(wire.first);

    std::printf("V8 %s, W4's data (%d entries, %zu wire bytes), best of %d x %d, us:\n",
                v8::V8::GetVersion(), kEntries, wire.second, kRounds, kRepeats);
    std::printf("  out: ValueSerializer            %8.1f\n", serialize);
    std::printf("  out: API walk (names + Get)     %8.1f\n", api_read);
    std::printf("  in:  ValueDeserializer          %8.1f\n", deserialize);
    std::printf("  in:  API build (Object::New)    %8.1f\n", api_build);
    std::printf("  in:  API build (CreateDataProp) %8.1f\n", api_fast_build);
    std::printf("  out: JSON::Stringify            %8.1f\n", json_out);
    std::printf("  in:  JSON::Parse                %8.1f\n", json_in);
    std::printf("  script + out, deserializer's objects %8.1f\n", fast_script_out);
    std::printf("  script + out, Object::New's objects  %8.1f\n", dictionary_script_out);
    std::printf("  cheapest in + out               %8.1f\n",
                std::min({deserialize, api_build, api_fast_build, json_in}) +
                    std::min({serialize, api_read, json_out}));
  }
  isolate->Dispose();
  delete params.array_buffer_allocator;
  v8::V8::Dispose();
  v8::V8::DisposePlatform();
  return 0;
}
