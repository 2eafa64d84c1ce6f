#ifndef CODE_INTERPRETER_WORKER_ZYGOTE_H_
#define CODE_INTERPRETER_WORKER_ZYGOTE_H_

namespace ci::worker {

/**
 * `code-interpreter-worker --zygote`: a process that has loaded V8's library and nothing more
 * (one thread, no V8 started, no JavaScript ever), and forks workers on request. Each request
 * on its channel (fd 3, a datagram socket) carries the new worker's channel as two passed
 * descriptors (its doorbell socket and its shared rings); the zygote answers with the worker's pid
 * (negative: an errno). The workers are made with CLONE_PARENT, so they are children of the
 * zygote's parent, which reaps them, and they share the zygote's relocated library pages until they
 * write them. Returns when the parent closes the channel (the exit status), and in each new worker,
 * true.
 */
bool RunZygote(int* exit_status);

}  // namespace ci::worker

#endif  // CODE_INTERPRETER_WORKER_ZYGOTE_H_
