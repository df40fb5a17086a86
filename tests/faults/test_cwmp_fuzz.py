"""Mutated real CPE messages over real HTTP, between valid sessions: the ACS answers each with a
status CWMP allows, keeps serving, and leaves no half-written state.

The messages are the captures in `tests/fixtures/cwmp/` (Informs of a dozen real CPEs, their
answers and faults), mutated the ways the codec's unit fuzzing does (byte flips, truncation,
deleted, duplicated, renamed or retexted elements, DTDs) and more: wrong namespaces, huge
values, bad encodings, and HTTP framings (gzip, deflate, broken gzip, an unknown
Content-Encoding, wrong charsets and content types, bodies over the limit). Each example is
an episode: an Inform, then a few more messages with the session's cookie (or a wrong one),
among them answers to the RPC the ACS asked for. Meanwhile simulated CPEs run valid sessions
with tasks queued through the REST API: every one of them must complete. At the end every
history is gap-free and replays, the read model equals a rebuild, and the server logged no
error.
"""

from __future__ import annotations

import asyncio
import contextlib
import gzip
import re
import threading
import zlib
from collections.abc import Callable
from typing import Any, Final
from urllib.parse import quote

import httpx
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis import strategies as st
from lxml import etree

from acs.domain.codec import decode
from tests.conftest import AcsServer
from tests.e2e.conftest import eventually
from tests.faults.invariants import assert_read_model_equals_a_rebuild, assert_replayable
from tests.support.cpe import SimulatedCpe
from tests.unit.test_codec_fuzz import MUTATIONS, SAMPLES, sample

EPISODES: Final = 1000
VALID_CPES: Final = 3
VALID_SESSIONS: Final = 6
"""Sessions each valid CPE runs (at least; it goes on until the fuzzing ends)."""
MAX_BODY: Final = 256 * 1024
SOAP_ENV: Final = rb"http://schemas.xmlsoap.org/soap/envelope/"
ALLOWED: Final = {200, 204, 400, 413, 415, 503}
"""What `/cwmp` may answer with authentication off: an envelope or a SOAP Fault (200, 400),
the end of a session (204), a body too large or with an unknown Content-Encoding (413,
415), a device already in a session (503)."""
SSID: Final = "InternetGatewayDevice.LANDevice.1.WLANConfiguration.1.SSID"
KIND: Final = {name: type(decode(*sample(name)).message).__name__ for name in SAMPLES}
INFORMS: Final = [name for name in SAMPLES if KIND[name] == "Inform"]
ANSWERS: Final = [name for name in SAMPLES if KIND[name] != "Inform"]
"""Real answers to the RPCs the fuzzed devices are given (GetParameterValues,
SetParameterValues, GetParameterAttributes), and a real Fault."""
TASKS: Final = [
    {"type": "get_params", "parameters": {"names": [SSID]}},
    {"type": "set_params", "parameters": {"values": {SSID: "fuzz"}}},
    {"type": "get_attributes", "parameters": {"names": [SSID]}},
]

PRESET: Final = {"name": "interval", "ensure": {"values": {
    "InternetGatewayDevice.ManagementServer.PeriodicInformInterval": "300"}}}  # fmt: skip
"""Every device gets RPCs in its sessions (read, then write the interval): fresh ones too."""

# --- more mutations than the codec's unit fuzzing -------------------------------------------


def wrong_namespace(draw: st.DrawFn, body: bytes, charset: str | None) -> tuple[bytes, str | None]:
    """Put the CWMP or SOAP namespace of another version, or none known, in its place."""
    old = draw(st.sampled_from([rb"urn:dslforum-org:cwmp-1-\d", SOAP_ENV]))
    new = draw(st.sampled_from([b"urn:dslforum-org:cwmp-1-9", b"urn:evil", b"",
                                b"http://www.w3.org/2003/05/soap-envelope"]))  # fmt: skip
    return re.sub(old, new, body, count=draw(st.integers(0, 3))), charset


