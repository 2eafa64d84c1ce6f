// DOMException (WebIDL): an Error by prototype, whose name, message and code are accessors on
// its prototype that refuse anything but a DOMException.
(function (natives, use, globals) {
  "use strict";
  // The intrinsics as the context had them before any filtering (core/web/web_globals.h).
  const {Error, Map, Object, Set, Symbol, TypeError, WeakMap} = globals;
  const codes = [
    ["IndexSizeError", "INDEX_SIZE_ERR"], ["DOMStringSizeError", "DOMSTRING_SIZE_ERR"],
    ["HierarchyRequestError", "HIERARCHY_REQUEST_ERR"], ["WrongDocumentError", "WRONG_DOCUMENT_ERR"],
    ["InvalidCharacterError", "INVALID_CHARACTER_ERR"], ["NoDataAllowedError", "NO_DATA_ALLOWED_ERR"],
    ["NoModificationAllowedError", "NO_MODIFICATION_ALLOWED_ERR"], ["NotFoundError", "NOT_FOUND_ERR"],
    ["NotSupportedError", "NOT_SUPPORTED_ERR"], ["InUseAttributeError", "INUSE_ATTRIBUTE_ERR"],
    ["InvalidStateError", "INVALID_STATE_ERR"], ["SyntaxError", "SYNTAX_ERR"],
    ["InvalidModificationError", "INVALID_MODIFICATION_ERR"], ["NamespaceError", "NAMESPACE_ERR"],
    ["InvalidAccessError", "INVALID_ACCESS_ERR"], ["ValidationError", "VALIDATION_ERR"],
    ["TypeMismatchError", "TYPE_MISMATCH_ERR"], ["SecurityError", "SECURITY_ERR"],
    ["NetworkError", "NETWORK_ERR"], ["AbortError", "ABORT_ERR"],
    ["URLMismatchError", "URL_MISMATCH_ERR"], ["QuotaExceededError", "QUOTA_EXCEEDED_ERR"],
    ["TimeoutError", "TIMEOUT_ERR"], ["InvalidNodeTypeError", "INVALID_NODE_TYPE_ERR"],
    ["DataCloneError", "DATA_CLONE_ERR"],
  ];
  // Names WebIDL took out of the table keep their constants but have code 0.
  const retired = new Set(["DOMStringSizeError", "NoDataAllowedError", "ValidationError"]);
  const codeOf = new Map();
  for (let i = 0; i < codes.length; i++) {
    if (!retired.has(codes[i][0])) codeOf.set(codes[i][0], i + 1);
  }
  const fields = new WeakMap();
  const field = (self, key) => {
    const own = fields.get(self);
    if (own === undefined) throw new TypeError("Illegal invocation: not a DOMException");
    return own[key];
  };
  const toString = (value) => {
    if (typeof value === "symbol") throw new TypeError("Cannot convert a Symbol to a string");
    return `${value}`;
  };
  class DOMException {
    constructor(message = "", name = "Error") {
      fields.set(this, {message: toString(message), name: toString(name)});
      // As V8 gives Error objects; a Node-like stack lets errors print their origin.
      Error.captureStackTrace(this, DOMException);
    }
    get name() { return field(this, "name"); }
    get message() { return field(this, "message"); }
    get code() { return codeOf.get(field(this, "name")) || 0; }
  }
  Object.setPrototypeOf(DOMException.prototype, Error.prototype);
  // One defineProperties call each: defining the constants one by one costs a new context
  // about as much again as all the rest.
  const constants = {};
  for (let i = 0; i < codes.length; i++) {
    constants[codes[i][1]] = {value: i + 1, writable: false, enumerable: true, configurable: false};
  }
  Object.defineProperties(DOMException, constants);
  const proto = DOMException.prototype;
  const accessor = (key) => ({get: Object.getOwnPropertyDescriptor(proto, key).get,
                              enumerable: true, configurable: true});
  constants.name = accessor("name");
  constants.message = accessor("message");
  constants.code = accessor("code");
  Object.defineProperties(proto, constants);
  Object.defineProperty(DOMException.prototype, Symbol.toStringTag,
                        {value: "DOMException", configurable: true});
  return {DOMException};
})
