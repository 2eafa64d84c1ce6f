#ifndef CODE_INTERPRETER_WORKER_ZYGOTE_H_
#define CODE_INTERPRETER_WORKER_ZYGOTE_H_

namespace ci::worker {

/**
 * `code-interpreter-worker --zygote`: a process that has loaded V8's library, started V8 and
 * made one isolate that never runs anything, and forks workers on request. It has one thread:
 * V8's background threads are made on first need (core/engine/forkable_platform.h), which in
 * the zygote never comes, so a child inherits no lock half-held. The children share what V8
 * makes once per process (its read-only heap, its tables) instead of each making its own, and
 * each reseeds where V8 places its pages. With V8 12 and later, whose first isolate starts
 * compiler threads of its own, the zygote loads the library only and each worker starts V8.
 *
 * Each request on its channel (fd 3, a datagram socket) carries the new worker's channel as two
 * passed descriptors (its doorbell socket and its shared rings); the zygote answers with the
 * worker's pid (negative: an errno). The workers are made with CLONE_PARENT, so they are
 * children of the zygote's parent, which reaps them, and they share the zygote's pages (the
 * relocated libraries, V8's start) until they write them. Returns when the parent closes the
 * channel (the exit status), and in each new worker, true.
 */
bool RunZygote(int* exit_status);

}  // namespace ci::worker

#endif  // CODE_INTERPRETER_WORKER_ZYGOTE_H_
