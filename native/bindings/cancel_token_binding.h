#ifndef CODE_INTERPRETER_BINDINGS_CANCEL_TOKEN_BINDING_H_
#define CODE_INTERPRETER_BINDINGS_CANCEL_TOKEN_BINDING_H_

#include <pybind11/pybind11.h>

#include <memory>

#include "core/engine/cancel_token.h"

namespace ci::bindings {

/** Lets Python cancel one execution (see core/engine/cancel_token.h). */
class PyCancelToken {
 public:
  PyCancelToken() : token_(std::make_shared<CancelToken>()) {}
  void Cancel() { token_->Cancel(); }
  bool cancelled() const { return token_->cancelled(); }
  CancelToken* get() const { return token_.get(); }

 private:
  std::shared_ptr<CancelToken> token_;
};

// `_core.CancelToken`.
void RegisterCancelToken(pybind11::module_& module);

}  // namespace ci::bindings

#endif  // CODE_INTERPRETER_BINDINGS_CANCEL_TOKEN_BINDING_H_
