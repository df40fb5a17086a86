"""The per-worker cache of device states: bounded in states and in parameters."""

from __future__ import annotations

import uuid

from acs.adapters.state_cache import StateCache
from acs.domain.device import Device, KnownParameter


def device(n_parameters: int, version: int = 1, ident: uuid.UUID | None = None) -> Device:
    parameters = {
        f"Device.P{i}": KnownParameter(value=str(i), type="xsd:string") for i in range(n_parameters)
    }
    return Device(id=ident or uuid.uuid4(), version=version, device_id="D", parameters=parameters)


def test_the_least_recently_used_state_goes_when_the_count_is_reached() -> None:
    cache = StateCache(2)
    a, b, c = device(1), device(1), device(1)
    cache.put(a)
    cache.put(b)
    assert cache.get(a.id) == a  # a is now the most recently used
    cache.put(c)
    assert cache.get(b.id) is None and cache.get(a.id) == a and cache.get(c.id) == c


def test_states_go_until_the_parameters_fit_the_budget() -> None:
    cache = StateCache(100, max_parameters=1000)
    small, large = device(300), device(600)
    cache.put(small)
    cache.put(large)
    assert cache.parameters == 900
    newest = device(400)
    cache.put(newest)  # 1,300: the least recently used goes
    assert cache.get(small.id) is None and cache.parameters == 1000
    assert cache.get(large.id) == large and cache.get(newest.id) == newest
    cache.put(device(1))
    assert cache.get(large.id) is None and cache.parameters == 401


def test_a_state_larger_than_the_budget_is_not_kept() -> None:
    cache = StateCache(100, max_parameters=1000)
    kept = device(10)
    cache.put(kept)
    cache.put(device(1001))
    assert len(cache) == 1 and cache.get(kept.id) == kept


def test_a_newer_version_replaces_the_state_and_its_count() -> None:
    cache = StateCache(10, max_parameters=1000)
    first = device(100)
    newer = device(250, version=2, ident=first.id)
    cache.put(first)
    cache.put(newer)
    assert cache.get(first.id) == newer and cache.parameters == 250
    cache.put(first)  # older: ignored
    assert cache.get(first.id) == newer
    cache.drop(first.id)
    assert cache.parameters == 0 and len(cache) == 0


def test_a_cache_of_size_zero_keeps_nothing() -> None:
    cache = StateCache(0)
    cache.put(device(1))
    assert len(cache) == 0
