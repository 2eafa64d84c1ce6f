// Node's `process` and `Buffer` as module code sees them (never the sandbox's own code): a
// frozen process with nothing of the host in it, and the buffer package's Buffer
// (native/third_party/buffer).
(function (natives, use, globals) {
  "use strict";
  const {Object, TypeError} = globals;
  const {queueMicrotask} = use("functions");
  // Node runs these before promise reactions; here they are microtasks in order.
  const nextTick = (callback, ...args) => {
    if (typeof callback !== "function") {
      throw new TypeError("process.nextTick takes a function");
    }
    queueMicrotask(() => callback(...args));
  };
  const process = Object.freeze({
    env: Object.freeze({NODE_ENV: "production"}),
    nextTick,
    versions: Object.freeze({}),
    platform: "sandbox",
    argv: Object.freeze([]),
  });
  return {process, Buffer: use("buffer").Buffer};
})
