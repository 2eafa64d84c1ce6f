#include "bindings/host_binding.h"

#include <algorithm>
#include <atomic>
#include <cstring>
#include <mutex>
#include <string>
#include <unordered_map>
#include <utility>

#include "bindings/convert/py_to_wire.h"
#include "bindings/convert/wire_to_py.h"
#include "bindings/gil.h"
#include "bindings/host_interrupter.h"

namespace py = pybind11;

namespace ci::bindings {
namespace {

// This thread's execution's exceptions and pending calls (HostErrorScope), or null.
thread_local std::shared_ptr<HostCallRecord>* t_record = nullptr;
// The host functions this thread is inside, outermost first.
thread_local std::vector<const HostFunctions*> t_calls;

// Scalars as Python values, by the wire format's mapping (core/host/host_functions.h).
py::tuple ScalarsToPy(const std::vector<HostScalar>& scalars) {
  using Type = HostScalar::Type;
  py::tuple values(scalars.size());
  for (size_t i = 0; i < scalars.size(); ++i) {
    const HostScalar& scalar = scalars[i];
    PyObject* value = nullptr;
    switch (scalar.type) {
      case Type::kUndefined:
      case Type::kNull:
        value = Py_None;
        Py_INCREF(value);
        break;
      case Type::kFalse:
        value = Py_False;
        Py_INCREF(value);
        break;
      case Type::kTrue:
        value = Py_True;
        Py_INCREF(value);
        break;
      case Type::kInt:
        value = PyLong_FromLongLong(scalar.integer);
        break;
      case Type::kDouble:
        value = PyFloat_FromDouble(scalar.number);
        break;
      case Type::kLatin1:
        value = PyUnicode_DecodeLatin1(scalar.text.data(),
                                       static_cast<Py_ssize_t>(scalar.text.size()), nullptr);
        break;
    }
    if (value == nullptr) {
      throw py::error_already_set();
    }
    PyTuple_SET_ITEM(values.ptr(), static_cast<Py_ssize_t>(i), value);
  }
  return values;
}

// A result of an exact built-in type that needs no wire format; false for anything else.
bool ToScalar(const py::object& result, HostScalar* out) {
  using Type = HostScalar::Type;
  PyObject* value = result.ptr();
  if (value == Py_None) {
    out->type = Type::kNull;
  } else if (value == Py_True || value == Py_False) {
    out->type = value == Py_True ? Type::kTrue : Type::kFalse;
  } else if (PyLong_CheckExact(value)) {
    int overflow = 0;
    const long long integer = PyLong_AsLongLongAndOverflow(value, &overflow);
    if (overflow != 0 || integer > kMaxSafeInteger || integer < -kMaxSafeInteger) {
      return false;  // a BigInt
    }
    out->type = Type::kInt;
    out->integer = integer;
  } else if (PyFloat_CheckExact(value)) {
    out->type = Type::kDouble;
    out->number = PyFloat_AS_DOUBLE(value);
  } else if (PyUnicode_CheckExact(value) && PyUnicode_KIND(value) == PyUnicode_1BYTE_KIND) {
    out->type = Type::kLatin1;
    out->text.assign(reinterpret_cast<const char*>(PyUnicode_1BYTE_DATA(value)),
                     static_cast<size_t>(PyUnicode_GET_LENGTH(value)));
  } else {
    return false;
  }
  return true;
}

// Error ids name host exceptions for __cause__. Unique in the process, so an error that script
// keeps in a persistent context and throws in a later execution never names another
// execution's exception.
std::atomic<uint64_t> last_error_id{0};

// A record keeps only the latest exceptions: a script that catches millions would otherwise
// keep each (with its traceback) for the whole execution.
constexpr size_t kKeptErrors = 64;

// The class name of an exception type, without running Python code: `__name__` is an
// attribute a metaclass may compute (and fail in); tp_name is what the class was made with.
std::string ClassName(PyObject* type) {
  if (type == nullptr || !PyType_Check(type)) {
    return "Error";
  }
  const char* name = reinterpret_cast<PyTypeObject*>(type)->tp_name;
  const char* dot = std::strrchr(name, '.');
  return dot != nullptr ? dot + 1 : name;
}

// str(exception), or a note that it failed; never raises.
std::string Describe(PyObject* value) {
  PyObject* text = value != nullptr ? PyObject_Str(value) : nullptr;
  const char* utf8 = text != nullptr ? PyUnicode_AsUTF8(text) : nullptr;
  std::string described = utf8 != nullptr ? utf8 : "(the exception's str() failed)";
  Py_XDECREF(text);
  PyErr_Clear();
  return described;
}

// Exceptions a host function raises that are not errors of the call but requests to stop the
// program: they end the execution and reach the caller.
bool IsInterrupt(PyObject* type) {
  return PyErr_GivenExceptionMatches(type, PyExc_KeyboardInterrupt) ||
         PyErr_GivenExceptionMatches(type, PyExc_SystemExit);
}

// With the GIL: `error` as the reply to script, kept in `record` for __cause__. Raises nothing
// (it runs inside V8's callback, where an escaping C++ exception ends the process); only a
// thread's forced unwinding at interpreter exit passes through, as it must.
void Fail(py::error_already_set& error, HostReply* reply, HostCallRecord* record) {
  PyObject* type = error.type().ptr();
  const py::object& interrupted = Interrupter::Get().interrupted_class();
  if (!interrupted.is_none() && PyErr_GivenExceptionMatches(type, interrupted.ptr())) {
    reply->kind = HostReply::Kind::kStopped;
    return;
  }
  if (IsInterrupt(type)) {
    reply->kind = HostReply::Kind::kAbort;
    if (record != nullptr && record->interrupt.is_none()) {
      record->interrupt = error.value();
    }
    return;
  }
  reply->kind = HostReply::Kind::kError;
  reply->name = ClassName(type);
  reply->message = Describe(error.value().ptr());
  if (record != nullptr) {
    reply->error_id = ++last_error_id;
    record->errors.emplace_back(reply->error_id, error.value());
    if (record->errors.size() > kKeptErrors) {
      record->errors.pop_front();
    }
  }
}

// With the GIL: a callable's result as the reply to script.
void Answer(const py::object& result, HostReply* reply) {
  reply->kind = HostReply::Kind::kValue;
  reply->scalar = ToScalar(result, &reply->value);
  if (!reply->scalar) {
    reply->wire = PyToWire(result, ConversionLimits(), /*large_dicts=*/false);
  }
}

// With the GIL: the arguments as Python values, or a TypeError reply naming why they cannot be.
bool ArgumentsToPy(const HostArguments& arguments,
                   const std::string& name,
                   py::object* values,
                   HostReply* reply) {
  try {
    *values = arguments.scalar ? ScalarsToPy(arguments.scalars)
                               : WireToPy(arguments.wire, ConversionLimits(), "arguments");
    return true;
  } catch (py::error_already_set& error) {
    reply->kind = HostReply::Kind::kError;
    reply->type_error = true;
    reply->name = "TypeError";
    reply->message = "the arguments of " + name +
                     "() cannot be passed to the host: " + Describe(error.value().ptr());
  }
  return false;
}

// With the GIL: posts the reply of `call` once `future` (a concurrent.futures.Future) is done.
void AwaitLater(const HostCall& call,
                const py::object& future,
                const std::shared_ptr<HostCallRecord>& record) {
  std::shared_ptr<HostCompletionSink> sink = call.completions;
  const uint64_t call_id = call.call_id;
  uint64_t pending_id = 0;
  if (record) {
    pending_id = ++record->last_pending_id;
    record->pending.emplace(pending_id, future);
  }
  future.attr("add_done_callback")(
      py::cpp_function([sink, call_id, record, pending_id](py::object done) {
        HostReply reply;
        try {
          if (done.attr("cancelled")().cast<bool>()) {
            reply.kind = HostReply::Kind::kStopped;
          } else {
            Answer(done.attr("result")(), &reply);
          }
        } catch (py::error_already_set& error) {
          Fail(error, &reply, record.get());
        } catch (const std::exception& error) {
          reply.kind = HostReply::Kind::kError;
          reply.name = "Error";
          reply.message = error.what();
        }
        if (record) {
          record->pending.erase(pending_id);  // done: nothing left to cancel
        }
        sink->Post(call_id, std::move(reply));
      }));
}

class PyHostFunctions final : public HostFunctions {
 public:
  PyHostFunctions(std::vector<std::string> names, py::list callables)
      : names_(std::move(names)), callables_(std::move(callables)) {}

