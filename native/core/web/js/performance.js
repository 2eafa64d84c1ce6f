// performance.now() and timeOrigin (High Resolution Time), coarsened by the native clock to
// 100 microseconds, as browsers coarsen them without cross-origin isolation.
(function (natives, use, globals) {
  "use strict";
  // The intrinsics as the context had them before any filtering (core/web/web_globals.h).
  const {Object, Symbol, TypeError, WeakSet} = globals;
  const {EventTarget} = use("events");
  const creating = Symbol("creating");
  const brands = new WeakSet();
  const check = (self) => {
    if (!brands.has(self)) throw new TypeError("Illegal invocation: not a Performance");
  };
  const timeOrigin = natives.timeOrigin();
  class Performance extends EventTarget {
    constructor(key = undefined) {
      if (key !== creating) throw new TypeError("Illegal constructor");
      super();
      brands.add(this);
    }
    now() {
      check(this);
      return natives.now();
    }
    get timeOrigin() {
      check(this);
      return timeOrigin;
    }
    toJSON() {
      check(this);
      return {timeOrigin};
    }
  }
  for (const key of ["now", "timeOrigin", "toJSON"]) {
    const descriptor = Object.getOwnPropertyDescriptor(Performance.prototype, key);
    descriptor.enumerable = true;
    Object.defineProperty(Performance.prototype, key, descriptor);
  }
  Object.defineProperty(Performance.prototype, Symbol.toStringTag,
                        {value: "Performance", configurable: true});
  return {performance: new Performance(creating)};
})
