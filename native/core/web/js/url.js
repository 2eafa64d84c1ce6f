// URL and URLSearchParams (WHATWG URL Standard) over a native parser (ada): each URL keeps the
// parser's components; a setter asks the parser for the URL with that one component changed.
(function (natives, use, globals) {
  "use strict";
  // The intrinsics as the context had them before any filtering (core/web/web_globals.h).
  const {Map, Object, Reflect, Symbol, TypeError, WeakMap} = globals;
  const HREF = 0, ORIGIN = 1, PROTOCOL = 2, USERNAME = 3, PASSWORD = 4, HOST = 5, HOSTNAME = 6,
        PORT = 7, PATHNAME = 8, SEARCH = 9, HASH = 10;
  const str = (value) => {
    if (typeof value === "symbol") throw new TypeError("Cannot convert a Symbol to a string");
    return `${value}`;
  };
  // USVString conversion: a lone surrogate becomes U+FFFD.
  const loneSurrogate = /[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/g;
  const toUSV = (text) => (/[\uD800-\uDFFF]/.test(text) ? text.replace(loneSurrogate, "\uFFFD")
                                                       : text);
  const urls = new WeakMap();
  const paramsOf = new WeakMap();
  const urlState = (self) => {
    const own = urls.get(self);
    if (own === undefined) throw new TypeError("Illegal invocation: not a URL");
    return own;
  };
  const parse = (input, base) => {
    const parts = natives.parseURL(str(input), base === undefined ? undefined : str(base));
    if (parts === null) throw new TypeError(`Invalid URL: ${str(input)}`);
    return parts;
  };

  class URL {
    constructor(url, base = undefined) {
      if (arguments.length === 0) throw new TypeError("The URL must be given");
      urls.set(this, {parts: parse(url, base), params: null});
    }
    static parse(url, base = undefined) {
      if (arguments.length === 0) throw new TypeError("The URL must be given");
      const parts = natives.parseURL(str(url), base === undefined ? undefined : str(base));
      if (parts === null) return null;
      const parsed = Object.create(URL.prototype);
      urls.set(parsed, {parts, params: null});
      return parsed;
    }
    static canParse(url, base = undefined) {
      if (arguments.length === 0) throw new TypeError("The URL must be given");
      return natives.parseURL(str(url), base === undefined ? undefined : str(base)) !== null;
    }
    get href() { return urlState(this).parts[HREF]; }
    set href(value) {
      const own = urlState(this);
      own.parts = parse(value, undefined);
      if (own.params !== null) setList(own.params, parseQuery(own.parts[SEARCH]));
    }
    get origin() { return urlState(this).parts[ORIGIN]; }
    get protocol() { return urlState(this).parts[PROTOCOL]; }
    set protocol(value) { update(this, PROTOCOL, value); }
    get username() { return urlState(this).parts[USERNAME]; }
    set username(value) { update(this, USERNAME, value); }
    get password() { return urlState(this).parts[PASSWORD]; }
    set password(value) { update(this, PASSWORD, value); }
    get host() { return urlState(this).parts[HOST]; }
    set host(value) { update(this, HOST, value); }
    get hostname() { return urlState(this).parts[HOSTNAME]; }
    set hostname(value) { update(this, HOSTNAME, value); }
    get port() { return urlState(this).parts[PORT]; }
    set port(value) { update(this, PORT, value); }
    get pathname() { return urlState(this).parts[PATHNAME]; }
    set pathname(value) { update(this, PATHNAME, value); }
    get search() { return urlState(this).parts[SEARCH]; }
    set search(value) {
      const own = urlState(this);
      update(this, SEARCH, value);
      if (own.params !== null) setList(own.params, parseQuery(own.parts[SEARCH]));
    }
    get searchParams() {
      const own = urlState(this);
      if (own.params === null) {
        own.params = new URLSearchParams();
        paramsOf.get(own.params).list = parseQuery(own.parts[SEARCH]);
        paramsOf.get(own.params).url = this;
      }
      return own.params;
    }
    get hash() { return urlState(this).parts[HASH]; }
    set hash(value) { update(this, HASH, value); }
    toString() { return urlState(this).parts[HREF]; }
    toJSON() { return urlState(this).parts[HREF]; }
  }
  // A URL's query (its search without the "?") as a list.
  const parseQuery = (search) => natives.parseQuery(search.startsWith("?") ? search.slice(1) : search);
  const update = (url, component, value) => {
    const own = urlState(url);
    const parts = natives.setURL(own.parts[HREF], component, str(value));
    if (parts !== null) own.parts = parts;
  };
  for (const key of ["href", "origin", "protocol", "username", "password", "host", "hostname",
                     "port", "pathname", "search", "searchParams", "hash", "toString", "toJSON"]) {
    const descriptor = Object.getOwnPropertyDescriptor(URL.prototype, key);
    descriptor.enumerable = true;
    Object.defineProperty(URL.prototype, key, descriptor);
  }
  Object.defineProperty(URL.prototype, Symbol.toStringTag, {value: "URL", configurable: true});

  // The list is flat: name, value, name, value...
  const paramsState = (self) => {
    const own = paramsOf.get(self);
    if (own === undefined) throw new TypeError("Illegal invocation: not a URLSearchParams");
    return own;
  };
  const setList = (params, list) => { paramsOf.get(params).list = list; };
  // A change of the list becomes the URL's query (empty: no query at all).
  const changed = (own) => {
    if (own.url === null) return;
    const text = natives.serializeQuery(own.list);
    const url = urls.get(own.url);
    const parts = natives.setURL(url.parts[HREF], SEARCH, text);
    if (parts !== null) url.parts = parts;
  };
  const isObject = (value) => value !== null && (typeof value === "object" ||
                                                 typeof value === "function");
  class URLSearchParams {
    constructor(init = "") {
      let list = [];
      if (isObject(init)) {
        const iterator = init[Symbol.iterator];
        if (iterator !== undefined && iterator !== null) {
          if (typeof iterator !== "function") throw new TypeError("The query is not iterable");
          for (const pair of init) {
            if (!isObject(pair) || typeof pair[Symbol.iterator] !== "function") {
              throw new TypeError("Each query pair must be a sequence");
            }
            const items = [...pair];
            if (items.length !== 2) throw new TypeError("Each query pair must have two items");
            list.push(toUSV(str(items[0])), toUSV(str(items[1])));
          }
        } else {
          // A record: names that become equal as USVStrings keep the first place, last value.
          const record = new Map();
          for (const key of Reflect.ownKeys(init)) {
            const descriptor = Reflect.getOwnPropertyDescriptor(init, key);
            if (descriptor === undefined || !descriptor.enumerable) continue;
            if (typeof key === "symbol") throw new TypeError("A query name cannot be a Symbol");
            record.set(toUSV(key), toUSV(str(init[key])));
          }
          for (const [name, value] of record) list.push(name, value);
        }
      } else {
        let text = str(init);
        if (text.startsWith("?")) text = text.slice(1);
        list = natives.parseQuery(text);
      }
      paramsOf.set(this, {list, url: null});
    }
    get size() { return paramsState(this).list.length / 2; }
    append(name, value) {
      if (arguments.length < 2) throw new TypeError("append needs a name and a value");
      const own = paramsState(this);
      own.list.push(toUSV(str(name)), toUSV(str(value)));
      changed(own);
    }
    delete(name, value = undefined) {
      if (arguments.length < 1) throw new TypeError("delete needs a name");
      const own = paramsState(this);
      name = toUSV(str(name));
      const match = value === undefined ? null : toUSV(str(value));
      const list = [];
      for (let i = 0; i < own.list.length; i += 2) {
        if (own.list[i] === name && (match === null || own.list[i + 1] === match)) continue;
        list.push(own.list[i], own.list[i + 1]);
      }
      own.list = list;
      changed(own);
    }
    get(name) {
      if (arguments.length < 1) throw new TypeError("get needs a name");
      const list = paramsState(this).list;
      name = toUSV(str(name));
      for (let i = 0; i < list.length; i += 2) if (list[i] === name) return list[i + 1];
      return null;
    }
    getAll(name) {
      if (arguments.length < 1) throw new TypeError("getAll needs a name");
      const list = paramsState(this).list;
      name = toUSV(str(name));
      const values = [];
      for (let i = 0; i < list.length; i += 2) if (list[i] === name) values.push(list[i + 1]);
      return values;
    }
    has(name, value = undefined) {
      if (arguments.length < 1) throw new TypeError("has needs a name");
      const list = paramsState(this).list;
      name = toUSV(str(name));
      const match = value === undefined ? null : toUSV(str(value));
      for (let i = 0; i < list.length; i += 2) {
        if (list[i] === name && (match === null || list[i + 1] === match)) return true;
      }
      return false;
    }
    set(name, value) {
      if (arguments.length < 2) throw new TypeError("set needs a name and a value");
      const own = paramsState(this);
      name = toUSV(str(name));
      value = toUSV(str(value));
      const list = [];
      let found = false;
      for (let i = 0; i < own.list.length; i += 2) {
        if (own.list[i] !== name) {
          list.push(own.list[i], own.list[i + 1]);
        } else if (!found) {
          found = true;
          list.push(name, value);
        }
      }
      if (!found) list.push(name, value);
      own.list = list;
      changed(own);
    }
    sort() {
      const own = paramsState(this);
      const pairs = [];
      for (let i = 0; i < own.list.length; i += 2) pairs.push([own.list[i], own.list[i + 1]]);
      // A stable sort by code units, as the standard asks.
      pairs.sort((a, b) => (a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : 0));
      own.list = pairs.flat();
      changed(own);
    }
    forEach(callback, thisArg = undefined) {
      const own = paramsState(this);
      if (typeof callback !== "function") throw new TypeError("forEach needs a function");
      for (let i = 0; i < own.list.length; i += 2) {
        callback.call(thisArg, own.list[i + 1], own.list[i], this);
      }
    }
    keys() { return iterate(this, (list, i) => list[i]); }
    values() { return iterate(this, (list, i) => list[i + 1]); }
    entries() { return iterate(this, (list, i) => [list[i], list[i + 1]]); }
    toString() { return natives.serializeQuery(paramsState(this).list); }
  }
  Object.defineProperty(URLSearchParams.prototype, Symbol.iterator, {
    value: URLSearchParams.prototype.entries, writable: true, configurable: true});
  Object.defineProperty(URLSearchParams.prototype, Symbol.toStringTag,
                        {value: "URLSearchParams", configurable: true});
  for (const key of ["append", "delete", "get", "getAll", "has", "set", "sort", "forEach", "keys",
                     "values", "entries", "toString", "size"]) {
    const descriptor = Object.getOwnPropertyDescriptor(URLSearchParams.prototype, key);
    descriptor.enumerable = true;
    Object.defineProperty(URLSearchParams.prototype, key, descriptor);
  }

  // The iterator reads the live list at each step, as WebIDL's pair iterators do.
  const iteratorPrototype = Object.create(
      Object.getPrototypeOf(Object.getPrototypeOf([][Symbol.iterator]())));
  const iterators = new WeakMap();
  Object.defineProperty(iteratorPrototype, "next", {
    value: function next() {
      const own = iterators.get(this);
      if (own === undefined) throw new TypeError("Illegal invocation: not an iterator");
      const list = paramsOf.get(own.params).list;
      if (own.index >= list.length) return {value: undefined, done: true};
      const value = own.pick(list, own.index);
      own.index += 2;
      return {value, done: false};
    },
    writable: true, enumerable: true, configurable: true,
  });
  Object.defineProperty(iteratorPrototype, Symbol.toStringTag,
                        {value: "URLSearchParams Iterator", configurable: true});
  const iterate = (params, pick) => {
    paramsState(params);
    const iterator = Object.create(iteratorPrototype);
    iterators.set(iterator, {params, pick, index: 0});
    return iterator;
  };

  return {URL, URLSearchParams};
})
