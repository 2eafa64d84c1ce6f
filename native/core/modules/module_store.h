#ifndef CODE_INTERPRETER_CORE_MODULES_MODULE_STORE_H_
#define CODE_INTERPRETER_CORE_MODULES_MODULE_STORE_H_

#include <cstdint>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

namespace ci {

/** One package as the sandbox sees it, under its virtual root (`/node_modules/<name>`). */
struct ModulePackage {
  std::string name;
  std::string root;
  // Its package.json "exports", resolved for require ("." or "./sub" -> file), patterns
  // expanded; only when the package has "exports" does it bound what can be loaded.
  bool has_exports = false;
  std::unordered_map<std::string, std::string> exports;
  // The same under the import condition.
  std::unordered_map<std::string, std::string> import_exports;
  // Its package.json "imports" ("#name" -> file), for require and for import.
  std::unordered_map<std::string, std::string> imports;
  std::unordered_map<std::string, std::string> import_imports;
  // Its "browser" field's entries for modules named bare (a Node built-in, usually): name ->
  // the file that stands in (possibly the store's empty module).
  std::unordered_map<std::string, std::string> name_aliases;
  // Its declared dependencies that were found, by name -> package index.
  std::unordered_map<std::string, int> dependencies;
};

/** How a file runs: a CommonJS module body, JSON, or an ES module. */
enum class ModuleFormat : uint8_t { kCommonJs = 0, kJson = 1, kEsModule = 2 };

/** One loadable file: its source, its format and the package it belongs to. */
struct ModuleFile {
  std::string path;  // virtual
  std::string source;
  int package = -1;
  ModuleFormat format = ModuleFormat::kCommonJs;
};

/** What asks for a module: require() (CommonJS conditions) or import (ES module ones). */
enum class RequestKind : uint8_t { kRequire, kImport };

/** Where a require() leads, or why it does not. */
struct ModuleResolution {
  int file = -1;  // index into ModuleStore::files(); -1 with `error` set
  std::string error;
};

/**
 * The packages a sandbox may load, read once when the sandbox is made: a closed, virtual
 * file system. Nothing is read from the host afterwards, so nothing outside these files can
 * ever be reached, whatever a script asks for. Resolution follows Node's rules as they apply
 * inside a package, as a bundler applies them for a browser-like runtime: the conditions and
 * the "browser" field were applied when the tables were made (see _package_exports.py), and
 * relative requests may leave out the extension, for import too. Immutable once built; shared
 * by every isolate of the sandbox.
 */
class ModuleStore {
 public:
  static constexpr int kUserCode = -1;  // the requiring file of the sandbox's own code

  int AddPackage(ModulePackage package);
  void AddFile(ModuleFile file);
  // A folder's entry (package.json "main" or index file), computed when read.
  void AddDirectory(std::string path, std::string entry_file);
  void Allow(std::string name, int package);
  void AddBuiltin(std::string name) { builtins_.push_back(std::move(name)); }
  // A "browser" field's file replacement: a request that leads to `path` gets `replacement`.
  void AddFileAlias(std::string path, std::string replacement) {
    file_aliases_[std::move(path)] = std::move(replacement);
  }

  // `from_file` is the requesting file's index, or kUserCode.
  ModuleResolution Resolve(int from_file,
                           std::string_view request,
                           RequestKind kind = RequestKind::kRequire) const;
  // The file at a virtual path; -1 when there is none.
  int FileIndex(const std::string& path) const;

  const ModuleFile& file(int index) const { return files_[index]; }
  const std::vector<ModuleFile>& files() const { return files_; }
  const std::vector<ModulePackage>& packages() const { return packages_; }
  const std::vector<std::string>& allowed_names() const { return allowed_names_; }
  // The rest of what was added, for copying a store to a worker process.
  const std::unordered_map<std::string, std::string>& directories() const { return directories_; }
  const std::unordered_map<std::string, int>& allowed() const { return allowed_; }
  const std::vector<std::string>& builtins() const { return builtins_; }
  const std::unordered_map<std::string, std::string>& file_aliases() const { return file_aliases_; }

 private:
  ModuleResolution LoadPath(const std::string& path, std::string_view request) const;
  ModuleResolution Bare(int from_file, std::string_view request, RequestKind kind) const;
  ModuleResolution PackageImport(int from_file, std::string_view request, RequestKind kind) const;
  ModuleResolution Found(const std::string& path, std::string_view request) const;
  bool IsBuiltin(std::string_view name) const;

  std::vector<ModulePackage> packages_;
  std::vector<ModuleFile> files_;
  std::unordered_map<std::string, int> file_index_;
  std::unordered_map<std::string, std::string> directories_;
  std::unordered_map<std::string, int> allowed_;
  std::vector<std::string> allowed_names_;
  std::vector<std::string> builtins_;
  std::unordered_map<std::string, std::string> file_aliases_;
};

}  // namespace ci

#endif  // CODE_INTERPRETER_CORE_MODULES_MODULE_STORE_H_
