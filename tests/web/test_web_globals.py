"""The web platform globals at the moderate level: each does what its standard says, errors
included. (The Web Platform Tests measure them in depth: tests/web/test_wpt.py.)"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Iterator
from typing import Any

import pytest
from tests.conftest import ISOLATIONS

from code_interpreter import JavaScriptError, Sandbox, create_sandbox


@pytest.fixture(scope="module", params=ISOLATIONS)
def web(request: pytest.FixtureRequest) -> Iterator[Sandbox]:
    with create_sandbox(
        security_level="moderate", max_execution_time=5000, isolation=request.param
    ) as box:
        yield box


def run(box: Sandbox, code: str, context: dict[str, Any] | None = None) -> Any:
    return box.interpret(code, context, return_raw_result=True)


def test_url_parses_resolves_and_exposes_its_parts(web: Sandbox) -> None:
    code = """const u = new URL('../x/./y?q=1#h', 'https://User:pw@EXAMPLE.com:8080/a/b/c');
              [u.href, u.origin, u.protocol, u.username, u.host, u.hostname, u.port, u.pathname,
               u.search, u.hash, String(u), JSON.stringify({u})]"""
    assert run(web, code) == [
        "https://User:pw@example.com:8080/a/x/y?q=1#h",
        "https://example.com:8080",
        "https:",
        "User",
        "example.com:8080",
        "example.com",
        "8080",
        "/a/x/y",
        "?q=1",
        "#h",
        "https://User:pw@example.com:8080/a/x/y?q=1#h",
        '{"u":"https://User:pw@example.com:8080/a/x/y?q=1#h"}',
    ]


def test_url_setters_and_search_params_stay_in_step(web: Sandbox) -> None:
    code = """const u = new URL('https://a.test/p?d=1');
              u.searchParams.append('e', 'f g&h');
              const afterAppend = u.href;
              u.search = '?x=2';
              u.hostname = 'b.test'; u.port = '81'; u.hash = 'top';
              [afterAppend, u.href, u.searchParams.get('x'), u.searchParams.get('d'),
               new URL('https://münchen.de/').hostname]"""
    assert run(web, code) == [
        "https://a.test/p?d=1&e=f+g%26h",
        "https://b.test:81/p?x=2#top",
        "2",
        None,
        "xn--mnchen-3ya.de",
    ]


def test_an_invalid_url_is_a_type_error(web: Sandbox) -> None:
    with pytest.raises(JavaScriptError) as caught:
        web.interpret("new URL('not a url')")
    assert caught.value.name == "TypeError"
    assert "Invalid URL" in str(caught.value)
    assert run(web, "[URL.canParse('nope'), URL.canParse('/a', 'https://b/'), URL.parse('x')]") == [
        False,
        True,
        None,
    ]


def test_url_search_params_parse_sort_and_serialize(web: Sandbox) -> None:
    code = """const p = new URLSearchParams('?b=2&a=1&b=3&c=%20x+y');
              p.sort(); p.delete('c');
              [p.toString(), p.getAll('b'), [...p.keys()], p.has('a', '1'), p.size,
               new URLSearchParams({k: 'v', 'é': '✓'}).toString(),
               new URLSearchParams([['x', '1'], ['x', '2']]).getAll('x')]"""
    assert run(web, code) == [
        "a=1&b=2&b=3",
        ["2", "3"],
        ["a", "b", "b"],
        True,
        3,
        "k=v&%C3%A9=%E2%9C%93",
        ["1", "2"],
    ]


def test_text_encoder_writes_utf8_and_replaces_lone_surrogates(web: Sandbox) -> None:
    code = """const e = new TextEncoder();
              const into = new Uint8Array(5);
              const r = e.encodeInto('a\\u20acb', into);
              [Array.from(e.encode('h\\u00e9\\u20ac\\ud83d\\ude00\\ud800')), e.encoding,
               r.read, r.written, Array.from(into)]"""
    assert run(web, code) == [
        [*"hé€😀".encode(), 0xEF, 0xBF, 0xBD],
        "utf-8",
        3,
        5,
        [0x61, 0xE2, 0x82, 0xAC, 0x62],
    ]


def test_text_decoder_handles_boms_errors_streams_and_utf16(web: Sandbox) -> None:
    code = """const d = new TextDecoder();
              const bytes = new Uint8Array([0xEF, 0xBB, 0xBF, 0x68, 0xC3, 0xA9, 0xFF]);
              const s = new TextDecoder('utf-8');
              const streamed = s.decode(new Uint8Array([0xE2, 0x82]), {stream: true}) +
                               s.decode(new Uint8Array([0xAC]));
              let fatal;
              try { new TextDecoder('utf-8', {fatal: true}).decode(new Uint8Array([0xC0])) }
              catch (e) { fatal = e.name }
              let label;
              try { new TextDecoder('klingon') } catch (e) { label = e.name }
              [d.decode(bytes), streamed, fatal, label,
               new TextDecoder('utf-16le').decode(new Uint8Array([0x3D, 0xD8, 0x00, 0xDE])),
               new TextDecoder('UTF-16BE').decode(new Uint8Array([0, 0x68, 0xD8, 0])),
               new TextDecoder(' Unicode-1-1-UTF-8 ').encoding]"""
    assert run(web, code) == [
        "hé\ufffd",
        "€",
        "TypeError",
        "RangeError",
        "😀",
        "h\ufffd",
        "utf-8",
    ]


def test_atob_and_btoa_round_trip_latin1_and_refuse_the_rest(web: Sandbox) -> None:
    assert run(web, "[btoa(''), btoa('a'), btoa('ab'), btoa('\\xff\\xfe'), atob(' YW Jj\\n')]") == [
        "",
        "YQ==",
        "YWI=",
        "//4=",
        "abc",
    ]
    code = """const names = [];
              for (const f of [() => atob('a'), () => atob('ab=c'), () => btoa('\u20ac')]) {
                try { f() } catch (e) {
                  names.push([e.name, e instanceof DOMException, e instanceof Error, e.code])
                }
              }
              names"""
    assert run(web, code) == [["InvalidCharacterError", True, True, 5]] * 3


def test_structured_clone_copies_deeply_and_refuses_what_it_cannot(web: Sandbox) -> None:
    code = """const shared = {n: 1};
              const source = {a: [shared, shared], d: new Date(5), m: new Map([[1, {x: 2}]]),
                              s: new Set([3]), r: /x/gi, b: new Uint8Array([1, 2]), big: 10n};
              source.self = source;
              const c = structuredClone(source);
              const errors = [];
              for (const v of [() => 1, Symbol('s')]) {
                try { structuredClone(v) } catch (e) { errors.push(e.name) }
              }
              try { structuredClone(new ArrayBuffer(1), {transfer: [new ArrayBuffer(1)]}) }
              catch (e) { errors.push(e.name + ': ' + e.message) }
              [c !== source, c.self === c, c.a[0] === c.a[1], c.a[0] !== shared,
               c.d.getTime(), c.m.get(1).x, c.s.has(3), String(c.r), Array.from(c.b),
               c.big === 10n, errors]"""
    assert run(web, code) == [
        True,
        True,
        True,
        True,
        5,
        2,
        True,
        "/x/gi",
        [1, 2],
        True,
        [
            "DataCloneError",
            "DataCloneError",
            "DataCloneError: Transferring objects is not supported in this sandbox",
        ],
    ]


def test_query_microtask_runs_after_the_current_job(web: Sandbox) -> None:
    code = """const order = [];
              queueMicrotask(() => order.push('micro'));
              Promise.resolve().then(() => order.push('promise'));
              order.push('sync');
              let bad;
              try { queueMicrotask(1) } catch (e) { bad = e.name }
              new Promise((r) => setTimeout(() => r([order, bad]), 0))"""
    assert run(web, code) == [["sync", "micro", "promise"], "TypeError"]


def test_crypto_gives_random_values_uuids_and_digests(web: Sandbox) -> None:
    code = """const a = crypto.getRandomValues(new Uint32Array(8));
              const b = crypto.getRandomValues(new Uint32Array(8));
              const errors = [];
              for (const f of [() => crypto.getRandomValues(new Float64Array(1)),
                               () => crypto.getRandomValues(new Uint8Array(65537))]) {
                try { f() } catch (e) { errors.push(e.name) }
              }
              [a.join() !== b.join(), crypto.randomUUID(), errors]"""
    differ, uuid, errors = run(web, code)
    assert differ
    assert re.fullmatch(
        r"[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}", uuid
    )
    assert errors == ["TypeMismatchError", "QuotaExceededError"]
    digest = """const hex = (b) => Array.from(new Uint8Array(b),
                                          x => x.toString(16).padStart(2, '0')).join('');
                const data = new TextEncoder().encode('abc');
                Promise.all(['SHA-1', 'SHA-256', {name: 'sha-384'}, 'SHA-512']
                              .map(a => crypto.subtle.digest(a, data).then(hex)))"""
    assert run(web, digest) == [
        hashlib.new(name, b"abc").hexdigest() for name in ("sha1", "sha256", "sha384", "sha512")
    ]
    refused = "crypto.subtle.digest('MD5', new Uint8Array(1)).catch(e => e.name)"
    assert run(web, refused) == "NotSupportedError"


def test_performance_is_monotonic_and_coarsened_to_100_microseconds(web: Sandbox) -> None:
    code = """const times = [];
              for (let i = 0; i < 200; i++) times.push(performance.now());
              [times.every((t, i) => i === 0 || t >= times[i - 1]),
               times.every(t => Math.abs(t * 10 - Math.round(t * 10)) < 1e-6),
               performance.timeOrigin > Date.now() - 60000, performance.timeOrigin <= Date.now(),
               Object.keys(performance.toJSON())]"""
    assert run(web, code) == [True, True, True, True, ["timeOrigin"]]


def test_event_target_dispatches_in_order_with_options(web: Sandbox) -> None:
    code = """const t = new EventTarget();
              const log = [];
              const once = () => log.push('once');
              t.addEventListener('x', once, {once: true});
              t.addEventListener('x', (e) => { log.push(['plain', e.type, e.target === t]);
                                             e.preventDefault() });
              t.addEventListener('x', {handleEvent(e) { log.push(['object', e.detail]) }});
              t.addEventListener('x', () => log.push('capture'), true);
              const e1 = new CustomEvent('x', {detail: 7, cancelable: true});
              const notCanceled = t.dispatchEvent(e1);
              t.dispatchEvent(new Event('x'));
              let again;
              try { t.dispatchEvent() } catch (e) { again = e.name }
              [log, notCanceled, e1.defaultPrevented, e1.eventPhase, again]"""
    assert run(web, code) == [
        [
            "capture",
            "once",
            ["plain", "x", True],
            ["object", 7],
            "capture",
            ["plain", "x", True],
            ["object", None],
        ],
        False,
        True,
        0,
        "TypeError",
    ]


def test_a_throwing_listener_is_reported_and_the_dispatch_goes_on(web: Sandbox) -> None:
    result = web.execute(
        """const t = new EventTarget(); let after = false;
           t.addEventListener('x', () => { throw new Error('listener broke') });
           t.addEventListener('x', () => { after = true });
           t.dispatchEvent(new Event('x')); after"""
    )
    assert result.value is True
    assert any("listener broke" in str(entry) for entry in result.console)


def test_abort_controller_signals_and_timeouts(web: Sandbox) -> None:
    code = """const c = new AbortController();
              const log = [];
              c.signal.addEventListener('abort', (e) => log.push(e.type, e.isTrusted));
              const any = AbortSignal.any([c.signal, new AbortController().signal]);
              c.abort('why');
              c.abort('again');
              let thrown;
              try { c.signal.throwIfAborted() } catch (e) { thrown = e }
              const t = AbortSignal.timeout(5);
              new Promise((r) => t.onabort = () => r([log, c.signal.reason, thrown, any.aborted,
                                                      any.reason, t.reason.name,
                                                      AbortSignal.abort().reason.name]))"""
    assert run(web, code) == [
        ["abort", True],
        "why",
        "why",
        True,
        "why",
        "TimeoutError",
        "AbortError",
    ]


def test_dom_exception_names_codes_and_prototype(web: Sandbox) -> None:
    code = """const e = new DOMException('m', 'NotFoundError');
              [e.name, e.message, e.code, e instanceof Error, DOMException.NOT_FOUND_ERR,
               Object.prototype.toString.call(e), new DOMException().name, String(e)]"""
    assert run(web, code) == [
        "NotFoundError",
        "m",
        8,
        True,
        8,
        "[object DOMException]",
        "Error",
        "NotFoundError: m",
    ]


def test_the_globals_are_plain_writable_non_enumerable_properties(web: Sandbox) -> None:
    code = """const d = Object.getOwnPropertyDescriptor(globalThis, 'URL');
              const names = Object.keys(globalThis);
              URL = 1;
              [typeof d.value, d.writable, d.enumerable, d.configurable, names.includes('URL'),
               URL]"""
    assert run(web, code) == ["function", True, False, True, False, 1]
