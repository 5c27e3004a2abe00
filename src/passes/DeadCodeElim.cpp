// dce: removes ops whose results nothing uses, and unused constants.
#include "passes/Pass.h"

namespace dnncc {

Status DeadCodeElim::run(Module& m, PassContext&) {
  m.removeDeadCode();
  return Status::ok();
}

} // namespace dnncc
