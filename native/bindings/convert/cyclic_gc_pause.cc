#include "bindings/convert/cyclic_gc_pause.h"

#include <pybind11/pybind11.h>

namespace py = pybind11;

namespace ci::bindings {

CyclicGcPause::CyclicGcPause() {
#if PY_VERSION_HEX >= 0x030A0000
  was_enabled_ = PyGC_Disable() != 0;
#else
  py::module_ gc = py::module_::import("gc");
  was_enabled_ = gc.attr("isenabled")().cast<bool>();
  gc.attr("disable")();
#endif
}

CyclicGcPause::~CyclicGcPause() {
  if (!was_enabled_) {
    return;
  }
#if PY_VERSION_HEX >= 0x030A0000
  PyGC_Enable();
#else
  // A failure here must not escape a destructor; the collector then stays off, as Python
  // itself would leave it after a failed gc.enable().
  PyObject* gc = PyImport_ImportModule("gc");
  if (gc != nullptr) {
    PyObject* done = PyObject_CallMethod(gc, "enable", nullptr);
    Py_XDECREF(done);
    Py_DECREF(gc);
  }
  PyErr_Clear();
#endif
}

}  // namespace ci::bindings
