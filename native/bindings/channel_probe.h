#ifndef CODE_INTERPRETER_BINDINGS_CHANNEL_PROBE_H_
#define CODE_INTERPRETER_BINDINGS_CHANNEL_PROBE_H_

#include <pybind11/pybind11.h>

namespace ci::bindings {

// `_core.read_worker_outcome(payload)`, for the tests' fuzzing: what the parent makes of a
// worker's outcome message (the bytes after its type), read and converted exactly as an
// execution's would be. Returns (kind, value or error); a malformed message is a ValueError.
// `_core.read_channel_frames(chunks, pause_us=0, tamper="")`: the messages the parent's end of
// a worker channel takes from the bytes of `chunks`, written into the shared ring by another
// thread one after another; a list of (type, payload), or a ValueError "malformed: ..." for
// bytes it refuses. `tamper` ("written", "read") makes that thread a worker that then lies
// about the ring's counters in the shared memory.
void RegisterChannelProbe(pybind11::module_& module);

}  // namespace ci::bindings

#endif  // CODE_INTERPRETER_BINDINGS_CHANNEL_PROBE_H_
