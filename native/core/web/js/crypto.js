// crypto: getRandomValues and randomUUID from the system's random source, and subtle.digest
// (SHA-1/256/384/512) from OpenSSL. No keys: nothing of the host's key material is reachable.
(function (natives, use, globals) {
  "use strict";
  // The intrinsics as the context had them before any filtering (core/web/web_globals.h).
  const {ArrayBuffer, Map, Object, Promise, Symbol, TypeError, Uint8Array, WeakSet} = globals;
  const {DOMException} = use("dom_exception");
  const digests = new Map([["sha-1", 20], ["sha-256", 32], ["sha-384", 48], ["sha-512", 64]]);
  const creating = Symbol("creating");
  const brands = new WeakSet();
  const check = (self, what) => {
    if (!brands.has(self)) throw new TypeError(`Illegal invocation: not a ${what}`);
  };
  class SubtleCrypto {
    constructor(key = undefined) {
      if (key !== creating) throw new TypeError("Illegal constructor");
      brands.add(this);
    }
    digest(algorithm, data) {
      try {
        check(this, "SubtleCrypto");
        if (arguments.length < 2) throw new TypeError("digest needs an algorithm and data");
        let name = algorithm;
        if (algorithm !== null && typeof algorithm === "object") {
          if (!("name" in algorithm)) throw new TypeError("The algorithm has no name");
          name = algorithm.name;
        }
        name = `${name}`.toLowerCase();
        let bytes;
        if (natives.isArrayBuffer(data)) {
          bytes = new Uint8Array(data);
        } else if (ArrayBuffer.isView(data)) {
          bytes = new Uint8Array(data.buffer, data.byteOffset, data.byteLength);
        } else {
          throw new TypeError("The data must be an ArrayBuffer or a view of one");
        }
        const length = digests.get(name);
        if (length === undefined) {
          throw new DOMException(`Unrecognized algorithm name`, "NotSupportedError");
        }
        const out = new ArrayBuffer(length);
        // Digested at the call, so later changes to the data do not count, as the standard
        // asks of a copy.
        natives.digest(name, bytes, new Uint8Array(out));
        return Promise.resolve(out);
      } catch (error) {
        return Promise.reject(error);
      }
    }
  }
  Object.defineProperty(SubtleCrypto.prototype, Symbol.toStringTag,
                        {value: "SubtleCrypto", configurable: true});
  const subtle = new SubtleCrypto(creating);
  const pool = new Uint8Array(16 * 256);
  let poolAt = pool.length;
  const hex = [];
  for (let i = 0; i < 256; i++) hex.push((i < 16 ? "0" : "") + i.toString(16));
  class Crypto {
    constructor(key = undefined) {
      if (key !== creating) throw new TypeError("Illegal constructor");
      brands.add(this);
    }
    get subtle() {
      check(this, "Crypto");
      return subtle;
    }
    getRandomValues(array) {
      check(this, "Crypto");
      if (arguments.length === 0) throw new TypeError("getRandomValues needs an array");
      if (!natives.isIntegerTypedArray(array)) {
        throw new DOMException("The array must be an integer typed array",
                               "TypeMismatchError");
      }
      if (array.byteLength > 65536) {
        throw new DOMException(`The array's byte length (${array.byteLength}) exceeds the ` +
                               "number of bytes of entropy available (65536)",
                               "QuotaExceededError");
      }
      natives.randomFill(array);
      return array;
    }
    randomUUID() {
      check(this, "Crypto");
      // Random bytes come in batches, a system call per 256 UUIDs instead of one per UUID.
      if (poolAt === pool.length) {
        natives.randomFill(pool);
        poolAt = 0;
      }
      const b = pool;
      const i = poolAt;
      poolAt += 16;
      return hex[b[i]] + hex[b[i + 1]] + hex[b[i + 2]] + hex[b[i + 3]] + "-" +
             hex[b[i + 4]] + hex[b[i + 5]] + "-" + hex[(b[i + 6] & 0x0f) | 0x40] +
             hex[b[i + 7]] + "-" + hex[(b[i + 8] & 0x3f) | 0x80] + hex[b[i + 9]] + "-" +
             hex[b[i + 10]] + hex[b[i + 11]] + hex[b[i + 12]] + hex[b[i + 13]] +
             hex[b[i + 14]] + hex[b[i + 15]];
    }
  }
  for (const key of ["subtle", "getRandomValues", "randomUUID"]) {
    const descriptor = Object.getOwnPropertyDescriptor(Crypto.prototype, key);
    descriptor.enumerable = true;
    Object.defineProperty(Crypto.prototype, key, descriptor);
  }
  Object.defineProperty(Crypto.prototype, Symbol.toStringTag,
                        {value: "Crypto", configurable: true});
  return {crypto: new Crypto(creating)};
})
