#include "bindings/cancel_token_binding.h"

namespace py = pybind11;

namespace ci::bindings {

void RegisterCancelToken(py::module_& module) {
  py::class_<PyCancelToken>(module, "CancelToken")
      .def(py::init<>())
      .def("cancel", &PyCancelToken::Cancel)
      .def_property_readonly("cancelled", &PyCancelToken::cancelled);
}

}  // namespace ci::bindings
