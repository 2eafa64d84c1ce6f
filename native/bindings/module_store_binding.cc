#include "bindings/module_store_binding.h"

#include <pybind11/stl.h>

#include <map>
#include <optional>
#include <string>
#include <tuple>
#include <unordered_map>
#include <utility>
#include <vector>

namespace py = pybind11;

namespace ci::bindings {
namespace {

using Table = std::map<std::string, std::string>;
// (name, root, exports for require or None, dependencies, the other tables by name:
// import_exports, imports, import_imports, name_aliases)
using PackageRow = std::tuple<std::string,
                              std::string,
                              std::optional<Table>,
                              std::map<std::string, int>,
                              std::map<std::string, Table>>;
// (virtual path, source, package index, format: 0 CommonJS, 1 JSON, 2 ES module)
using FileRow = std::tuple<std::string, py::bytes, int, int>;

void Fill(std::unordered_map<std::string, std::string>* into,
          const std::map<std::string, Table>& tables,
          const char* name) {
  auto found = tables.find(name);
  if (found != tables.end()) {
    into->insert(found->second.begin(), found->second.end());
  }
}

PyModuleStore Build(const std::vector<PackageRow>& packages,
                    const std::vector<FileRow>& files,
                    const std::map<std::string, std::string>& directories,
                    const std::vector<std::pair<std::string, int>>& allowed,
                    const std::vector<std::string>& builtins,
                    const Table& file_aliases) {
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
    const std::map<std::string, Table>& tables = std::get<4>(row);
    for (const auto& [name, table] : tables) {
      if (name != "import_exports" && name != "imports" && name != "import_imports" &&
          name != "name_aliases") {
        throw py::value_error("unknown package table " + name);
      }
    }
    Fill(&package.import_exports, tables, "import_exports");
    Fill(&package.imports, tables, "imports");
    Fill(&package.import_imports, tables, "import_imports");
    Fill(&package.name_aliases, tables, "name_aliases");
    store->AddPackage(std::move(package));
  }
  for (const FileRow& row : files) {
    check_index(std::get<2>(row));
    ModuleFile file;
    file.path = std::get<0>(row);
    file.source = std::string(std::get<1>(row));
    file.package = std::get<2>(row);
    const int format = std::get<3>(row);
    if (format < 0 || format > 2) {
      throw py::value_error("file format out of range");
    }
    file.format = static_cast<ModuleFormat>(format);
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
  for (const auto& [path, replacement] : file_aliases) {
    store->AddFileAlias(path, replacement);
  }
  return PyModuleStore{std::move(store)};
}

}  // namespace

void RegisterModuleStore(py::module_& module) {
  py::class_<PyModuleStore>(module, "ModuleStore")
      .def(py::init(&Build), py::kw_only(), py::arg("packages"), py::arg("files"),
           py::arg("directories"), py::arg("allowed"), py::arg("builtins"),
           py::arg("file_aliases") = Table())
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
