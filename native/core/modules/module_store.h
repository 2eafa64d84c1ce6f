#ifndef CODE_INTERPRETER_CORE_MODULES_MODULE_STORE_H_
#define CODE_INTERPRETER_CORE_MODULES_MODULE_STORE_H_

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
  // expanded; only when the package has "exports" does it bound what can be required.
  bool has_exports = false;
  std::unordered_map<std::string, std::string> exports;
  // Its declared dependencies that were found, by name -> package index.
  std::unordered_map<std::string, int> dependencies;
};

/** One requirable file: its source and the package it belongs to. */
struct ModuleFile {
  std::string path;  // virtual
  std::string source;
  int package = -1;
  bool json = false;
};

/** Where a require() leads, or why it does not. */
struct ModuleResolution {
  int file = -1;  // index into ModuleStore::files(); -1 with `error` set
  std::string error;
};

/**
 * The packages a sandbox may load, read once when the sandbox is made: a closed, virtual
 * file system. Nothing is read from the host afterwards, so nothing outside these files can
 * ever be reached, whatever a script asks for. Resolution follows Node's CommonJS rules as they
 * apply inside a package. Immutable once built; shared by every isolate of the sandbox.
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

  // `from_file` is the requiring file's index, or kUserCode.
  ModuleResolution Resolve(int from_file, std::string_view request) const;

  const ModuleFile& file(int index) const { return files_[index]; }
  const std::vector<ModuleFile>& files() const { return files_; }
  const std::vector<ModulePackage>& packages() const { return packages_; }
  const std::vector<std::string>& allowed_names() const { return allowed_names_; }
  // The rest of what was added, for copying a store to a worker process.
  const std::unordered_map<std::string, std::string>& directories() const { return directories_; }
  const std::unordered_map<std::string, int>& allowed() const { return allowed_; }
  const std::vector<std::string>& builtins() const { return builtins_; }

 private:
  ModuleResolution LoadPath(const std::string& path, std::string_view request) const;
  ModuleResolution Bare(int from_file, std::string_view request) const;
  int FileIndex(const std::string& path) const;
  bool IsBuiltin(std::string_view name) const;

  std::vector<ModulePackage> packages_;
  std::vector<ModuleFile> files_;
  std::unordered_map<std::string, int> file_index_;
  std::unordered_map<std::string, std::string> directories_;
  std::unordered_map<std::string, int> allowed_;
  std::vector<std::string> allowed_names_;
  std::vector<std::string> builtins_;
};

}  // namespace ci

#endif  // CODE_INTERPRETER_CORE_MODULES_MODULE_STORE_H_
