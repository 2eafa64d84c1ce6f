#ifndef CODE_INTERPRETER_CORE_CHANNEL_MODULE_STORE_CODEC_H_
#define CODE_INTERPRETER_CORE_CHANNEL_MODULE_STORE_CODEC_H_

#include <memory>

#include "core/channel/message.h"
#include "core/modules/module_store.h"

namespace ci {

// A module store as it crosses to a worker, through the calls that built it (the worker trusts
// its parent, but still reads within bounds).
void PutStore(MessageWriter& out, const ModuleStore& store);
std::shared_ptr<const ModuleStore> TakeStore(MessageReader& in);

}  // namespace ci

#endif  // CODE_INTERPRETER_CORE_CHANNEL_MODULE_STORE_CODEC_H_