  ~PyHostFunctions() override {
    // Dropped by whichever thread releases the last isolate; the callables need the GIL.
    if (Py_IsInitialized() && !InterpreterIsFinalizing()) {
      PyGILState_STATE state = PyGILState_Ensure();
      callables_ = py::list();
      PyGILState_Release(state);
    } else {
      callables_.release();  // the interpreter is going: leaked rather than touched
    }
  }

  const std::vector<std::string>& names() const override { return names_; }

  HostReply Call(const HostCall& call, size_t index, const HostArguments& arguments) override {
    const void* caller = call.caller;
    HostReply reply;
    if (InterpreterIsFinalizing()) {
      reply.kind = HostReply::Kind::kStopped;
      return reply;
    }
    PyGILState_STATE state = PyGILState_Ensure();
    t_calls.push_back(this);
    std::shared_ptr<HostCallRecord> record = t_record != nullptr ? *t_record : nullptr;
    const uint64_t token = Interrupter::Get().Register();
    {
      std::lock_guard<std::mutex> lock(mutex_);
      running_[caller] = token;
    }
    try {
      py::object values;
      if (ArgumentsToPy(arguments, names_[index], &values, &reply)) {
        py::object result = callables_[index](*values);
        const py::object& pending = Interrupter::Get().pending_class();
        if (!pending.is_none() && PyObject_IsInstance(result.ptr(), pending.ptr()) == 1) {
          AwaitLater(call, result.attr("future"), record);
          reply.kind = HostReply::Kind::kPending;
        } else {
          Answer(result, &reply);
        }
      }
    } catch (py::error_already_set& error) {
      Fail(error, &reply, record.get());
    } catch (py::builtin_exception& error) {
      error.set_error();
      py::error_already_set raised;
      Fail(raised, &reply, record.get());
    } catch (const std::exception& error) {
      reply.kind = HostReply::Kind::kError;
      reply.name = "Error";
      reply.message = error.what();
    }
    {
      std::lock_guard<std::mutex> lock(mutex_);
      running_.erase(caller);
    }
    Interrupter::Get().Unregister(token);  // a request that came too late is dropped
    t_calls.pop_back();
    PyGILState_Release(state);
    return reply;
  }

