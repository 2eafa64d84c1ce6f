#include "core/realm/identifiers.h"

namespace ci {
namespace {

template <size_t N>
bool Among(std::string_view word, const char* const (&words)[N]) {
  for (const char* each : words) {
    if (word == each) {
      return true;
    }
  }
  return false;
}

}  // namespace

bool IsPlainIdentifier(std::string_view word) {
  if (word.empty() || (word[0] >= '0' && word[0] <= '9')) {
    return false;
  }
  for (char c : word) {
    const bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
                    c == '_' || c == '$';
    if (!ok) {
      return false;
    }
  }
  return !Among(word, kReservedWords) && !Among(word, kValueGlobals);
}

}  // namespace ci
