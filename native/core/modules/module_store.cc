#include "core/modules/module_store.h"

#include <utility>

namespace ci {
namespace {

ModuleResolution Fail(std::string error) {
  ModuleResolution resolution;
  resolution.error = std::move(error);
  return resolution;
}

std::string Quoted(std::string_view text) {
  return "'" + std::string(text) + "'";
}

// Collapses "." and ".." segments of an absolute virtual path. False when ".." would climb
// above the root.
bool Normalize(std::string_view path, std::string* normal) {
  std::vector<std::string_view> segments;
  size_t start = 0;
  while (start <= path.size()) {
    size_t end = path.find('/', start);
    if (end == std::string_view::npos) {
      end = path.size();
    }
    std::string_view segment = path.substr(start, end - start);
    if (segment == "..") {
      if (segments.empty()) {
        return false;
      }
      segments.pop_back();
    } else if (!segment.empty() && segment != ".") {
      segments.push_back(segment);
    }
    start = end + 1;
  }
  normal->clear();
  for (std::string_view segment : segments) {
    normal->append("/").append(segment);
  }
  if (normal->empty()) {
    normal->assign("/");
  }
  return true;
}

bool Within(const std::string& path, const std::string& root) {
  return path == root || (path.size() > root.size() && path.compare(0, root.size(), root) == 0 &&
                          path[root.size()] == '/');
}

std::string Dirname(const std::string& path) {
  const size_t slash = path.rfind('/');
  return slash == 0 || slash == std::string::npos ? std::string("/") : path.substr(0, slash);
}

bool IsRelative(std::string_view request) {
  return request == "." || request == ".." || request.rfind("./", 0) == 0 ||
         request.rfind("../", 0) == 0;
}

}  // namespace

int ModuleStore::AddPackage(ModulePackage package) {
  packages_.push_back(std::move(package));
  return static_cast<int>(packages_.size()) - 1;
}

void ModuleStore::AddFile(ModuleFile file) {
  file_index_[file.path] = static_cast<int>(files_.size());
  files_.push_back(std::move(file));
}

void ModuleStore::AddDirectory(std::string path, std::string entry_file) {
  directories_[std::move(path)] = std::move(entry_file);
}

void ModuleStore::Allow(std::string name, int package) {
  allowed_names_.push_back(name);
  allowed_[std::move(name)] = package;
}

int ModuleStore::FileIndex(const std::string& path) const {
  auto found = file_index_.find(path);
  return found == file_index_.end() ? -1 : found->second;
}

bool ModuleStore::IsBuiltin(std::string_view name) const {
  for (const std::string& builtin : builtins_) {
    if (name == builtin) {
      return true;
    }
  }
  return false;
}

ModuleResolution ModuleStore::Resolve(int from_file,
                                      std::string_view request,
                                      RequestKind kind) const {
  if (request.empty()) {
    return Fail("require() needs a module name");
  }
  if (request.find('\0') != std::string_view::npos) {
    return Fail("Cannot require a module name that contains a NUL character");
  }
  if (request.find('\\') != std::string_view::npos) {
    return Fail("Cannot find module " + Quoted(request) + ": backslashes do not separate paths");
  }
  if (IsRelative(request)) {
    if (from_file == kUserCode) {
      return Fail("Cannot require " + Quoted(request) +
                  ": the sandbox's code may require only its allowed modules, by name");
    }
    const ModuleFile& from = files_[from_file];
    const ModulePackage& package = packages_[from.package];
    std::string path;
    if (!Normalize(Dirname(from.path) + "/" + std::string(request), &path) ||
        !Within(path, package.root)) {
      return Fail("Cannot find module " + Quoted(request) + ": it is outside the package " +
                  Quoted(package.name));
    }
    return LoadPath(path, request);
  }
  if (request[0] == '/') {
    return Fail("Cannot require " + Quoted(request) +
                ": paths are not modules in this sandbox; require an allowed module by name");
  }
  if (request[0] == '#') {
    return PackageImport(from_file, request, kind);
  }
  if (from_file != kUserCode) {
    // The package's "browser" field may stand in for a module it names (a built-in, often).
    const ModulePackage& package = packages_[files_[from_file].package];
    auto alias = package.name_aliases.find(std::string(request));
    if (alias != package.name_aliases.end()) {
      return Found(alias->second, request);
    }
  }
  const std::string_view first = request.substr(0, request.find('/'));
  if (request.rfind("node:", 0) == 0 || IsBuiltin(first)) {
    return Fail("Cannot require " + Quoted(request) +
                ": Node's built-in modules are not available in this sandbox");
  }
  if (request.find(':') != std::string_view::npos) {
    return Fail("Cannot require " + Quoted(request) + ": URLs are not modules in this sandbox");
  }
  return Bare(from_file, request, kind);
}

ModuleResolution ModuleStore::PackageImport(int from_file,
                                            std::string_view request,
                                            RequestKind kind) const {
  if (from_file == kUserCode) {
    return Fail("Cannot require " + Quoted(request) +
                ": \"#\" names belong to a package's own \"imports\"");
  }
  const ModulePackage& package = packages_[files_[from_file].package];
  const auto& imports = kind == RequestKind::kImport ? package.import_imports : package.imports;
  auto found = imports.find(std::string(request));
  if (found == imports.end()) {
    return Fail("Package import specifier " + Quoted(request) + " is not defined in " +
                package.name + "/package.json \"imports\"");
  }
  return Found(found->second, request);
}

ModuleResolution ModuleStore::Found(const std::string& path, std::string_view request) const {
  auto alias = file_aliases_.find(path);
  const int file = FileIndex(alias == file_aliases_.end() ? path : alias->second);
  if (file < 0) {
    return Fail("Cannot find module " + Quoted(request));
  }
  ModuleResolution resolution;
  resolution.file = file;
  return resolution;
}

ModuleResolution ModuleStore::Bare(int from_file,
                                   std::string_view request,
                                   RequestKind kind) const {
  size_t name_end = request.find('/');
  if (request[0] == '@' && name_end != std::string_view::npos) {
    name_end = request.find('/', name_end + 1);
  }
  const std::string name(request.substr(0, name_end));
  const std::string sub(name_end == std::string_view::npos ? std::string_view()
                                                           : request.substr(name_end));
  // "pkg/../other" and "pkg/./x" are not subpaths of pkg.
  for (size_t start = 1; start <= sub.size();) {
    size_t end = sub.find('/', start);
    end = end == std::string::npos ? sub.size() : end;
    std::string_view segment = std::string_view(sub).substr(start, end - start);
    if (segment.empty() || segment == "." || segment == "..") {
      return Fail("Cannot find module " + Quoted(request) + ": not a subpath of " + Quoted(name));
    }
    start = end + 1;
  }
  int index = -1;
  if (from_file == kUserCode) {
    auto found = allowed_.find(name);
    if (found == allowed_.end()) {
      std::string allowed;
      for (const std::string& each : allowed_names_) {
        allowed += (allowed.empty() ? "" : ", ") + each;
      }
      return Fail("Cannot require " + Quoted(request) + ": " + Quoted(name) +
                  " is not an allowed module in this sandbox (allowed: " + allowed + ")");
    }
    index = found->second;
  } else {
    const ModulePackage& from = packages_[files_[from_file].package];
    if (name == from.name) {
      index = files_[from_file].package;
    } else {
      auto found = from.dependencies.find(name);
      if (found == from.dependencies.end()) {
        return Fail("Cannot find module " + Quoted(request) + " from package " + Quoted(from.name) +
                    ": it is not among its dependencies");
      }
      index = found->second;
    }
  }
  const ModulePackage& package = packages_[index];
  if (package.has_exports) {
    const std::string key = "." + sub;
    const auto& exports = kind == RequestKind::kImport ? package.import_exports : package.exports;
    auto found = exports.find(key);
    if (found == exports.end()) {
      return Fail("Package subpath " + Quoted(key) + " is not defined by \"exports\" in " +
                  package.name + "/package.json");
    }
    return Found(found->second, request);
  }
  return LoadPath(package.root + sub, request);
}

ModuleResolution ModuleStore::LoadPath(const std::string& path, std::string_view request) const {
  for (const char* extension : {"", ".js", ".json", ".mjs", ".cjs"}) {
    const std::string candidate = path + extension;
    // A "browser" field may replace a file, even one the package does not ship.
    if (FileIndex(candidate) >= 0 || file_aliases_.count(candidate) != 0) {
      return Found(candidate, request);
    }
  }
  auto directory = directories_.find(path);
  if (directory != directories_.end()) {
    return Found(directory->second, request);
  }
  return Fail("Cannot find module " + Quoted(request));
}

}  // namespace ci
