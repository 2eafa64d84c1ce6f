// URL's native work: ada, the WHATWG URL parser Node uses. A URL crosses as its components;
// a change of one component is a parse of the href and one of ada's setters.
#include <cstring>
#include <string>
#include <string_view>

#include "ada.h"
#include "core/engine/host_buffer.h"
#include "core/web/web_natives.h"

namespace ci {
namespace {

enum Component {
  kHref,
  kOrigin,
  kProtocol,
  kUsername,
  kPassword,
  kHost,
  kHostname,
  kPort,
  kPathname,
  kSearch,
  kHash,
  kComponents
};

v8::Local<v8::String> Text(v8::Isolate* isolate, std::string_view text) {
  v8::Local<v8::String> out;
  if (!v8::String::NewFromUtf8(isolate, text.data(), v8::NewStringType::kNormal,
                               static_cast<int>(text.size()))
           .ToLocal(&out)) {
    return v8::String::Empty(isolate);
  }
  return out;
}

// A string as UTF-8 (lone surrogates as U+FFFD, as USVString conversion makes them), in memory
// counted against the limit while it is used.
class Utf8Input {
 public:
  Utf8Input(v8::Isolate* isolate, v8::Local<v8::String> text)
      : buffer_(isolate, static_cast<size_t>(text->Utf8Length(isolate))) {
    if (buffer_.ok() && buffer_.size() > 0) {
      text->WriteUtf8(isolate, buffer_.data(), static_cast<int>(buffer_.size()), nullptr,
                      v8::String::REPLACE_INVALID_UTF8 | v8::String::NO_NULL_TERMINATION);
    }
  }
  bool ok() const { return buffer_.ok(); }
  std::string_view view() { return std::string_view(buffer_.data(), buffer_.size()); }

