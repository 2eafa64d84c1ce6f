#include "bindings/quiet_interpret.h"

#include <structmember.h>

#include <cstddef>

#include "bindings/sandbox_binding.h"

namespace py = pybind11;

namespace ci::bindings {
namespace {

// The attribute of a sandbox that holds its QuietPath.
constexpr const char* kStateAttribute = "_quiet_path";

struct QuietPath {
  PyObject ob_base;    // what PyObject_HEAD declares
  PyObject* native;    // the NativeSandbox, kept alive for `sandbox`
  void* sandbox;       // its C++ object
  PyObject* approved;  // a set of code texts
  char quiet;          // a T_BOOL member
};

struct InterpretMethod {
  PyObject ob_base;
  vectorcallfunc vectorcall;
  PyObject* checked;       // the Python method for every call the quiet path does not take
  PyObject* state_name;    // kStateAttribute, interned
  PyObject* raw_name;      // "return_raw_result", interned
  PyObject* context_name;  // "context", interned
};

PyTypeObject* g_quiet_path_type = nullptr;

PyObject* QuietPathNew(PyTypeObject* type, PyObject* args, PyObject* kwargs) {
  PyObject* native = nullptr;
  PyObject* approved = nullptr;
  static const char* names[] = {"native", "approved", nullptr};
  if (!PyArg_ParseTupleAndKeywords(args, kwargs, "OO!:QuietPath", const_cast<char**>(names),
                                   &native, &PySet_Type, &approved)) {
    return nullptr;
  }
  void* sandbox;
  try {
    sandbox = NativeSandboxOf(native);
  } catch (py::cast_error&) {
    PyErr_SetString(PyExc_TypeError, "QuietPath needs a NativeSandbox");
    return nullptr;
  }
  auto* self = reinterpret_cast<QuietPath*>(type->tp_alloc(type, 0));
  if (self == nullptr) {
    return nullptr;
  }
  Py_INCREF(native);
  Py_INCREF(approved);
  self->native = native;
  self->sandbox = sandbox;
  self->approved = approved;
  self->quiet = 0;
  return reinterpret_cast<PyObject*>(self);
}

void QuietPathDealloc(PyObject* object) {
  auto* self = reinterpret_cast<QuietPath*>(object);
  PyTypeObject* type = Py_TYPE(object);
  Py_XDECREF(self->native);
  Py_XDECREF(self->approved);
  type->tp_free(object);
  Py_DECREF(type);  // heap types' instances own a reference to their type
}

PyMemberDef kQuietPathMembers[] = {
    {"quiet", T_BOOL, offsetof(QuietPath, quiet), 0, "nothing to report per call"},
    {nullptr, 0, 0, 0, nullptr}};

// The quiet path's call, or null when it does not apply (with no exception set).
PyObject* TryQuietly(InterpretMethod* method,
                     PyObject* const* args,
                     Py_ssize_t count,
                     PyObject* kwnames,
                     bool* taken) {
  *taken = false;
  if (count < 2 || count > 3 || !PyUnicode_CheckExact(args[1])) {
    return nullptr;
  }
  int raw = 0;
  PyObject* context = count == 3 ? args[2] : Py_None;
  const Py_ssize_t keywords = kwnames == nullptr ? 0 : PyTuple_GET_SIZE(kwnames);
  // Keyword names are compared by identity first: the call site's are interned.
  auto is = [](PyObject* name, PyObject* expected) {
    return name == expected || PyUnicode_Compare(name, expected) == 0;
  };
  for (Py_ssize_t i = 0; i < keywords; ++i) {
    PyObject* name = PyTuple_GET_ITEM(kwnames, i);
    if (is(name, method->raw_name)) {
      raw = PyObject_IsTrue(args[count + i]);
      if (raw < 0) {
        PyErr_Clear();  // the checked method reports it
        return nullptr;
      }
    } else if (count == 2 && is(name, method->context_name)) {
      context = args[count + i];
    } else {
      return nullptr;  // other options, or a context given twice: the checked method's
    }
  }
  PyObject* state = PyObject_GetAttr(args[0], method->state_name);
  if (state == nullptr) {
    PyErr_Clear();
    return nullptr;
  }
  PyObject* result = nullptr;
  if (Py_TYPE(state) == g_quiet_path_type) {
    auto* path = reinterpret_cast<QuietPath*>(state);
    const int approved = path->quiet ? PySet_Contains(path->approved, args[1]) : 0;
    if (approved == 1) {
      *taken = true;
      result = EvaluateQuietly(path->sandbox, args[1], context, raw != 0);
    } else if (approved < 0) {
      PyErr_Clear();  // the checked method scans the code instead
    }
  }
  Py_DECREF(state);
  return result;
}

PyObject* InterpretCall(PyObject* callable,
                        PyObject* const* args,
                        size_t nargsf,
                        PyObject* kwnames) {
  auto* method = reinterpret_cast<InterpretMethod*>(callable);
  bool taken;
  PyObject* result = TryQuietly(method, args, PyVectorcall_NARGS(nargsf), kwnames, &taken);
  if (taken) {
    return result;
  }
  return PyObject_Vectorcall(method->checked, args, nargsf, kwnames);
}

PyObject* InterpretMethodNew(PyTypeObject* type, PyObject* args, PyObject* kwargs) {
  PyObject* checked = nullptr;
  static const char* names[] = {"checked", nullptr};
  if (!PyArg_ParseTupleAndKeywords(args, kwargs, "O:interpret_method", const_cast<char**>(names),
                                   &checked)) {
    return nullptr;
  }
  if (!PyCallable_Check(checked)) {
    PyErr_SetString(PyExc_TypeError, "interpret_method needs a callable");
    return nullptr;
  }
  auto* self = reinterpret_cast<InterpretMethod*>(type->tp_alloc(type, 0));
  if (self == nullptr) {
    return nullptr;
  }
  self->vectorcall = InterpretCall;
  Py_INCREF(checked);
  self->checked = checked;
  self->state_name = PyUnicode_InternFromString(kStateAttribute);
  self->raw_name = PyUnicode_InternFromString("return_raw_result");
  self->context_name = PyUnicode_InternFromString("context");
  if (self->state_name == nullptr || self->raw_name == nullptr || self->context_name == nullptr) {
    Py_DECREF(self);
    return nullptr;
  }
  return reinterpret_cast<PyObject*>(self);
}

void InterpretMethodDealloc(PyObject* object) {
  auto* self = reinterpret_cast<InterpretMethod*>(object);
  PyTypeObject* type = Py_TYPE(object);
  Py_XDECREF(self->checked);
  Py_XDECREF(self->state_name);
  Py_XDECREF(self->raw_name);
  Py_XDECREF(self->context_name);
  type->tp_free(object);
  Py_DECREF(type);
}

// As a function's: on an instance, a bound method; on the class, the descriptor itself.
PyObject* InterpretMethodGet(PyObject* self, PyObject* instance, PyObject*) {
  if (instance == nullptr || instance == Py_None) {
    Py_INCREF(self);
    return self;
  }
  return PyMethod_New(self, instance);
}

// help(), inspect.signature() and the like see the checked method.
PyObject* CheckedAttribute(PyObject* self, void* name) {
  PyObject* checked = reinterpret_cast<InterpretMethod*>(self)->checked;
  if (name == nullptr) {
    Py_INCREF(checked);
    return checked;
  }
  return PyObject_GetAttrString(checked, static_cast<const char*>(name));
}

PyGetSetDef kInterpretMethodGetSet[] = {
    {"__wrapped__", CheckedAttribute, nullptr, nullptr, nullptr},
    {"__doc__", CheckedAttribute, nullptr, nullptr, const_cast<char*>("__doc__")},
    {"__name__", CheckedAttribute, nullptr, nullptr, const_cast<char*>("__name__")},
    {"__qualname__", CheckedAttribute, nullptr, nullptr, const_cast<char*>("__qualname__")},
    {"__module__", CheckedAttribute, nullptr, nullptr, const_cast<char*>("__module__")},
    {nullptr, nullptr, nullptr, nullptr, nullptr}};

PyMemberDef kInterpretMethodMembers[] = {
    {"__vectorcalloffset__", T_PYSSIZET, offsetof(InterpretMethod, vectorcall), READONLY, nullptr},
    {nullptr, 0, 0, 0, nullptr}};

PyObject* MakeType(PyType_Spec* spec) {
  PyObject* type = PyType_FromSpec(spec);
  if (type == nullptr) {
    throw py::error_already_set();
  }
  return type;
}

}  // namespace

void RegisterQuietInterpret(py::module_& module) {
  static PyType_Slot quiet_path_slots[] = {
      {Py_tp_new, reinterpret_cast<void*>(QuietPathNew)},
      {Py_tp_dealloc, reinterpret_cast<void*>(QuietPathDealloc)},
      {Py_tp_members, kQuietPathMembers},
      {Py_tp_doc, const_cast<char*>("QuietPath(native, approved): a sandbox's quiet-path state")},
      {0, nullptr}};
  static PyType_Spec quiet_path_spec = {"code_interpreter._core.QuietPath", sizeof(QuietPath), 0,
                                        Py_TPFLAGS_DEFAULT, quiet_path_slots};
  static PyType_Slot method_slots[] = {
      {Py_tp_new, reinterpret_cast<void*>(InterpretMethodNew)},
      {Py_tp_dealloc, reinterpret_cast<void*>(InterpretMethodDealloc)},
      {Py_tp_call, reinterpret_cast<void*>(PyVectorcall_Call)},
      {Py_tp_descr_get, reinterpret_cast<void*>(InterpretMethodGet)},
      {Py_tp_getset, kInterpretMethodGetSet},
      {Py_tp_members, kInterpretMethodMembers},
      {0, nullptr}};
  static PyType_Spec method_spec = {
      "code_interpreter._core.interpret_method", sizeof(InterpretMethod), 0,
      Py_TPFLAGS_DEFAULT | Py_TPFLAGS_METHOD_DESCRIPTOR | Py_TPFLAGS_HAVE_VECTORCALL, method_slots};
  PyObject* quiet_path = MakeType(&quiet_path_spec);
  g_quiet_path_type = reinterpret_cast<PyTypeObject*>(quiet_path);  // the module keeps it alive
  module.attr("QuietPath") = py::reinterpret_steal<py::object>(quiet_path);
  module.attr("interpret_method") = py::reinterpret_steal<py::object>(MakeType(&method_spec));
}

}  // namespace ci::bindings
