// TextEncoder and TextDecoder (WHATWG Encoding Standard) for UTF-8 and UTF-16LE/BE: the bytes
// are decoded natively (V8's own UTF-8 decoder); streaming keeps an incomplete sequence at the
// end of a chunk for the next one.
(function (natives, use, globals) {
  "use strict";
  // The intrinsics as the context had them before any filtering (core/web/web_globals.h).
  const {ArrayBuffer, JSON, Map, Object, RangeError, String, Symbol, TypeError, Uint8Array,
         WeakMap} = globals;
  const str = (value) => {
    if (typeof value === "symbol") throw new TypeError("Cannot convert a Symbol to a string");
    return `${value}`;
  };
  const labels = new Map();
  for (const label of ["unicode-1-1-utf-8", "unicode11utf8", "unicode20utf8", "utf-8", "utf8",
                       "x-unicode20utf8"]) labels.set(label, "utf-8");
  for (const label of ["unicodefffe", "utf-16be"]) labels.set(label, "utf-16be");
  for (const label of ["csunicode", "iso-10646-ucs-2", "ucs-2", "unicode", "unicodefeff",
                       "utf-16", "utf-16le"]) labels.set(label, "utf-16le");
  const asciiLower = (text) => text.replace(/[A-Z]/g, (c) => String.fromCharCode(c.charCodeAt(0) + 32));

  const notEncoder = () => new TypeError("Illegal invocation: not a TextEncoder");
  class TextEncoder {
    #brand = true;
    get encoding() {
      if (!(#brand in this)) throw notEncoder();
      return "utf-8";
    }
    encode(input = "") {
      if (!(#brand in this)) throw notEncoder();
      const text = typeof input === "string" ? input : str(input);
      // Allocated by script, so the memory limit refuses it as it would any array.
      const bytes = new Uint8Array(natives.utf8Length(text));
      natives.writeUTF8(text, bytes);
      return bytes;
    }
    encodeInto(source, destination) {
      if (!(#brand in this)) throw notEncoder();
      if (arguments.length < 2) throw new TypeError("encodeInto needs a source and a destination");
      const text = str(source);
      if (!(destination instanceof Uint8Array) && !natives.isUint8Array(destination)) {
        throw new TypeError("The destination must be a Uint8Array");
      }
      const [read, written] = natives.encodeInto(text, destination);
      return {read, written};
    }
  }
  for (const key of ["encoding", "encode", "encodeInto"]) {
    const descriptor = Object.getOwnPropertyDescriptor(TextEncoder.prototype, key);
    descriptor.enumerable = true;
    Object.defineProperty(TextEncoder.prototype, key, descriptor);
  }
  Object.defineProperty(TextEncoder.prototype, Symbol.toStringTag,
                        {value: "TextEncoder", configurable: true});

  const decoders = new WeakMap();
  const decoderState = (self) => {
    const own = decoders.get(self);
    if (own === undefined) throw new TypeError("Illegal invocation: not a TextDecoder");
    return own;
  };
  const bytesOf = (input) => {
    if (input === undefined) return new Uint8Array(0);
    if (natives.isArrayBuffer(input)) return new Uint8Array(input);
    if (ArrayBuffer.isView(input)) {
      return new Uint8Array(input.buffer, input.byteOffset, input.byteLength);
    }
    throw new TypeError("The input must be an ArrayBuffer or a view of one");
  };
  // How many bytes at the end of `bytes` begin a UTF-8 sequence that the next chunk may finish.
  const utf8Incomplete = (bytes) => {
    const end = bytes.length;
    for (let back = 1; back <= 3 && back <= end; back++) {
      const lead = bytes[end - back];
      if (lead >= 0x80 && lead < 0xc0) continue;
      const need = lead >= 0xf0 && lead <= 0xf4 ? 4 : lead >= 0xe0 ? 3 : lead >= 0xc2 ? 2 : 1;
      if (need <= back || lead > 0xf4) return 0;
      if (back >= 2) {
        const second = bytes[end - back + 1];
        const low = lead === 0xe0 ? 0xa0 : lead === 0xf0 ? 0x90 : 0x80;
        const high = lead === 0xed ? 0x9f : lead === 0xf4 ? 0x8f : 0xbf;
        if (second < low || second > high) return 0;
      }
      return back;
    }
    return 0;
  };
  // The same for UTF-16: an odd byte, or a lead surrogate with nothing after it.
  const utf16Incomplete = (bytes, bigEndian) => {
    let keep = bytes.length % 2;
    const end = bytes.length - keep;
    if (end >= 2) {
      const unit = bigEndian ? (bytes[end - 2] << 8) | bytes[end - 1]
                             : (bytes[end - 1] << 8) | bytes[end - 2];
      if (unit >= 0xd800 && unit <= 0xdbff) keep += 2;
    }
    return keep;
  };

  class TextDecoder {
    constructor(label = "utf-8", options = undefined) {
      const name = labels.get(asciiLower(str(label).replace(/^[\t\n\f\r ]+|[\t\n\f\r ]+$/g, "")));
      if (name === undefined) {
        throw new RangeError(`The encoding label ${JSON.stringify(str(label))} is not supported`);
      }
      if (options !== undefined && options !== null && typeof options !== "object" &&
          typeof options !== "function") {
        throw new TypeError("The decoder's options must be an object");
      }
      const fatal = options == null ? false : !!options.fatal;
      const ignoreBOM = options == null ? false : !!options.ignoreBOM;
      decoders.set(this, {encoding: name, fatal, ignoreBOM, pending: null, bomSeen: false});
    }
    get encoding() { return decoderState(this).encoding; }
    get fatal() { return decoderState(this).fatal; }
    get ignoreBOM() { return decoderState(this).ignoreBOM; }
    decode(input = undefined, options = undefined) {
      const own = decoderState(this);
      let bytes = bytesOf(input);
      if (options !== undefined && options !== null && typeof options !== "object" &&
          typeof options !== "function") {
        throw new TypeError("The decode options must be an object");
      }
      const stream = options == null ? false : !!options.stream;
      if (own.pending !== null) {
        const joined = new Uint8Array(own.pending.length + bytes.length);
        joined.set(own.pending);
        joined.set(bytes, own.pending.length);
        bytes = joined;
        own.pending = null;
      } else if (stream) {
        bytes = bytes.slice();  // the caller may change the buffer before the next chunk
      }
      const bigEndian = own.encoding === "utf-16be";
      const utf8 = own.encoding === "utf-8";
      let keep = 0;
      if (stream) keep = utf8 ? utf8Incomplete(bytes) : utf16Incomplete(bytes, bigEndian);
      if (keep > 0) {
        own.pending = bytes.slice(bytes.length - keep);
        bytes = bytes.subarray(0, bytes.length - keep);
      }
      let text;
      try {
        text = utf8 ? natives.decodeUTF8(bytes, own.fatal)
                    : natives.decodeUTF16(bytes, bigEndian, own.fatal);
      } catch (error) {
        own.pending = null;
        own.bomSeen = false;
        throw error;
      }
      if (!own.bomSeen && text.length > 0) {
        own.bomSeen = true;
        if (!own.ignoreBOM && text.charCodeAt(0) === 0xfeff) text = text.slice(1);
      }
      if (!stream) {
        own.bomSeen = false;
        own.pending = null;
      }
      return text;
    }
  }
  for (const key of ["encoding", "fatal", "ignoreBOM", "decode"]) {
    const descriptor = Object.getOwnPropertyDescriptor(TextDecoder.prototype, key);
    descriptor.enumerable = true;
    Object.defineProperty(TextDecoder.prototype, key, descriptor);
  }
  Object.defineProperty(TextDecoder.prototype, Symbol.toStringTag,
                        {value: "TextDecoder", configurable: true});
  return {TextEncoder, TextDecoder};
})
