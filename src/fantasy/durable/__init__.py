"""Durable agent runs: the agent's loop inside a workflow engine, so a run outlives the
process that started it. `fantasy.durable.temporal` runs it on Temporal."""
