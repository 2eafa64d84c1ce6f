#include "bindings/channel_probe.h"

#include <pybind11/stl.h>

#include <sys/socket.h>
#include <unistd.h>

#include <chrono>
#include <string>
#include <thread>
#include <vector>

#include "bindings/convert/tree_to_py.h"
#include "bindings/convert/wire_to_py.h"
#include "bindings/errors.h"
#include "core/channel/socket_io.h"
#include "core/channel/worker_messages.h"

namespace py = pybind11;

namespace ci::bindings {
namespace {

// The messages a reader takes from `chunks`, written one after another by another thread with
// `pause_us` between them, until the writer closes: a list of (type, payload).
py::list ReadFrames(const std::vector<std::string>& chunks, bool read_ahead, int pause_us) {
  int ends[2];
  if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, ends) != 0) {
    throw std::runtime_error("socketpair failed");
  }
  std::thread writer([&chunks, pause_us, fd = ends[1]] {
    for (const std::string& chunk : chunks) {
      if (!SendMessage(fd, chunk)) {
        break;  // the reader refused the channel and closed it
      }
      std::this_thread::sleep_for(std::chrono::microseconds(pause_us));
    }
    shutdown(fd, SHUT_WR);
  });
  ChannelReader reader;
  std::vector<std::pair<int, std::string>> frames;
  std::string failure;
  {
    py::gil_scoped_release unlocked;
    try {
      const Clock::time_point deadline = Clock::now() + std::chrono::seconds(10);
      MessageType type;
      std::string payload;
      for (;;) {
        const Received received =
            ReceiveMessage(ends[0], deadline, &type, &payload, read_ahead ? &reader : nullptr);
        if (received == Received::kClosed) {
          break;
        }
        if (received == Received::kTimedOut) {
          failure = "timed out";
          break;
        }
        frames.emplace_back(static_cast<int>(type), payload);
      }
    } catch (const ChannelError& error) {
      failure = std::string("malformed: ") + error.what();
    }
    close(ends[0]);
    writer.join();
    close(ends[1]);
  }
  if (!failure.empty()) {
    throw py::value_error(failure);
  }
  py::list read;
  for (const auto& [type, payload] : frames) {
    read.append(py::make_tuple(type, py::bytes(payload)));
  }
  return read;
}

}  // namespace

void RegisterChannelProbe(py::module_& module) {
  module.def("read_channel_frames", &ReadFrames, py::arg("chunks"), py::arg("read_ahead"),
             py::arg("pause_us") = 0);
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
