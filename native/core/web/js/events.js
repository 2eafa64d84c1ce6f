// Event, CustomEvent and EventTarget (DOM Standard) for targets without a tree: dispatch reaches
// the target only. Internal state sits in WeakMaps, so script sees only the spec's members.
(function (natives, use, globals) {
  "use strict";
  // The intrinsics as the context had them before any filtering (core/web/web_globals.h).
  const {Error, Map, Object, String, Symbol, TypeError, WeakMap} = globals;
  const {DOMException} = use("dom_exception");
  const events = new WeakMap();
  const NONE = 0, CAPTURING_PHASE = 1, AT_TARGET = 2, BUBBLING_PHASE = 3;
  const str = (value) => {
    if (typeof value === "symbol") throw new TypeError("Cannot convert a Symbol to a string");
    return `${value}`;
  };
  const dictionary = (value, what) => {
    if (value === undefined || value === null) return {};
    if (typeof value !== "object" && typeof value !== "function") {
      throw new TypeError(`${what} must be an object`);
    }
    return value;
  };
  const state = (self) => {
    const own = events.get(self);
    if (own === undefined) throw new TypeError("Illegal invocation: not an Event");
    return own;
  };
  class Event {
    constructor(type, init = undefined) {
      if (arguments.length === 0) throw new TypeError("The event type must be given");
      const options = dictionary(init, "The event's options");
      const bubbles = !!options.bubbles, cancelable = !!options.cancelable;
      const composed = !!options.composed;
      events.set(this, {
        type: str(type), bubbles, cancelable, composed, target: null, currentTarget: null,
        phase: NONE, stop: false, stopNow: false, canceled: false, passive: false,
        dispatching: false, initialized: true, trusted: false, timeStamp: natives.now(),
      });
      // isTrusted is an own unforgeable accessor of each event.
      Object.defineProperty(this, "isTrusted", {get: isTrusted, enumerable: true,
                                                configurable: false});
    }
    get type() { return state(this).type; }
    get target() { return state(this).target; }
    get srcElement() { return state(this).target; }
    get currentTarget() { return state(this).currentTarget; }
    composedPath() {
      const own = state(this);
      return own.currentTarget === null ? [] : [own.currentTarget];
    }
    get eventPhase() { return state(this).phase; }
    stopPropagation() { state(this).stop = true; }
    get cancelBubble() { return state(this).stop; }
    set cancelBubble(value) { if (value) state(this).stop = true; }
    stopImmediatePropagation() {
      const own = state(this);
      own.stop = own.stopNow = true;
    }
    get bubbles() { return state(this).bubbles; }
    get cancelable() { return state(this).cancelable; }
    get returnValue() { return !state(this).canceled; }
    set returnValue(value) { if (!value) cancel(state(this)); }
    preventDefault() { cancel(state(this)); }
    get defaultPrevented() { return state(this).canceled; }
    get composed() { return state(this).composed; }
    get timeStamp() { return state(this).timeStamp; }
    initEvent(type, bubbles = false, cancelable = false) {
      if (arguments.length === 0) throw new TypeError("The event type must be given");
      const own = state(this);
      if (own.dispatching) return;
      Object.assign(own, {type: str(type), bubbles: !!bubbles, cancelable: !!cancelable,
                          stop: false, stopNow: false, canceled: false, target: null});
    }
  }
  const {get: isTrusted} = Object.getOwnPropertyDescriptor(
      {get isTrusted() { return state(this).trusted; }}, "isTrusted");
  const cancel = (own) => {
    if (own.cancelable && !own.passive) own.canceled = true;
  };
  const constant = {writable: false, enumerable: true, configurable: false};
  [["NONE", NONE], ["CAPTURING_PHASE", CAPTURING_PHASE], ["AT_TARGET", AT_TARGET],
   ["BUBBLING_PHASE", BUBBLING_PHASE]].forEach(([name, value]) => {
    Object.defineProperty(Event, name, {...constant, value});
    Object.defineProperty(Event.prototype, name, {...constant, value});
  });
  Object.defineProperty(Event.prototype, Symbol.toStringTag, {value: "Event", configurable: true});

  const details = new WeakMap();
  class CustomEvent extends Event {
    constructor(type, init = undefined) {
      if (arguments.length === 0) throw new TypeError("The event type must be given");
      super(type, init);
      const options = dictionary(init, "The event's options");
      details.set(this, options.detail === undefined ? null : options.detail);
    }
    get detail() {
      if (!details.has(this)) throw new TypeError("Illegal invocation: not a CustomEvent");
      return details.get(this);
    }
    initCustomEvent(type, bubbles = false, cancelable = false, detail = null) {
      if (arguments.length === 0) throw new TypeError("The event type must be given");
      if (!details.has(this)) throw new TypeError("Illegal invocation: not a CustomEvent");
      if (state(this).dispatching) return;
      this.initEvent(type, bubbles, cancelable);
      details.set(this, detail);
    }
  }
  Object.defineProperty(CustomEvent.prototype, Symbol.toStringTag,
                        {value: "CustomEvent", configurable: true});

  // Each target's listeners by type, in order; a removed listener is marked so that a dispatch
  // in progress skips it.
  const listeners = new WeakMap();
  // removeEventListener reads only `capture` of its options.
  const captureOf = (options) => {
    if (options === undefined || options === null ||
        (typeof options !== "object" && typeof options !== "function")) {
      return !!options;
    }
    return !!options.capture;
  };
  const listenerOptions = (options) => {
    if (typeof options === "boolean" || options === undefined || options === null ||
        (typeof options !== "object" && typeof options !== "function")) {
      return {capture: !!options, once: false, passive: null, signal: null};
    }
    const capture = !!options.capture, once = !!options.once;
    const passive = "passive" in options ? !!options.passive : null;
    const signal = options.signal;
    if (signal !== undefined && !isSignal(signal)) {
      throw new TypeError("The listener's signal must be an AbortSignal");
    }
    return {capture, once, passive, signal: signal === undefined ? null : signal};
  };
  // Filled in by the abort group, which builds on this one.
  let isSignal = () => false;
  let onAbort = () => {};
  const ownListeners = (target) => {
    if (!listeners.has(target)) throw new TypeError("Illegal invocation: not an EventTarget");
    return listeners.get(target);
  };
  const checkTarget = (value) => {
    if (value === undefined || value === null) return globalThis;
    return value;
  };
  const listenerOf = (value) => {
    if (value === null || value === undefined) return null;
    if (typeof value !== "object" && typeof value !== "function") {
      throw new TypeError("The listener must be an object or a function");
    }
    return value;
  };
  const removeEntry = (map, type, entry) => {
    const list = map.get(type);
    const index = list ? list.indexOf(entry) : -1;
    if (index >= 0) {
      entry.removed = true;
      map.set(type, [...list.slice(0, index), ...list.slice(index + 1)]);
    }
  };
  class EventTarget {
    constructor() { listeners.set(this, new Map()); }
    addEventListener(type, callback, options = undefined) {
      if (arguments.length < 2) throw new TypeError("addEventListener needs a type and a listener");
      const map = ownListeners(checkTarget(this));
      type = str(type);
      const flags = listenerOptions(options);
      callback = listenerOf(callback);
      if (flags.signal !== null && flags.signal.aborted) return;
      if (callback === null) return;
      const list = map.get(type) || [];
      if (list.some((e) => e.callback === callback && e.capture === flags.capture)) return;
      const entry = {callback, capture: flags.capture, once: flags.once,
                     passive: flags.passive === null ? false : flags.passive, removed: false};
      map.set(type, [...list, entry]);
      if (flags.signal !== null) {
        onAbort(flags.signal, () => removeEntry(map, type, entry));
      }
    }
    removeEventListener(type, callback, options = undefined) {
      if (arguments.length < 2) {
        throw new TypeError("removeEventListener needs a type and a listener");
      }
      const map = ownListeners(checkTarget(this));
      type = str(type);
      const capture = captureOf(options);
      callback = listenerOf(callback);
      const entry = (map.get(type) || []).find(
          (e) => e.callback === callback && e.capture === capture);
      if (entry !== undefined) removeEntry(map, type, entry);
    }
    dispatchEvent(event) {
      if (arguments.length === 0) throw new TypeError("dispatchEvent needs an event");
      const map = ownListeners(checkTarget(this));
      const own = events.get(event);
      if (own === undefined) throw new TypeError("dispatchEvent needs an Event");
      if (own.dispatching || !own.initialized) {
        throw new DOMException("The event is already being dispatched", "InvalidStateError");
      }
      return dispatch(this, map, event, own);
    }
  }
  Object.defineProperty(EventTarget.prototype, Symbol.toStringTag,
                        {value: "EventTarget", configurable: true});

  // An exception in a listener does not stop the dispatch: it is reported on the console, as
  // a browser reports it, with the console the context had when events were first used.
  const console = globals.console;
  const report = (error) => {
    try {
      console.error(`Uncaught ${error instanceof Error ? error.stack : String(error)}`);
    } catch (ignored) {
      // A console that cannot print the error loses it, as a closed page would.
    }
  };
  const dispatch = (target, map, event, own) => {
    own.dispatching = true;
    own.target = target;
    own.currentTarget = target;
    own.phase = AT_TARGET;
    // Capturing listeners first, then the others, as at the target of a tree.
    for (const capturing of [true, false]) {
      if (own.stop) break;
      const list = map.get(own.type);
      if (list === undefined) continue;
      for (const entry of list) {
        if (entry.removed || entry.capture !== capturing) continue;
        if (entry.once) removeEntry(map, own.type, entry);
        own.passive = entry.passive;
        const callback = entry.callback;
        try {
          if (typeof callback === "function") {
            callback.call(target, event);
          } else {
            const handle = callback.handleEvent;
            if (typeof handle !== "function") {
              throw new TypeError("The listener has no handleEvent method");
            }
            handle.call(callback, event);
          }
        } catch (error) {
          report(error);
        }
        own.passive = false;
        if (own.stopNow) break;
      }
    }
    own.dispatching = false;
    own.phase = NONE;
    own.currentTarget = null;
    own.stop = own.stopNow = false;
    return !own.canceled;
  };

  return {
    Event, CustomEvent, EventTarget,
    // For the abort group: events it dispatches itself, and the listeners' signals.
    internals: {
      setSignalHooks(check, attach) { isSignal = check; onAbort = attach; },
      // An event the platform itself fires, hence trusted.
      dispatch(target, event) {
        const own = events.get(event);
        own.trusted = true;
        return dispatch(target, ownListeners(target), event, own);
      },
    },
  };
})
