#include "core/channel/module_store_codec.h"

#include <cstdint>
#include <string>
#include <unordered_map>

namespace ci {
namespace {

void PutMap(MessageWriter& out, const std::unordered_map<std::string, std::string>& map) {
  out.U32(static_cast<uint32_t>(map.size()));
  for (const auto& [key, value] : map) {
    out.Text(key);
    out.Text(value);
  }
}

constexpr size_t kMaxPath = 4096;

void TakeMap(MessageReader& in, std::unordered_map<std::string, std::string>* map) {
  for (uint32_t k = 0, count = in.Count(16); k < count; ++k) {
    std::string key(in.Text(kMaxPath));
    (*map)[key] = std::string(in.Text(kMaxPath));
  }
}

int TakePackageIndex(MessageReader& in, size_t packages) {
  const int64_t index = in.I64();
  if (index < -1 || index >= static_cast<int64_t>(packages)) {
    throw ChannelError("a module names a package that is not there");
  }
  return static_cast<int>(index);
}

}  // namespace

void PutStore(MessageWriter& out, const ModuleStore& store) {
  out.U32(static_cast<uint32_t>(store.packages().size()));
  for (const ModulePackage& package : store.packages()) {
    out.Text(package.name);
    out.Text(package.root);
    out.Bool(package.has_exports);
    PutMap(out, package.exports);
    PutMap(out, package.import_exports);
    PutMap(out, package.imports);
    PutMap(out, package.import_imports);
    PutMap(out, package.name_aliases);
    out.U32(static_cast<uint32_t>(package.dependencies.size()));
    for (const auto& [name, index] : package.dependencies) {
      out.Text(name);
      out.I64(index);
    }
  }
  out.U32(static_cast<uint32_t>(store.files().size()));
  for (const ModuleFile& file : store.files()) {
    out.Text(file.path);
    out.Text(file.source);
    out.I64(file.package);
    out.U32(static_cast<uint32_t>(file.format));
  }
  PutMap(out, store.directories());
  out.U32(static_cast<uint32_t>(store.allowed_names().size()));
  for (const std::string& name : store.allowed_names()) {  // in the order they were allowed
    out.Text(name);
    out.I64(store.allowed().at(name));
  }
  PutNames(out, store.builtins());
  PutMap(out, store.file_aliases());
}

std::shared_ptr<const ModuleStore> TakeStore(MessageReader& in) {
  constexpr size_t kMaxSource = 64 << 20;
  auto store = std::make_shared<ModuleStore>();
  const uint32_t packages = in.Count(8);
  for (uint32_t i = 0; i < packages; ++i) {
    ModulePackage package;
    package.name = std::string(in.Text(kMaxPath));
    package.root = std::string(in.Text(kMaxPath));
    package.has_exports = in.Bool();
    for (auto* table : {&package.exports, &package.import_exports, &package.imports,
                        &package.import_imports, &package.name_aliases}) {
      TakeMap(in, table);
    }
    for (uint32_t k = 0, count = in.Count(16); k < count; ++k) {
      std::string name(in.Text(kMaxPath));
      package.dependencies[name] = TakePackageIndex(in, packages);
    }
    store->AddPackage(std::move(package));
  }
  for (uint32_t i = 0, count = in.Count(16); i < count; ++i) {
    ModuleFile file;
    file.path = std::string(in.Text(kMaxPath));
    file.source = std::string(in.Text(kMaxSource));
    file.package = TakePackageIndex(in, packages);
    const uint32_t format = in.U32();
    if (format > static_cast<uint32_t>(ModuleFormat::kEsModule)) {
      throw ChannelError("a module file has an unknown format");
    }
    file.format = static_cast<ModuleFormat>(format);
    store->AddFile(std::move(file));
  }
  for (uint32_t i = 0, count = in.Count(16); i < count; ++i) {
    std::string path(in.Text(kMaxPath));
    store->AddDirectory(std::move(path), std::string(in.Text(kMaxPath)));
  }
  for (uint32_t i = 0, count = in.Count(16); i < count; ++i) {
    std::string name(in.Text(kMaxPath));
    store->Allow(std::move(name), TakePackageIndex(in, packages));
  }
  for (std::string& name : TakeNames(in)) {
    store->AddBuiltin(std::move(name));
  }
  std::unordered_map<std::string, std::string> aliases;
  TakeMap(in, &aliases);
  for (auto& [path, replacement] : aliases) {
    store->AddFileAlias(path, replacement);
  }
  return store;
}

}  // namespace ci