def huge_value(draw: st.DrawFn, body: bytes, charset: str | None) -> tuple[bytes, str | None]:
    """A giant text, many repeated parameters, deep nesting or a long attribute."""
    at = body.rfind(b"</")
    filler = draw(st.sampled_from([
        b"A" * draw(st.sampled_from([70_000, 300_000])),
        b"<ParameterValueStruct><Name>X</Name><Value>1</Value></ParameterValueStruct>" * 4000,
        b"<a>" * 5000 + b"</a>" * 5000,
        b'<x y="' + b"z" * 100_000 + b'"/>',
    ]))  # fmt: skip
    return body[:at] + filler + body[at:], charset


def bad_encoding(draw: st.DrawFn, body: bytes, charset: str | None) -> tuple[bytes, str | None]:
    """Other bytes than the declared encoding says, or another declaration."""
    text = body.decode(charset or "utf-8", "replace")
    choice = draw(st.sampled_from(["utf-16", "utf-32", "latin-1-as-utf8", "declared", "bom"]))
    if choice in ("utf-16", "utf-32"):
        return text.encode(choice), draw(st.sampled_from([None, choice, "utf-8"]))
    if choice == "latin-1-as-utf8":
        return (text + "é±ÿ").encode("latin-1", "replace"), "utf-8"
    if choice == "declared":
        decl = draw(st.sampled_from([b"UTF-16", b"EBCDIC", b"nonsense", b"ISO-8859-1"]))
        return b'<?xml version="1.0" encoding="' + decl + b'"?>' + body, charset
    return b"\xef\xbb\xbf\xfe\xff" + body, charset


MORE = {**MUTATIONS, "wrong-namespace": wrong_namespace, "huge-value": huge_value,
        "bad-encoding": bad_encoding}  # fmt: skip


def one_in(odds: int) -> st.SearchStrategy[bool]:
    """True about once in `odds` (hypothesis favours the first of what it samples)."""
    return st.sampled_from([False] * (odds - 1) + [True])


def message(draw: st.DrawFn, name: str, odds: int = 2) -> tuple[bytes, str | None]:
    """A sample, mutated one time in `odds`."""
    body, charset = sample(name)
    if draw(one_in(odds)):
        mutation = MORE[draw(st.sampled_from(sorted(MORE)))]
        with contextlib.suppress(etree.XMLSyntaxError):  # a tree mutation of a sample lxml
            body, charset = mutation(draw, body, charset)  # cannot parse: sent as it is
    return body, charset


# --- HTTP -----------------------------------------------------------------------------------


FRAMINGS: Final = ["plain"] * 9 + ["gzip"] * 2 + ["deflate", "broken-gzip", "br", "bomb",
                                                 "charset", "json", "oversized"]  # fmt: skip
"""Mostly as CPEs send it, so that sessions open and go on."""


ENCODINGS: Final[dict[str, tuple[Callable[[bytes], bytes], str | None]]] = {
    "gzip": (gzip.compress, "gzip"),
    "deflate": (zlib.compress, "deflate"),
    "broken-gzip": (lambda body: gzip.compress(body)[:-9], "gzip"),
    "br": (bytes, "br"),
    "bomb": (lambda body: gzip.compress(body + b" " * MAX_BODY * 4), "gzip"),
    "oversized": (lambda body: body + b" " * MAX_BODY, None),
}
"""How each framing turns the body into bytes, and the Content-Encoding it declares."""


def framed(draw: st.DrawFn, body: bytes, charset: str | None) -> tuple[bytes, dict[str, str]]:
    """The body and headers of one POST, in one of the ways a CPE or an attacker frames it."""
    way = draw(st.sampled_from(FRAMINGS))
    if way == "charset":
        charset = draw(st.sampled_from(["utf-16", "bogus", "", "utf-8; x=\x7f"]))
    content_type = f"text/xml; charset={charset}" if charset is not None else "text/xml"
    headers = {"Content-Type": "application/json" if way == "json" else content_type}
    encode, encoding = ENCODINGS.get(way, (bytes, None))
    if encoding:
        headers["Content-Encoding"] = encoding
    return encode(body), headers


