#ifndef CODE_INTERPRETER_BINDINGS_MODULE_STORE_BINDING_H_
#define CODE_INTERPRETER_BINDINGS_MODULE_STORE_BINDING_H_

#include <pybind11/pybind11.h>

#include <memory>

#include "core/modules/module_store.h"

namespace ci::bindings {

/** `_core.ModuleStore`: the packages a sandbox may require, as read by code_interpreter._modules.
 */
struct PyModuleStore {
  std::shared_ptr<const ModuleStore> store;
};

void RegisterModuleStore(pybind11::module_& module);

}  // namespace ci::bindings

#endif  // CODE_INTERPRETER_BINDINGS_MODULE_STORE_BINDING_H_
