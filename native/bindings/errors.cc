#include "bindings/errors.h"

#include <cstdio>
#include <string>

namespace py = pybind11;

namespace ci::bindings {
namespace {

// The exception classes live in Python (code_interpreter._errors), so the tree is defined once.
py::object ErrorClass(const char* name) {
  py::module_ errors = py::module_::import("code_interpreter._errors");
  return errors.attr(name);
}

[[noreturn]] void Raise(const py::object& error_class, const py::object& instance) {
  PyErr_SetObject(error_class.ptr(), instance.ptr());
  throw py::error_already_set();
}

[[noreturn]] void RaiseWithMessage(const char* class_name, const std::string& message) {
  py::object error_class = ErrorClass(class_name);
  Raise(error_class, error_class(py::str(message)));
}

std::string FormatMs(double ms) {
  char text[32];
  std::snprintf(text, sizeof(text), "%g", ms);
  return text;
}

py::str Text(const std::string& utf8) {
  return py::reinterpret_steal<py::str>(
      PyUnicode_DecodeUTF8(utf8.data(), static_cast<Py_ssize_t>(utf8.size()), "replace"));
}

}  // namespace

std::string SafeText(py::handle value) {
  py::object text = py::str(value);
  py::object bytes = py::reinterpret_steal<py::object>(
      PyUnicode_AsEncodedString(text.ptr(), "utf-8", "backslashreplace"));
  if (!bytes) {
    PyErr_Clear();
    return "?";
  }
  return std::string(PyBytes_AS_STRING(bytes.ptr()),
                     static_cast<size_t>(PyBytes_GET_SIZE(bytes.ptr())));
}

std::string PathStep(py::handle key, py::handle shown) {
  std::string text = SafeText(key);
  bool plain = !text.empty() && !(text[0] >= '0' && text[0] <= '9');
  for (char c : text) {
    plain = plain && ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
                      c == '_' || c == '$');
  }
  return plain ? "." + text : "[" + std::string(py::repr(shown)) + "]";
}

void RaiseError(const char* name, const std::string& message) {
  RaiseWithMessage(name, message);
}

void RaiseConversionError(const std::string& message) {
  RaiseWithMessage("ConversionError", message);
}

void RaiseSandboxError(const std::string& message) {
  RaiseWithMessage("SandboxError", message);
}

py::object OutcomeError(const Outcome& outcome, const Limits& limits) {
  switch (outcome.kind) {
    case OutcomeKind::kTimeout:
      return ErrorClass("ExecutionTimeout")("execution exceeded its time limit of " +
                                            FormatMs(limits.timeout_ms) + " ms");
    case OutcomeKind::kMemory:
      return ErrorClass("MemoryLimitExceeded")("execution exceeded the memory limit of " +
                                               std::to_string(limits.memory_limit_mb) + " MB");
    case OutcomeKind::kKilled:
      return ErrorClass("SandboxKilled")("the sandbox was killed");
    case OutcomeKind::kCancelled:
      return ErrorClass("SandboxKilled")("the execution was cancelled");
    case OutcomeKind::kInterrupted:
      return ErrorClass("SandboxError")("a host function interrupted the execution");
    case OutcomeKind::kConversionError:
      return ErrorClass("ConversionError")(Text(outcome.detail));
    case OutcomeKind::kUnsettledPromise:
      return ErrorClass("JavaScriptError")(
          "the returned promise never settled: nothing left could settle it",
          py::arg("name") = "Error");
    case OutcomeKind::kWorkerLost:
      return ErrorClass("SandboxError")(Text(outcome.detail));
    case OutcomeKind::kJsError: {
      const JsErrorInfo& error = outcome.error;
      return ErrorClass("JavaScriptError")(
          Text(error.message), py::arg("name") = Text(error.name),
          py::arg("stack") = Text(error.stack),
          py::arg("line_number") =
              error.line > 0 ? py::object(py::int_(error.line)) : py::object(py::none()),
          py::arg("column") =
              error.column > 0 ? py::object(py::int_(error.column)) : py::object(py::none()));
    }
    case OutcomeKind::kValue:
      break;
  }
  return ErrorClass("SandboxError")("internal error: a successful outcome was raised");
}

void RaiseOutcome(const Outcome& outcome, const Limits& limits, const py::object& cause) {
  py::object error = OutcomeError(outcome, limits);
  if (!cause.is_none()) {
    PyException_SetCause(error.ptr(), cause.inc_ref().ptr());  // steals the reference
  }
  Raise(py::reinterpret_borrow<py::object>(reinterpret_cast<PyObject*>(Py_TYPE(error.ptr()))),
        error);
}

}  // namespace ci::bindings