def checked(reply: httpx.Response) -> httpx.Response:
    """The reply, once its status is allowed and its body is what that status carries."""
    assert reply.status_code in ALLOWED, f"{reply.status_code}: {reply.text[:300]}"
    if reply.status_code == 200 or (reply.status_code == 400 and reply.content.startswith(b"<")):
        root = etree.fromstring(reply.content)
        assert etree.QName(root).localname == "Envelope", reply.text[:300]
    if reply.status_code == 200:
        assert reply.headers["content-type"].startswith("text/xml")
    return reply


def rpc_of(reply: httpx.Response) -> str | None:
    """The name of the RPC an ACS envelope carries."""
    if reply.status_code != 200:
        return None
    body = etree.fromstring(reply.content).find("{*}Body")
    return None if body is None or not len(body) else etree.QName(body[0]).localname


class Fuzzer:
    """Episodes of mutated traffic against one server."""

    def __init__(self, server: AcsServer, api: httpx.Client) -> None:
        self.server, self.api = server, api
        self.http = httpx.Client(base_url=server.url, timeout=30, trust_env=False)
        self.devices: list[str] = []
        self.statuses: dict[int, int] = {}
        self.rpcs: dict[str | None, int] = {}
        self.episodes = 0

    def post(self, draw: st.DrawFn, body: bytes, charset: str | None, cookie: str | None) -> Any:
        content, headers = framed(draw, body, charset)
        if cookie:
            headers["Cookie"] = f"acs_session={cookie}"
        reply = checked(self.http.post("/cwmp", content=content, headers=headers))
        self.http.cookies.clear()  # the episode decides which cookie each request carries
        self.statuses[reply.status_code] = self.statuses.get(reply.status_code, 0) + 1
        return reply

    def register(self) -> None:
        """Every sample device informs once, unmutated, and gets tasks."""
        for name in INFORMS:
            body, charset = sample(name)
            headers = {"Content-Type": f"text/xml; charset={charset or 'utf-8'}"}
            reply = self.http.post("/cwmp", content=body, headers=headers)
            self.http.cookies.clear()
            if reply.status_code == 200:
                cookie = f"acs_session={reply.cookies['acs_session']}"
                self.http.post("/cwmp", content=b"", headers={"Cookie": cookie})
        assert self.api.post("/api/presets", json=PRESET).status_code == 201
        known = {device["id"] for device in self.api.get("/api/devices?limit=1000").json()}
        self.devices = sorted(d for d in known if "VALID" not in d)
        for device in self.devices:
            for task in TASKS:
                self.queue(device, task)

    def queue(self, device: str, task: dict[str, Any]) -> None:
        path = f"/api/devices/{quote(device, safe='')}/tasks?connection_request=false"
        assert self.api.post(path, json=task).status_code == 201

    def episode(self, draw: st.DrawFn) -> None:
        """An Inform, then up to five more messages in its session."""
        if draw(one_in(4)):
            self.queue(draw(st.sampled_from(self.devices)), draw(st.sampled_from(TASKS)))
        body, charset = message(draw, draw(st.sampled_from(INFORMS)), odds=4)
        self.episodes += 1
        reply = self.post(draw, renamed(draw, body, self.episodes), charset, None)
        cookie = reply.cookies.get("acs_session")
        for _ in range(draw(st.integers(0, 5))):
            which = draw(st.sampled_from([None, "session", "session", "session", "nonsense"]))
            rpc = rpc_of(reply)
            self.rpcs[rpc] = self.rpcs.get(rpc, 0) + 1
            reply = self.post(draw, *next_message(draw), cookie if which == "session" else which)


def renamed(draw: st.DrawFn, body: bytes, sibling: int) -> bytes:
    """The Inform of the same device (it has tasks) one time in four, else of a new sibling
    (another serial number): a session left open (for the SessionTimeout the capture asks)
    then rarely stands in the way."""
    if draw(one_in(4)):
        return body
    suffix = b"-%d" % sibling
    return re.sub(rb"(<(?:\w+:)?SerialNumber>[^<]*)", lambda m: m[1] + suffix, body, count=1)


