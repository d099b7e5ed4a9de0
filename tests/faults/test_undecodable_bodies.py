"""A body whose Content-Encoding lies (gzip that is not gzip) is an invalid response
from every provider family, whole or streamed, never a bare httpx error."""

from __future__ import annotations

import pytest

import fantasy
from tests.faults.conftest import FAKE_KEY
from tests.faults.drive import MODES, generate, stream_parts
from tests.faults.server import FaultServer, Reply, Stream
from tests.faults.wire import FAMILIES, Family

FAMILY = pytest.mark.parametrize("family", FAMILIES, ids=lambda f: f.name)
MODE = pytest.mark.parametrize("mode", MODES)
NOT_GZIP = b"this is not gzip at all, whatever the header says"


@FAMILY
@MODE
@pytest.mark.parametrize("status", [200, 500])
def test_a_whole_body_that_does_not_decode_is_an_invalid_response(
    family: Family, mode: str, status: int, server: FaultServer
) -> None:
    server.script(Reply(status, NOT_GZIP, headers={"Content-Encoding": "gzip"}))

    with pytest.raises(fantasy.InvalidResponseError) as info:
        generate(family.make(server.url, FAKE_KEY), mode)

    assert "could not be decoded" in info.value.message
    assert not info.value.retryable


@FAMILY
@MODE
def test_a_stream_that_does_not_decode_is_an_invalid_response(
    family: Family, mode: str, server: FaultServer
) -> None:
    server.script(
        Stream([NOT_GZIP], content_type=family.content_type, headers={"Content-Encoding": "gzip"})
    )

    parts = stream_parts(family.make(server.url, FAKE_KEY), mode)

    assert parts[-1].type is fantasy.StreamPartType.ERROR
    assert isinstance(parts[-1].error, fantasy.InvalidResponseError)