 private:
  HostBuffer buffer_;
};

// Writes where each component of `url` begins and ends into `offsets` (a Uint32Array of 8, as
// ada's url_components orders them) and returns its href.
v8::Local<v8::String> Href(v8::Isolate* isolate,
                           const ada::url_aggregator& url,
                           v8::Local<v8::Value> offsets) {
  const ada::url_components& at = url.get_components();
  const uint32_t values[] = {at.protocol_end, at.username_end,   at.host_start,   at.host_end,
                             at.port,         at.pathname_start, at.search_start, at.hash_start};
  if (offsets->IsUint32Array() && offsets.As<v8::Uint32Array>()->Length() == 8) {
    char* data = ViewData(offsets.As<v8::Uint32Array>());
    if (data != nullptr) {
      std::memcpy(data, values, sizeof(values));
    }
  }
  return Text(isolate, url.get_href());
}

// parseURL(input, base?, offsets): the URL's href (its offsets into `offsets`), or null when
// it does not parse.
void ParseUrl(const v8::FunctionCallbackInfo<v8::Value>& info) {
  v8::Isolate* isolate = info.GetIsolate();
  if (!info[0]->IsString() || !(info[1]->IsUndefined() || info[1]->IsString())) {
    return ThrowTypeError(isolate, "parseURL needs strings");
  }
  Utf8Input input(isolate, info[0].As<v8::String>());
  if (!input.ok()) {
    return HostBuffer::ThrowRefused(isolate);
  }
  if (info[1]->IsUndefined()) {
    auto url = ada::parse<ada::url_aggregator>(input.view(), nullptr);
    return url ? info.GetReturnValue().Set(Href(isolate, *url, info[2]))
               : info.GetReturnValue().SetNull();
  }
  Utf8Input base_input(isolate, info[1].As<v8::String>());
  if (!base_input.ok()) {
    return HostBuffer::ThrowRefused(isolate);
  }
  auto base = ada::parse<ada::url_aggregator>(base_input.view(), nullptr);
  if (!base) {
    return info.GetReturnValue().SetNull();
  }
  auto url = ada::parse<ada::url_aggregator>(input.view(), &*base);
  return url ? info.GetReturnValue().Set(Href(isolate, *url, info[2]))
             : info.GetReturnValue().SetNull();
}

// origin(href): the URL's origin, serialized.
void Origin(const v8::FunctionCallbackInfo<v8::Value>& info) {
  v8::Isolate* isolate = info.GetIsolate();
  if (!info[0]->IsString()) {
    return ThrowTypeError(isolate, "origin needs a string");
  }
  Utf8Input href(isolate, info[0].As<v8::String>());
  if (!href.ok()) {
    return HostBuffer::ThrowRefused(isolate);
  }
  auto url = ada::parse<ada::url_aggregator>(href.view(), nullptr);
  info.GetReturnValue().Set(url ? Text(isolate, url->get_origin()) : v8::String::Empty(isolate));
}

// setURL(href, component, value, offsets): the href after the setter of that component (its
// offsets into `offsets`).
void SetUrl(const v8::FunctionCallbackInfo<v8::Value>& info) {
  v8::Isolate* isolate = info.GetIsolate();
  if (!info[0]->IsString() || !info[1]->IsInt32() || !info[2]->IsString()) {
    return ThrowTypeError(isolate, "setURL needs a string, a component and a string");
  }
  Utf8Input href(isolate, info[0].As<v8::String>());
  Utf8Input value(isolate, info[2].As<v8::String>());
  if (!href.ok() || !value.ok()) {
    return HostBuffer::ThrowRefused(isolate);
  }
  auto url = ada::parse<ada::url_aggregator>(href.view(), nullptr);
  if (!url) {
    return info.GetReturnValue().SetNull();
  }
  const std::string_view text = value.view();
  switch (info[1].As<v8::Int32>()->Value()) {
    case kProtocol:
      url->set_protocol(text);
      break;
    case kUsername:
      url->set_username(text);
      break;
    case kPassword:
      url->set_password(text);
      break;
    case kHost:
      url->set_host(text);
      break;
    case kHostname:
      url->set_hostname(text);
      break;
    case kPort:
      url->set_port(text);
      break;
    case kPathname:
      url->set_pathname(text);
      break;
    case kSearch:
      url->set_search(text);
      break;
    case kHash:
      url->set_hash(text);
      break;
    default:
      return ThrowTypeError(isolate, "setURL: no such component");
  }
  info.GetReturnValue().Set(Href(isolate, *url, info[3]));
}

// parseQuery(text): application/x-www-form-urlencoded as a flat list: name, value, ...
void ParseQuery(const v8::FunctionCallbackInfo<v8::Value>& info) {
  v8::Isolate* isolate = info.GetIsolate();
  if (!info[0]->IsString()) {
    return ThrowTypeError(isolate, "parseQuery needs a string");
  }
  Utf8Input input(isolate, info[0].As<v8::String>());
  if (!input.ok()) {
    return HostBuffer::ThrowRefused(isolate);
  }
  // ada drops a leading "?" as the URLSearchParams constructor does; a query is parsed as is, so
  // a "?" it starts with is kept by an empty pair before it, which parsing skips.
  const std::string_view query = input.view();
  ada::url_search_params params(
      !query.empty() && query.front() == '?' ? std::string("&").append(query) : std::string(query));
  v8::Local<v8::Context> context = isolate->GetCurrentContext();
  v8::Local<v8::Array> list = v8::Array::New(isolate, static_cast<int>(params.size() * 2));
  uint32_t index = 0;
  auto entries = params.get_entries();
  while (entries.has_next()) {
    auto entry = entries.next();
    if (!entry) {
      break;
    }
    if (list->Set(context, index++, Text(isolate, entry->first)).IsNothing() ||
        list->Set(context, index++, Text(isolate, entry->second)).IsNothing()) {
      return;
    }
  }
  info.GetReturnValue().Set(list);
}

// serializeQuery(list): the flat list as application/x-www-form-urlencoded.
void SerializeQuery(const v8::FunctionCallbackInfo<v8::Value>& info) {
  v8::Isolate* isolate = info.GetIsolate();
  if (!info[0]->IsArray()) {
    return ThrowTypeError(isolate, "serializeQuery needs an array");
  }
  v8::Local<v8::Context> context = isolate->GetCurrentContext();
  v8::Local<v8::Array> list = info[0].As<v8::Array>();
  ada::url_search_params params;
  for (uint32_t i = 0; i + 1 < list->Length(); i += 2) {
    v8::Local<v8::Value> name, value;
    if (!list->Get(context, i).ToLocal(&name) || !list->Get(context, i + 1).ToLocal(&value) ||
        !name->IsString() || !value->IsString()) {
      return ThrowTypeError(isolate, "serializeQuery needs strings");
    }
    Utf8Input name_text(isolate, name.As<v8::String>());
    Utf8Input value_text(isolate, value.As<v8::String>());
    if (!name_text.ok() || !value_text.ok()) {
      return HostBuffer::ThrowRefused(isolate);
    }
    params.append(name_text.view(), value_text.view());
  }
  info.GetReturnValue().Set(Text(isolate, params.to_string()));
}

}  // namespace

void AddUrlNatives(v8::Isolate* isolate, v8::Local<v8::ObjectTemplate> natives) {
  SetNative(isolate, natives, "parseURL", ParseUrl);
  SetNative(isolate, natives, "setURL", SetUrl);
  SetNative(isolate, natives, "origin", Origin);
  SetNative(isolate, natives, "parseQuery", ParseQuery);
  SetNative(isolate, natives, "serializeQuery", SerializeQuery);
}

}  // namespace ci
