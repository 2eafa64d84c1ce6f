#ifndef CODE_INTERPRETER_BINDINGS_GIL_H_
#define CODE_INTERPRETER_BINDINGS_GIL_H_

#include <Python.h>
#include <unistd.h>

#include <utility>

namespace ci::bindings {

inline bool InterpreterIsFinalizing() {
#if PY_VERSION_HEX >= 0x030D0000
  return Py_IsFinalizing();
#else
  return _Py_IsFinalizing();
#endif
}

/**
 * Runs `work` with the GIL released. Unlike a scoped release, the GIL is taken back in plain
 * code, never in a destructor: when the interpreter is exiting, Python ends threads that ask
 * for the GIL by unwinding them, which would abort the process from a noexcept destructor.
 * A thread that finishes its work while the interpreter finalizes is parked instead.
 * `work` must not throw.
 */
template <typename Work>
void RunWithoutGil(Work&& work) {
  PyThreadState* state = PyEval_SaveThread();
  std::forward<Work>(work)();
  if (InterpreterIsFinalizing()) {
    for (;;) {
      pause();  // the process is ending; Python objects must not be touched any more
    }
  }
  PyEval_RestoreThread(state);
}

}  // namespace ci::bindings

#endif  // CODE_INTERPRETER_BINDINGS_GIL_H_
