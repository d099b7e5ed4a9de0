"""The human-in-the-loop tests run each scenario through every face of the agent, with
the runners of the agent-loop tests, and talk to real provider codecs through the fault
suite's loopback server."""

from tests.faults.conftest import server
from tests.unit.conftest import RunAgent, run, run_generate, run_stream

__all__ = ["RunAgent", "run", "run_generate", "run_stream", "server"]
