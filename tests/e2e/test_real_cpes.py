"""Every real CPE Inform in the fixtures registers its device through the real server.

Whole captured HTTP requests are replayed byte for byte over a socket (chunked framing,
ISO-8859-1, empty SOAPAction...); body-only captures are POSTed as they are.
"""

from __future__ import annotations

import socket
from pathlib import Path
from urllib.parse import quote

import httpx
import pytest
from lxml import etree

from tests.conftest import AcsServer
from tests.e2e.conftest import eventually
from tests.support.cpe import genieacs_device_id
from tests.unit.test_codec import split_http

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures" / "cwmp"
INFORMS = [
    "catawampus-fakecpe_cwmp12_bootstrap_agent-output.xml",
    "cytco-bcm_cwmp10_invalid-currenttime.xml",
    "genieacs-sim_cwmp10_inform.xml",
    "huawei-hg253s_cwmp10_template-placeholders.xml",
    "mhils-honeyclient_avm-fritzbox-identity_cwmp10_agent-output.xml",
    "mikrotik-hap-lite_cwmp10_no-header_http.txt",
    "motorola-vap2404e_cwmp10.xml",
    "sagemcom-router-hgw4_cwmp10.xml",
    "thomson-speedtouch585_r6.2.17.5_inform.http",
    "thomson-speedtouch780_r6.2.15.5_inform_http-chunked_iso-8859-1.http",
    "zte-f600w_cwmp10_bootstrap_duplicate-param.xml",
    "zyxel-p2601hn-f1_cwmp10_nomorerequests.xml",
    "zyxel-vmg8924-b10a_cwmp10.xml",
]
PLACEHOLDERS = {b"%NONCE%": b"1a2b3c", b"%SERIAL%": b"HG253S0001", b"%IP%": b"127.0.0.1"}


def capture(name: str) -> bytes:
    raw = (FIXTURES / name).read_bytes()
    for placeholder, value in PLACEHOLDERS.items():
        raw = raw.replace(placeholder, value)
    return raw


def is_http(raw: bytes) -> bool:
    return raw.startswith(b"POST ")


def body_of(raw: bytes) -> bytes:
    """The XML of a capture (de-chunked when it was chunked), for reading what to expect."""
    return split_http(raw)[1] if is_http(raw) else raw


def expected(raw: bytes) -> tuple[str, str]:
    """The device id and manufacturer the capture announces."""
    root = etree.fromstring(body_of(raw), etree.XMLParser(recover=True, resolve_entities=False))
    text = {
        name: (root.xpath(f"string(//*[local-name()='DeviceId']/*[local-name()='{name}'])"))
        for name in ("Manufacturer", "OUI", "ProductClass", "SerialNumber")
    }
    ident = genieacs_device_id(text["OUI"], text["ProductClass"], text["SerialNumber"])
    return ident, text["Manufacturer"]


def replay(server: AcsServer, raw: bytes) -> tuple[int, bytes, str]:
    """Send a captured request as the device did; returns status, body, session cookie."""
    head, separator, body = raw.partition(b"\r\n\r\n")
    if not separator:
        head, _, body = raw.partition(b"\n\n")
        head = head.replace(b"\n", b"\r\n")
    # The captures were re-saved: a Content-Length may be off by a newline; fix it.
    dropped = (b"host:", b"content-length:")
    lines = [line for line in head.split(b"\r\n") if not line.lower().startswith(dropped)]
    lines.insert(1, f"Host: 127.0.0.1:{server.port}".encode())
    if b"chunked" not in head.lower():
        lines.append(f"Content-Length: {len(body)}".encode())
    lines = [b"POST /cwmp HTTP/1.1" if line.startswith(b"POST ") else line for line in lines] + [
        b"Connection: close"
    ]
    with socket.create_connection(("127.0.0.1", server.port), timeout=10) as sock:
        sock.sendall(b"\r\n".join(lines) + b"\r\n\r\n" + body)
        answer = b""
        while chunk := sock.recv(65536):
            answer += chunk
    status_line, _, rest = answer.partition(b"\r\n")
    headers, _, reply_body = rest.partition(b"\r\n\r\n")
    cookie = next(
        (
            h.split(b":", 1)[1].split(b";")[0].strip().decode()
            for h in headers.split(b"\r\n")
            if h.lower().startswith(b"set-cookie:")
        ),
        "",
    )
    return int(status_line.split()[1]), reply_body, cookie


@pytest.mark.parametrize("name", INFORMS)
def test_a_real_cpe_inform_registers_its_device(acs_server: AcsServer, name: str) -> None:
    raw = capture(name)
    device_id, manufacturer = expected(raw)
    if is_http(raw):
        status, body, cookie = replay(acs_server, raw)
    else:
        reply = httpx.post(f"{acs_server.url}/cwmp", content=raw)
        status, body = reply.status_code, reply.content
        cookie = f"acs_session={reply.cookies['acs_session']}"
    assert status == 200, body
    assert b"InformResponse" in body
    ended = httpx.post(f"{acs_server.url}/cwmp", content=b"", headers={"cookie": cookie})
    assert ended.status_code == 204
    path = f"{acs_server.url}/api/devices/{quote(device_id, safe='')}"
    device = eventually(
        lambda: (
            (r := httpx.get(path, headers=acs_server.auth_headers)).status_code == 200 and r.json()
        )
    )
    assert device["manufacturer"] == manufacturer
    parameters = httpx.get(f"{path}/parameters", headers=acs_server.auth_headers).json()
    assert parameters, "the Inform's parameters are stored"
