// AbortController and AbortSignal (DOM Standard), with abort(), timeout() where the context
// has timers, and any(): a signal made by any() follows the source signals it was given.
(function (natives, use, globals) {
  "use strict";
  // The intrinsics as the context had them before any filtering (core/web/web_globals.h).
  const {Math, Number, Object, Symbol, TypeError, WeakMap} = globals;
  const {DOMException} = use("dom_exception");
  const {Event, EventTarget, internals} = use("events");
  const setTimeout = globals.setTimeout;
  const signals = new WeakMap();
  const creating = Symbol("creating");
  const signalState = (self) => {
    const own = signals.get(self);
    if (own === undefined) throw new TypeError("Illegal invocation: not an AbortSignal");
    return own;
  };
  const abortError = () => new DOMException("This operation was aborted", "AbortError");

  class AbortSignal extends EventTarget {
    constructor(key = undefined) {
      if (key !== creating) throw new TypeError("Illegal constructor");
      super();
      signals.set(this, {aborted: false, reason: undefined, steps: [], handler: null,
                         listening: false, sources: [], dependents: [], dependent: false});
    }
    static abort(reason = undefined) {
      const signal = new AbortSignal(creating);
      const own = signals.get(signal);
      own.aborted = true;
      own.reason = reason === undefined ? abortError() : reason;
      return signal;
    }
    static timeout(milliseconds) {
      const delay = enforceRange(milliseconds);
      if (typeof setTimeout !== "function") {
        throw new DOMException("AbortSignal.timeout needs timers, which this context does not " +
                               "offer", "NotSupportedError");
      }
      const signal = new AbortSignal(creating);
      setTimeout(() => abort(signal, new DOMException("The operation timed out", "TimeoutError")),
                 delay);
      return signal;
    }
    static any(list) {
      if (list === null || typeof list !== "object" && typeof list !== "function" ||
          typeof list[Symbol.iterator] !== "function") {
        throw new TypeError("AbortSignal.any needs a sequence of AbortSignals");
      }
      const given = [...list];
      for (const each of given) signalState(each);
      const result = new AbortSignal(creating);
      const own = signals.get(result);
      for (const each of given) {
        const source = signals.get(each);
        if (source.aborted) {
          own.aborted = true;
          own.reason = source.reason;
          return result;
        }
      }
      own.dependent = true;
      for (const each of given) {
        const source = signals.get(each);
        const roots = source.dependent ? source.sources : [each];
        for (const root of roots) {
          if (own.sources.includes(root)) continue;
          own.sources.push(root);
          signals.get(root).dependents.push(result);
        }
      }
      return result;
    }
    get aborted() { return signalState(this).aborted; }
    get reason() { return signalState(this).reason; }
    throwIfAborted() {
      const own = signalState(this);
      if (own.aborted) throw own.reason;
    }
    get onabort() { return signalState(this).handler; }
    set onabort(value) {
      const own = signalState(this);
      own.handler = typeof value === "function" || (typeof value === "object" && value !== null)
                        ? value : null;
      if (own.handler !== null && !own.listening) {
        own.listening = true;
        EventTarget.prototype.addEventListener.call(this, "abort", function (event) {
          const handler = own.handler;
          if (typeof handler === "function") return handler.call(this, event);
        });
      }
    }
  }
  Object.defineProperty(AbortSignal.prototype, Symbol.toStringTag,
                        {value: "AbortSignal", configurable: true});

  // WebIDL's [EnforceRange] unsigned long long.
  const enforceRange = (value) => {
    const number = Number(value);
    if (!Number.isFinite(number)) throw new TypeError("The timeout must be a finite number");
    const integer = Math.trunc(number);
    if (integer < 0 || integer > Number.MAX_SAFE_INTEGER) {
      throw new TypeError("The timeout is out of range");
    }
    return integer;
  };

  const abort = (signal, reason) => {
    const own = signals.get(signal);
    if (own.aborted) return;
    own.aborted = true;
    own.reason = reason === undefined ? abortError() : reason;
    const dependents = [];
    for (const dependent of own.dependents) {
      const other = signals.get(dependent);
      if (other.aborted) continue;
      other.aborted = true;
      other.reason = own.reason;
      dependents.push(dependent);
    }
    runAbortSteps(signal, own);
    for (const dependent of dependents) runAbortSteps(dependent, signals.get(dependent));
  };
  const runAbortSteps = (signal, own) => {
    const steps = own.steps;
    own.steps = [];
    for (const step of steps) step();
    internals.dispatch(signal, new Event("abort"));
  };
  internals.setSignalHooks((value) => signals.has(value), (signal, step) => {
    signals.get(signal).steps.push(step);
  });

  const controllers = new WeakMap();
  class AbortController {
    constructor() { controllers.set(this, new AbortSignal(creating)); }
    get signal() {
      const signal = controllers.get(this);
      if (signal === undefined) throw new TypeError("Illegal invocation: not an AbortController");
      return signal;
    }
    abort(reason = undefined) { abort(this.signal, reason); }
  }
  Object.defineProperty(AbortController.prototype, Symbol.toStringTag,
                        {value: "AbortController", configurable: true});
  return {AbortController, AbortSignal};
})
