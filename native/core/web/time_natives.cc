// performance's clock: a context's time origin is when its web globals were installed; times
// are coarsened to 100 microseconds, so they tell no more than browsers' do without
// cross-origin isolation.
#include <chrono>
#include <cmath>

#include "core/web/web_natives.h"

namespace ci {
namespace {

double SteadyMs() {
  return std::chrono::duration<double, std::milli>(
             std::chrono::steady_clock::now().time_since_epoch())
      .count();
}

double Coarsen(double ms) {
  return std::floor(ms * 10) / 10;
}

double OriginOf(v8::Isolate* isolate) {
  v8::Local<v8::Value> origin = isolate->GetCurrentContext()->GetEmbedderData(kTimeOriginSlot);
  return origin->IsNumber() ? origin.As<v8::Number>()->Value() : SteadyMs();
}

// now(): milliseconds since the time origin.
void Now(const v8::FunctionCallbackInfo<v8::Value>& info) {
  v8::Isolate* isolate = info.GetIsolate();
  info.GetReturnValue().Set(Coarsen(SteadyMs() - OriginOf(isolate)));
}

// timeOrigin(): the time origin in milliseconds since the Unix epoch.
void TimeOrigin(const v8::FunctionCallbackInfo<v8::Value>& info) {
  v8::Isolate* isolate = info.GetIsolate();
  const double wall =
      std::chrono::duration<double, std::milli>(std::chrono::system_clock::now().time_since_epoch())
          .count();
  info.GetReturnValue().Set(Coarsen(wall - (SteadyMs() - OriginOf(isolate))));
}

}  // namespace

void AddTimeNatives(v8::Isolate* isolate, v8::Local<v8::ObjectTemplate> natives) {
  SetNative(isolate, natives, "now", Now);
  SetNative(isolate, natives, "timeOrigin", TimeOrigin);
}

double WebTimeOriginNow() {
  return SteadyMs();
}

}  // namespace ci
