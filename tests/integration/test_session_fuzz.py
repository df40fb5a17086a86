"""Generated and mutated CWMP traffic never breaks the ACS: no crash, no half-written history."""

from __future__ import annotations

import random
from pathlib import Path

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from acs.api.services import Services
from acs.application.cwmp import Exchange
from acs.domain.device import project
from acs.domain.device_id import aggregate_id
from acs.domain.events import RpcAnswered, RpcFaulted, RpcSent, TaskQueued
from acs.domain.tasks import GetParams, RebootTask, SetParams
from tests.support.cpe import SimulatedCpe, SimulatorError

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures" / "cwmp"
SAMPLES = [
    (FIXTURES / name).read_bytes()
    for name in ("genieacs-sim_cwmp10_gpvresponse.xml", "genieacs-sim_cwmp10_spvresponse.xml",
                 "zyxel-vmg8924-b10a_cwmp10.xml", "motorola-vap2404e_cwmp10.xml")
]  # fmt: skip
SSID = "InternetGatewayDevice.LANDevice.1.WLANConfiguration.1.SSID"
CPES = [SimulatedCpe("http://127.0.0.1:1/cwmp", serial=f"FUZZ{n}") for n in range(2)]


def mutate(data: bytes, rng: random.Random) -> bytes:
    """Flip, cut or duplicate a stretch of a real message."""
    cut = rng.randrange(len(data))
    match rng.randrange(3):
        case 0:
            return data[:cut] + bytes([rng.randrange(256)]) + data[cut + 1 :]
        case 1:
            return data[:cut]
        case _:
            return data[:cut] + data[cut : cut + 40] + data[cut:]


def answer(cpe: SimulatedCpe, request: bytes) -> bytes:
    """The CPE's answer to the ACS's last reply, or an empty POST when it held no request."""
    try:
        return cpe.answer(request)
    except SimulatorError:
        return b""


def message(action: str, cpe: SimulatedCpe, last_reply: bytes, rng: random.Random) -> bytes:
    """The body one scripted step sends."""
    match action:
        case "inform":
            return cpe.build_inform(["2 PERIODIC"])
        case "answer":
            return answer(cpe, last_reply)
        case "sample":
            return rng.choice(SAMPLES)
        case "mutant":
            return mutate(rng.choice(SAMPLES), rng)
        case "junk":
            return rng.randbytes(rng.randrange(1, 200))
    return b""


actions = st.lists(
    st.tuples(st.sampled_from(["inform", "empty", "answer", "sample", "mutant", "junk"]),
              st.integers(0, 1), st.booleans(), st.randoms(use_true_random=False)),
    min_size=1, max_size=25,
)  # fmt: skip


@settings(max_examples=60, deadline=None, suppress_health_check=list(HealthCheck))
@given(script=actions)
def test_any_traffic_gets_an_answer_and_leaves_a_replayable_history(
    services: Services, script: list[tuple[str, int, bool, random.Random]]
) -> None:
    cookies: dict[int, str | None] = {0: None, 1: None}
    last_reply: dict[int, bytes] = {0: b"", 1: b""}
    for cpe in CPES:
        services.cwmp.handle(Exchange(cpe.build_inform(["2 PERIODIC"]), None, "127.0.0.1"))
    for cpe in CPES:
        for spec in (GetParams(names=(SSID,)), SetParams(values={SSID: "x"}), RebootTask()):
            services.commands.queue_task(cpe.device_id, spec, "fuzz")
    for action, which, keep_cookie, rng in script:
        cpe = CPES[which]
        body = message(action, cpe, last_reply[which], rng)
        session = cookies[which] if keep_cookie else rng.choice([None, "nonsense"])
        reply = services.cwmp.handle(Exchange(body, session, "127.0.0.1"))
        assert reply.status in (200, 204, 400, 503), reply
        if reply.session_id and reply.status == 200:
            cookies[which] = reply.session_id
        last_reply[which] = reply.body
    for cpe in CPES:
        events = services.store.load_events(aggregate_id(cpe.device_id))
        assert [e.originator_version for e in events] == list(range(1, len(events) + 1))
        assert project(None, events) is not None
        queued = {e.task_id for e in events if isinstance(e, TaskQueued)}
        sent = [e.task_id for e in events if isinstance(e, RpcSent)]
        answered = [e.task_id for e in events if isinstance(e, RpcAnswered | RpcFaulted)]
        assert set(sent) <= queued and set(answered) <= set(sent)
