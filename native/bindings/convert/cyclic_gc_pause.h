#ifndef CODE_INTERPRETER_BINDINGS_CONVERT_CYCLIC_GC_PAUSE_H_
#define CODE_INTERPRETER_BINDINGS_CONVERT_CYCLIC_GC_PAUSE_H_

namespace ci::bindings {

/**
 * Python's cyclic collector switched off while this lives, and back on after if it was on.
 * Building thousands of containers that all stay reachable would otherwise trigger
 * collections that free nothing. Python 3.10 has a C API for it; older versions go through
 * the gc module. Create and destroy with the GIL held.
 */
class CyclicGcPause {
 public:
  CyclicGcPause();
  ~CyclicGcPause();
  CyclicGcPause(const CyclicGcPause&) = delete;
  CyclicGcPause& operator=(const CyclicGcPause&) = delete;

 private:
  bool was_enabled_;
};

}  // namespace ci::bindings

#endif  // CODE_INTERPRETER_BINDINGS_CONVERT_CYCLIC_GC_PAUSE_H_