  void Interrupt(const void* caller) override {
    uint64_t token = 0;
    {
      std::lock_guard<std::mutex> lock(mutex_);
      auto found = running_.find(caller);
      if (found == running_.end()) {
        return;
      }
      token = found->second;
    }
    Interrupter::Get().Request(token);
  }

 private:
  const std::vector<std::string> names_;
  py::list callables_;
  std::mutex mutex_;
  std::unordered_map<const void*, uint64_t> running_;
};

}  // namespace

HostErrorScope::HostErrorScope(const HostFunctions* host) : outer_(t_record) {
  if (host != nullptr) {
    record_ = std::make_shared<HostCallRecord>();
    t_record = &record_;
  }
}

HostErrorScope::~HostErrorScope() {
  if (!record_) {
    return;
  }
  t_record = outer_;
  // Calls still running when their execution ended are not awaited by anyone: cancelled.
  std::unordered_map<uint64_t, py::object> pending;
  pending.swap(record_->pending);  // a cancel runs done callbacks, which erase from the record
  for (auto& [id, future] : pending) {
    try {
      future.attr("cancel")();
    } catch (py::error_already_set&) {
    }
  }
}

py::object HostErrorScope::Take(uint64_t error_id) {
  if (!record_ || error_id == 0) {
    return py::none();
  }
  for (const auto& [id, error] : record_->errors) {
    if (id == error_id) {
      return error;
    }
  }
  return py::none();
}

py::object HostErrorScope::TakeInterrupt() {
  if (!record_) {
    return py::none();
  }
  py::object interrupt = std::move(record_->interrupt);
  record_->interrupt = py::none();
  return interrupt;
}

std::shared_ptr<HostFunctions> MakeHostFunctions(std::vector<std::string> names,
                                                 py::list callables) {
  return std::make_shared<PyHostFunctions>(std::move(names), std::move(callables));
}

bool InHostCallOf(const HostFunctions* host) {
  return host != nullptr && std::find(t_calls.begin(), t_calls.end(), host) != t_calls.end();
}

void RegisterHostFunctions(py::module_& module) {
  module.def("host_interrupt_fd", [] { return Interrupter::Get().read_fd(); });
  module.def("interrupt_host_call", [](uint64_t token) { Interrupter::Get().Interrupt(token); });
  module.def("set_host_interrupted_class",
             [](py::object type) { Interrupter::Get().SetInterruptedClass(std::move(type)); });
  module.def("set_host_pending_class",
             [](py::object type) { Interrupter::Get().SetPendingClass(std::move(type)); });
}

}  // namespace ci::bindings
