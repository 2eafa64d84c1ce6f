#ifndef CODE_INTERPRETER_CORE_REALM_SECURITY_PROFILE_H_
#define CODE_INTERPRETER_CORE_REALM_SECURITY_PROFILE_H_

#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "core/host/host_functions.h"
#include "core/modules/module_store.h"

namespace ci {

/** What each context of a sandbox offers, by security level. Enforced when contexts are made. */
struct SecurityProfile {
  bool timers = false;       // setTimeout / setInterval and their clear functions
  bool webassembly = false;  // the WebAssembly global
  // The web platform globals (core/web/web_globals.h), those of them the allowed globals list
  // when there is such a list.
  bool web_globals = false;
  uint32_t max_timers = 1000;     // live timers at once
  double max_timer_delay_ms = 0;  // 0: no bound beyond the execution's deadline
  // When not empty, every global property not listed here is removed from each context.
  std::vector<std::string> allowed_globals;
  // JSON-like values installed as globals in every context, before the caller's context, in
  // V8's wire format (core/values/wire.h).
  std::shared_ptr<const std::string> custom_globals;
  // The packages `require` may load (core/modules/module_store.h); none when null.
  std::shared_ptr<const ModuleStore> modules;
  // Functions of the embedding program exposed by name (core/host/host_functions.h); none when
  // null.
  std::shared_ptr<HostFunctions> host;
};

}  // namespace ci

#endif  // CODE_INTERPRETER_CORE_REALM_SECURITY_PROFILE_H_
