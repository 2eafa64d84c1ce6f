#include "bindings/module_store_binding.h"

#include <pybind11/stl.h>

#include <map>
#include <optional>
#include <string>
#include <tuple>
#include <utility>
#include <vector>

namespace py = pybind11;

namespace ci::bindings {
namespace {

// (name, root, exports or None, dependencies)
using PackageRow = std::tuple<std::string,
                              std::string,
                              std::optional<std::map<std::string, std::string>>,
                              std::map<std::string, int>>;
// (virtual path, source, package index, is JSON)
using FileRow = std::tuple<std::string, py::bytes, int, bool>;

PyModuleStore Build(const std::vector<PackageRow>& packages,
                    const std::vector<FileRow>& files,
                    const std::map<std::string, std::string>& directories,
                    const std::vector<std::pair<std::string, int>>& allowed,
                    const std::vector<std::string>& builtins) {
  auto store = std::make_shared<ModuleStore>();
  const int package_count = static_cast<int>(packages.size());
  auto check_index = [&](int index) {
    if (index < 0 || index >= package_count) {
      throw py::value_error("package index out of range");
    }
  };
  for (const PackageRow& row : packages) {
    ModulePackage package;
    package.name = std::get<0>(row);
    package.root = std::get<1>(row);
    if (std::get<2>(row)) {
      package.has_exports = true;
      package.exports.insert(std::get<2>(row)->begin(), std::get<2>(row)->end());
    }
    for (const auto& [name, index] : std::get<3>(row)) {
      check_index(index);
      package.dependencies.emplace(name, index);
    }
    store->AddPackage(std::move(package));
  }
  for (const FileRow& row : files) {
    check_index(std::get<2>(row));
    ModuleFile file;
    file.path = std::get<0>(row);
    file.source = std::string(std::get<1>(row));
    file.package = std::get<2>(row);
    file.json = std::get<3>(row);
    store->AddFile(std::move(file));
  }
  for (const auto& [path, entry] : directories) {
    store->AddDirectory(path, entry);
  }
  for (const auto& [name, index] : allowed) {
    check_index(index);
    store->Allow(name, index);
  }
  for (const std::string& name : builtins) {
    store->AddBuiltin(name);
  }
  return PyModuleStore{std::move(store)};
}

}  // namespace

void RegisterModuleStore(py::module_& module) {
  py::class_<PyModuleStore>(module, "ModuleStore")
      .def(py::init(&Build), py::kw_only(), py::arg("packages"), py::arg("files"),
           py::arg("directories"), py::arg("allowed"), py::arg("builtins"))
      .def_property_readonly("file_count",
                             [](const PyModuleStore& self) { return self.store->files().size(); })
      .def("resolve", [](const PyModuleStore& self, int from_file, const std::string& request) {
        ModuleResolution resolution = self.store->Resolve(from_file, request);
        py::tuple answer(2);
        answer[0] = resolution.file < 0
                        ? py::object(py::none())
                        : py::object(py::str(self.store->file(resolution.file).path));
        answer[1] =
            resolution.file < 0 ? py::object(py::str(resolution.error)) : py::object(py::none());
        return answer;
      });
}

}  // namespace ci::bindings
