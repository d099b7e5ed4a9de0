"""The human-in-the-loop tests run each scenario through every face of the agent, with
the runners of the agent-loop tests."""

from tests.unit.conftest import RunAgent, run, run_generate, run_stream

__all__ = ["RunAgent", "run", "run_generate", "run_stream"]
