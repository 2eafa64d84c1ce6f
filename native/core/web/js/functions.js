// atob and btoa (HTML's forgiving base64), structuredClone (V8's serializer) and
// queueMicrotask: thin checks in script over native work.
(function (natives, use, globals) {
  "use strict";
  // The intrinsics as the context had them before any filtering (core/web/web_globals.h).
  const {Symbol, TypeError} = globals;
  const {DOMException} = use("dom_exception");
  const str = (value) => {
    if (typeof value === "symbol") throw new TypeError("Cannot convert a Symbol to a string");
    return `${value}`;
  };
  function atob(data) {
    if (arguments.length === 0) throw new TypeError("atob needs its data");
    const decoded = natives.atob(str(data));
    if (decoded === null) {
      throw new DOMException("The string to be decoded is not correctly encoded",
                             "InvalidCharacterError");
    }
    return decoded;
  }
  function btoa(data) {
    if (arguments.length === 0) throw new TypeError("btoa needs its data");
    const encoded = natives.btoa(str(data));
    if (encoded === null) {
      throw new DOMException("The string to be encoded contains characters outside of the " +
                             "Latin1 range", "InvalidCharacterError");
    }
    return encoded;
  }
  function structuredClone(value, options = undefined) {
    if (arguments.length === 0) throw new TypeError("structuredClone needs a value");
    if (options !== undefined && options !== null) {
      if (typeof options !== "object" && typeof options !== "function") {
        throw new TypeError("The options must be an object");
      }
      const transfer = options.transfer;
      if (transfer !== undefined) {
        if (transfer === null || typeof transfer !== "object" ||
            typeof transfer[Symbol.iterator] !== "function") {
          throw new TypeError("transfer must be a sequence");
        }
        if ([...transfer].length > 0) {
          throw new DOMException("Transferring objects is not supported in this sandbox",
                                 "DataCloneError");
        }
      }
    }
    return natives.clone(value, DOMException);
  }
  function queueMicrotask(callback) {
    if (typeof callback !== "function") throw new TypeError("queueMicrotask needs a function");
    natives.queueMicrotask(callback);
  }
  return {atob, btoa, structuredClone, queueMicrotask};
})
