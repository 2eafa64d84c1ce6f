#include "bindings/channel_probe.h"

#include <string>

#include "bindings/convert/tree_to_py.h"
#include "bindings/convert/wire_to_py.h"
#include "bindings/errors.h"
#include "core/channel/worker_messages.h"

namespace py = pybind11;

namespace ci::bindings {

void RegisterChannelProbe(py::module_& module) {
  module.def("read_worker_outcome", [](py::bytes payload) {
    const std::string bytes = payload;
    Outcome outcome;
    PoolStats figures;
    try {
      MessageReader reader(bytes);
      DecodeOutcome(reader, &outcome, &figures);
    } catch (const ChannelError& error) {
      throw py::value_error(std::string("malformed: ") + error.what());
    }
    py::object value;
    if (outcome.kind == OutcomeKind::kValue) {
      value = outcome.wire.empty() ? TreeToPy(outcome.value)
                                   : WireToPy(outcome.wire, ConversionLimits());
    } else {
      value = OutcomeError(outcome, Limits{1000, 128});
    }
    return py::make_tuple(static_cast<int>(outcome.kind), value);
  });
}

}  // namespace ci::bindings
