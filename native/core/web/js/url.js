// URL and URLSearchParams (WHATWG URL Standard) over a native parser (ada): a URL keeps its
// href and where each component begins and ends in it, as the parser reports; a setter asks
// the parser for the href with that one component changed.
(function (natives, use, globals) {
  "use strict";
  // The intrinsics as the context had them before any filtering (core/web/web_globals.h).
  const {Map, Object, Reflect, Symbol, TypeError, Uint32Array} = globals;
  const str = (value) => {
    if (typeof value === "symbol") throw new TypeError("Cannot convert a Symbol to a string");
    return `${value}`;
  };
  // USVString conversion: a lone surrogate becomes U+FFFD.
  const loneSurrogate = /[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/g;
  const toUSV = (text) => (/[\uD800-\uDFFF]/.test(text) ? text.replace(loneSurrogate, "\uFFFD")
                                                       : text);
  // The parser writes a URL's component offsets here (ada's url_components, in this order).
  const offsets = new Uint32Array(8);
  const PROTOCOL_END = 0, USERNAME_END = 1, HOST_START = 2, HOST_END = 3, PORT = 4,
        PATHNAME_START = 5, SEARCH_START = 6, HASH_START = 7;
  const OMITTED = 0xffffffff;
  // The components a setter changes, as the native setter numbers them.
  const SET_PROTOCOL = 2, SET_USERNAME = 3, SET_PASSWORD = 4, SET_HOST = 5, SET_HOSTNAME = 6,
        SET_PORT = 7, SET_PATHNAME = 8, SET_SEARCH = 9, SET_HASH = 10;
  const parsed = Symbol("parsed");
  let pendingHref = null;
  // A URL's query (its search without the "?") as a flat list: name, value, name, value...
  const parseQuery = (search) => natives.parseQuery(search.length > 0 && search[0] === "?"
                                                        ? search.slice(1) : search);
  let linkParams, setListOf, listOf;  // URLSearchParams' private access, for URL and iterators

  class URL {
    #href;
    #at;
    #params = null;
    constructor(url, base = undefined) {
      if (url === parsed) {
        this.#href = pendingHref;
      } else {
        if (arguments.length === 0) throw new TypeError("The URL must be given");
        url = str(url);
        const href = natives.parseURL(url, base === undefined ? undefined : str(base), offsets);
        if (href === null) throw new TypeError(`Invalid URL: ${url}`);
        this.#href = href;
      }
      this.#at = [offsets[0], offsets[1], offsets[2], offsets[3], offsets[4], offsets[5],
                  offsets[6], offsets[7]];
    }
    static parse(url, base = undefined) {
      if (arguments.length === 0) throw new TypeError("The URL must be given");
      pendingHref = natives.parseURL(str(url), base === undefined ? undefined : str(base),
                                     offsets);
      return pendingHref === null ? null : new URL(parsed);
    }
    static canParse(url, base = undefined) {
      if (arguments.length === 0) throw new TypeError("The URL must be given");
      return natives.parseURL(str(url), base === undefined ? undefined : str(base),
                              offsets) !== null;
    }
    #set(component, value) {
      const href = natives.setURL(this.#href, component, str(value), offsets);
      if (href === null) return;
      this.#href = href;
      const at = this.#at;
      for (let i = 0; i < 8; i++) at[i] = offsets[i];
    }
    #queryChanged() {
      if (this.#params !== null) setListOf(this.#params, parseQuery(this.search));
    }
    get href() { return this.#href; }
    set href(value) {
      value = str(value);
      const href = natives.parseURL(value, undefined, offsets);
      if (href === null) throw new TypeError(`Invalid URL: ${value}`);
      this.#href = href;
      const at = this.#at;
      for (let i = 0; i < 8; i++) at[i] = offsets[i];
      this.#queryChanged();
    }
    get origin() { return natives.origin(this.#href); }
    get protocol() { return this.#href.slice(0, this.#at[PROTOCOL_END]); }
    set protocol(value) { this.#set(SET_PROTOCOL, value); }
    get username() {
      const at = this.#at;
      return at[PROTOCOL_END] + 2 < at[USERNAME_END]
                 ? this.#href.slice(at[PROTOCOL_END] + 2, at[USERNAME_END]) : "";
    }
    set username(value) { this.#set(SET_USERNAME, value); }
    get password() {
      const at = this.#at;
      return at[HOST_START] - at[USERNAME_END] > 0
                 ? this.#href.slice(at[USERNAME_END] + 1, at[HOST_START]) : "";
    }
    set password(value) { this.#set(SET_PASSWORD, value); }
    get host() {
      const at = this.#at;
      let start = at[HOST_START];
      if (this.#href[start] === "@") start++;
      // With an empty host, what lies between it and the path may be a "/".
      return start === at[HOST_END] ? "" : this.#href.slice(start, at[PATHNAME_START]);
    }
    set host(value) { this.#set(SET_HOST, value); }
    get hostname() {
      const at = this.#at;
      let start = at[HOST_START];
      if (this.#href[start] === "@") start++;
      return this.#href.slice(start, at[HOST_END]);
    }
    set hostname(value) { this.#set(SET_HOSTNAME, value); }
    get port() { return this.#at[PORT] === OMITTED ? "" : `${this.#at[PORT]}`; }
    set port(value) { this.#set(SET_PORT, value); }
    get pathname() {
      const at = this.#at;
      const end = at[SEARCH_START] !== OMITTED ? at[SEARCH_START]
                  : at[HASH_START] !== OMITTED ? at[HASH_START] : this.#href.length;
      return this.#href.slice(at[PATHNAME_START], end);
    }
    set pathname(value) { this.#set(SET_PATHNAME, value); }
    get search() {
      const at = this.#at;
      if (at[SEARCH_START] === OMITTED) return "";
      const end = at[HASH_START] !== OMITTED ? at[HASH_START] : this.#href.length;
      return end - at[SEARCH_START] <= 1 ? "" : this.#href.slice(at[SEARCH_START], end);
    }
    set search(value) {
      this.#set(SET_SEARCH, value);
      this.#queryChanged();
    }
    get searchParams() {
      if (this.#params === null) {
        this.#params = new URLSearchParams();
        setListOf(this.#params, parseQuery(this.search));
        linkParams(this.#params, (text) => this.#set(SET_SEARCH, text));
      }
      return this.#params;
    }
    get hash() {
      const at = this.#at;
      return at[HASH_START] === OMITTED || this.#href.length - at[HASH_START] <= 1
                 ? "" : this.#href.slice(at[HASH_START]);
    }
    set hash(value) { this.#set(SET_HASH, value); }
    toString() { return this.#href; }
    toJSON() { return this.#href; }
  }
  for (const key of ["href", "origin", "protocol", "username", "password", "host", "hostname",
                     "port", "pathname", "search", "searchParams", "hash", "toString", "toJSON"]) {
    const descriptor = Object.getOwnPropertyDescriptor(URL.prototype, key);
    descriptor.enumerable = true;
    Object.defineProperty(URL.prototype, key, descriptor);
  }
  Object.defineProperty(URL.prototype, Symbol.toStringTag, {value: "URL", configurable: true});

  const isObject = (value) => value !== null && (typeof value === "object" ||
                                                 typeof value === "function");
  class URLSearchParams {
    #list = [];
    #update = null;  // the owning URL's query setter
    static {
      setListOf = (params, list) => { params.#list = list; };
      linkParams = (params, update) => { params.#update = update; };
    }
    constructor(init = "") {
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
            this.#list.push(toUSV(str(items[0])), toUSV(str(items[1])));
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
          for (const [name, value] of record) this.#list.push(name, value);
        }
      } else {
        const text = str(init);
        this.#list = natives.parseQuery(text.length > 0 && text[0] === "?" ? text.slice(1)
                                                                            : text);
      }
    }
    // A change of the list becomes the URL's query (empty: no query at all).
    #changed() {
      if (this.#update !== null) this.#update(natives.serializeQuery(this.#list));
    }
    get size() { return this.#list.length / 2; }
    append(name, value) {
      if (arguments.length < 2) throw new TypeError("append needs a name and a value");
      this.#list.push(toUSV(str(name)), toUSV(str(value)));
      this.#changed();
    }
    delete(name, value = undefined) {
      if (arguments.length < 1) throw new TypeError("delete needs a name");
      name = toUSV(str(name));
      const match = value === undefined ? null : toUSV(str(value));
      const list = [];
      const old = this.#list;
      for (let i = 0; i < old.length; i += 2) {
        if (old[i] === name && (match === null || old[i + 1] === match)) continue;
        list.push(old[i], old[i + 1]);
      }
      this.#list = list;
      this.#changed();
    }
    get(name) {
      if (arguments.length < 1) throw new TypeError("get needs a name");
      const list = this.#list;
      name = toUSV(str(name));
      for (let i = 0; i < list.length; i += 2) if (list[i] === name) return list[i + 1];
      return null;
    }
    getAll(name) {
      if (arguments.length < 1) throw new TypeError("getAll needs a name");
      const list = this.#list;
      name = toUSV(str(name));
      const values = [];
      for (let i = 0; i < list.length; i += 2) if (list[i] === name) values.push(list[i + 1]);
      return values;
    }
    has(name, value = undefined) {
      if (arguments.length < 1) throw new TypeError("has needs a name");
      const list = this.#list;
      name = toUSV(str(name));
      const match = value === undefined ? null : toUSV(str(value));
      for (let i = 0; i < list.length; i += 2) {
        if (list[i] === name && (match === null || list[i + 1] === match)) return true;
      }
      return false;
    }
    set(name, value) {
      if (arguments.length < 2) throw new TypeError("set needs a name and a value");
      name = toUSV(str(name));
      value = toUSV(str(value));
      const list = [];
      const old = this.#list;
      let found = false;
      for (let i = 0; i < old.length; i += 2) {
        if (old[i] !== name) {
          list.push(old[i], old[i + 1]);
        } else if (!found) {
          found = true;
          list.push(name, value);
        }
      }
      if (!found) list.push(name, value);
      this.#list = list;
      this.#changed();
    }
    sort() {
      const old = this.#list;
      const pairs = [];
      for (let i = 0; i < old.length; i += 2) pairs.push([old[i], old[i + 1]]);
      // A stable sort by code units, as the standard asks.
      pairs.sort((a, b) => (a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : 0));
      this.#list = pairs.flat();
      this.#changed();
    }
    forEach(callback, thisArg = undefined) {
      const list = this.#list;
      if (typeof callback !== "function") throw new TypeError("forEach needs a function");
      for (let i = 0; i < list.length; i += 2) callback.call(thisArg, list[i + 1], list[i], this);
    }
    keys() { return iterate(this, this.#list, 0); }
    values() { return iterate(this, this.#list, 1); }
    entries() { return iterate(this, this.#list, 2); }
    toString() { return natives.serializeQuery(this.#list); }
    static {
      listOf = (params) => params.#list;
    }
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
  class Iterator {
    #params; #kind; #index = 0;
    constructor(params, kind) {
      this.#params = params;
      this.#kind = kind;
    }
    next() {
      const list = listOf(this.#params);
      if (this.#index >= list.length) return {value: undefined, done: true};
      const i = this.#index;
      this.#index += 2;
      const value = this.#kind === 0 ? list[i] : this.#kind === 1 ? list[i + 1]
                                                                   : [list[i], list[i + 1]];
      return {value, done: false};
    }
  }
  const iteratorPrototype = Object.create(
      Object.getPrototypeOf(Object.getPrototypeOf([][Symbol.iterator]())));
  Object.defineProperty(iteratorPrototype, "next", {
    value: {next() { return Iterator.prototype.next.call(this); }}.next,
    writable: true, enumerable: true, configurable: true,
  });
  Object.defineProperty(iteratorPrototype, Symbol.toStringTag,
                        {value: "URLSearchParams Iterator", configurable: true});
  const iterate = (params, list, kind) => {
    const iterator = new Iterator(params, kind);
    Object.setPrototypeOf(iterator, iteratorPrototype);
    return iterator;
  };

  return {URL, URLSearchParams};
})