def next_message(draw: st.DrawFn) -> tuple[bytes, str | None]:
    """A real answer to an RPC or a fault, an empty POST, any sample, or junk. Nothing drawn
    depends on the ACS's replies (hypothesis replays the draws): an answer may not match."""
    kind = draw(st.sampled_from(["answer", "answer", "empty", "sample", "junk"]))
    if kind == "answer":
        return message(draw, draw(st.sampled_from(ANSWERS)))
    if kind == "sample":
        return message(draw, draw(st.sampled_from(SAMPLES)))
    if kind == "junk":
        return draw(st.binary(max_size=300)), None
    return b"", None


class ValidCpes:
    """Simulated CPEs running sessions with tasks in a thread, until told to stop."""

    def __init__(self, server: AcsServer, api_headers: dict[str, str]) -> None:
        url = f"{server.url}/cwmp"
        self.cpes = [SimulatedCpe(url, serial=f"VALID{n}") for n in range(VALID_CPES)]
        self.server, self.headers = server, api_headers
        self.stop = threading.Event()
        self.sessions = [0] * VALID_CPES
        self.errors: list[BaseException] = []
        self.thread = threading.Thread(target=lambda: asyncio.run(self._run()), daemon=True)

    async def _run(self) -> None:
        async with httpx.AsyncClient(base_url=self.server.url, headers=self.headers,
                                     timeout=30, trust_env=False) as api:  # fmt: skip
            await asyncio.gather(*(self._keep_informing(api, n) for n in range(VALID_CPES)))

    async def _keep_informing(self, api: httpx.AsyncClient, n: int) -> None:
        cpe = self.cpes[n]
        try:
            await cpe.run_session()
            while not self.stop.is_set() or self.sessions[n] < VALID_SESSIONS:
                path = f"/api/devices/{quote(cpe.device_id, safe='')}/tasks"
                for task in TASKS[:2]:
                    queued = await api.post(f"{path}?connection_request=false", json=task)
                    assert queued.status_code == 201, queued.text
                log = await cpe.run_session()
                assert log.inform_response_ok and log.statuses[-1] == 204, log.statuses
                assert {"GetParameterValues", "SetParameterValues"} <= set(log.rpcs), log.rpcs
                self.sessions[n] += 1
                await asyncio.sleep(0.05)
        except BaseException as exc:
            self.errors.append(exc)


def test_mutated_real_messages_between_valid_sessions_break_nothing(database_url: str) -> None:
    env = {"ACS_MAX_BODY_BYTES": str(MAX_BODY), "ACS_CWMP_SESSION_TIMEOUT": "3",
           "ACS_DB_POOL_SIZE": "8"}  # fmt: skip
    server = AcsServer(database_url, env=env).start()
    try:
        with httpx.Client(base_url=server.url, headers=server.auth_headers, timeout=30,
                          trust_env=False) as api:  # fmt: skip
            fuzzer = Fuzzer(server, api)
            valid = ValidCpes(server, server.auth_headers)
            valid.thread.start()
            fuzzer.register()
            run_episodes(fuzzer)
            valid.stop.set()
            valid.thread.join(timeout=120)
            print("statuses:", fuzzer.statuses, "RPCs:", fuzzer.rpcs, "valid:", valid.sessions)
            assert not valid.errors, valid.errors
            assert min(valid.sessions) >= VALID_SESSIONS, valid.sessions
            eventually(lambda: api.get("/api/status/projections").json()["lag_events"] == 0)
            for cpe in valid.cpes:
                tasks = api.get(f"/api/devices/{quote(cpe.device_id, safe='')}/tasks").json()
                assert {task["status"] for task in tasks} == {"done"}, tasks
    finally:
        server.stop()
    errors = [line for line in server.log.read_text().splitlines() if " ERROR " in line]
    assert not errors, errors[:5]
    assert_read_model_equals_a_rebuild(database_url)
    assert assert_replayable(database_url) >= len(INFORMS) + VALID_CPES


def run_episodes(fuzzer: Fuzzer) -> None:
    """EPISODES episodes, generated by hypothesis (not shrunk: a failure shows its message)."""

    @settings(max_examples=EPISODES, deadline=None, database=None, phases=[Phase.generate],
              suppress_health_check=list(HealthCheck))  # fmt: skip
    @given(data=st.data())
    def episode(data: st.DataObject) -> None:
        fuzzer.episode(data.draw)

    episode()
