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
#include "core/channel/channel_end.h"
#include "core/channel/worker_messages.h"

namespace py = pybind11;

namespace ci::bindings {
namespace {

// The messages the parent's end takes from `chunks`, written into the worker's ring one after
// another by another thread with `pause_us` between them, until that thread closes its end: a
// list of (type, payload). `tamper` makes the other thread a worker that lies in the shared
// memory after its chunks: "written" claims bytes it never wrote, "read" claims to have read
// bytes the parent never sent (found by the parent's next send).
py::list ReadFrames(const std::vector<std::string>& chunks,
                    int pause_us,
                    const std::string& tamper) {
  int ends[2];
  if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, ends) != 0) {
    throw std::runtime_error("socketpair failed");
  }
  int memory = -1;
  ChannelEnd parent(SharedRegion::Create(&memory), ends[0], ChannelSide::kParent);
  ChannelEnd worker(SharedRegion::Map(memory), ends[1], ChannelSide::kWorker);
  const SharedRegion raw = SharedRegion::Map(memory);  // what a hostile worker writes into
  close(memory);
  std::thread writer([&] {
    for (const std::string& chunk : chunks) {
      if (!worker.Send(chunk)) {
        break;  // the reader refused the channel and closed it
      }
      std::this_thread::sleep_for(std::chrono::microseconds(pause_us));
    }
    if (tamper == "written") {
      auto* ring = reinterpret_cast<RingControl*>(raw.outgoing(ChannelSide::kWorker));
      ring->written.fetch_add(kRingBytes + 1);
      const char bell = 0;
      send(ends[1], &bell, 1, MSG_NOSIGNAL);
    } else if (tamper == "read") {
      auto* ring = reinterpret_cast<RingControl*>(raw.incoming(ChannelSide::kWorker));
      ring->read.store(0x40000000);
    }
    shutdown(ends[1], SHUT_WR);
  });
  std::vector<std::pair<int, std::string>> frames;
  std::string failure;
  {
    py::gil_scoped_release unlocked;
    try {
      const Clock::time_point deadline = Clock::now() + std::chrono::seconds(10);
      MessageType type;
      std::string payload;
      for (;;) {
        const Received received = parent.Receive(deadline, &type, &payload);
        if (received == Received::kClosed) {
          break;
        }
        if (received == Received::kTimedOut) {
          failure = "timed out";
          break;
        }
        frames.emplace_back(static_cast<int>(type), payload);
      }
      if (tamper == "read") {
        parent.Send(MessageWriter(MessageType::kExecute).Finish());
      }
    } catch (const ChannelError& error) {
      failure = std::string("malformed: ") + error.what();
    }
    shutdown(ends[0], SHUT_RDWR);
    writer.join();
    close(ends[0]);
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
  module.def("read_channel_frames", &ReadFrames, py::arg("chunks"), py::arg("pause_us") = 0,
             py::arg("tamper") = "");
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
