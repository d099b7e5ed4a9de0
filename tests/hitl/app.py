"""A small agent application with tools that need approval, talking to a real provider
codec over loopback; `test_wire` runs it in-process and `test_process_boundary` runs it
as separate processes (``python -m tests.hitl.app start|resume|whole URL FILE``).

The person deciding is `decide`: a delete is fine, a payment over 100 is not. The same
decisions given inline (``approve=decide``) or after a pause (``approvals=``) must make
the provider see the same requests.
"""

from __future__ import annotations

import json
import sys
from typing import Any

from pydantic import BaseModel

import fantasy

KEY = "sk-hitl-test-key"
PROMPT = "Delete a.txt, pay bob 500 and tell me the weather in Lima."


class Payment(BaseModel):
    to: str
    amount: float


def build_agent(model: fantasy.LanguageModel, **options: Any) -> fantasy.Agent:
    @fantasy.tool(needs_approval=True)
    def delete_file(path: str) -> str:
        """Delete a file."""
        return f"deleted {path}"

    @fantasy.tool(needs_approval=lambda p: p.amount > 100)
    def pay(payment: Payment) -> str:
        """Pay someone."""
        return f"paid {payment.amount:g} to {payment.to}"

    @fantasy.tool
    def weather(city: str) -> str:
        """The weather in a city."""
        return f"sunny in {city}"

    return fantasy.Agent(
        model,
        system_prompt="You act carefully.",
        tools=[delete_file, pay, weather],
        temperature=0,
        **options,
    )


def build_deferred_agent(model: fantasy.LanguageModel) -> fantasy.Agent:
    @fantasy.tool(deferred=True)
    def ask_human(question: str) -> str:
        """Ask a person; the answer comes later."""
        raise NotImplementedError  # never called: the run pauses

    return fantasy.Agent(model, system_prompt="Ask before deploying.", tools=[ask_human])


def decide(request: fantasy.PendingCall) -> bool | fantasy.Denied:
    if request.tool_name == "pay" and request.input.amount > 100:
        return fantasy.Denied(f"{request.input.amount:g} is too expensive")
    return True


def model_for(family: str, base_url: str) -> fantasy.LanguageModel:
    if family == "anthropic":
        from fantasy.providers import anthropic

        return anthropic.Provider(KEY, base_url=base_url).language_model("claude-sonnet-4")
    from fantasy.providers import openai

    return openai.Provider(KEY, base_url=base_url).language_model("gpt-4o-mini")


def main(argv: list[str]) -> None:
    command, family, base_url, path = argv
    agent = build_agent(model_for(family, base_url))
    if command in ("ask", "answer"):
        agent = build_deferred_agent(model_for(family, base_url))
    if command == "ask":  # a deferred tool: the run pauses for a person's answer
        result = agent.generate("Should I deploy today?")
        with open(path, "w", encoding="utf-8") as f:
            f.write(fantasy.to_json(result.all_messages()))
        print(json.dumps([[p.tool_call_id, p.input.question] for p in result.pending_calls]))
    elif command == "answer":  # another process: the answer arrived
        with open(path, encoding="utf-8") as f:
            messages = fantasy.from_json(f.read(), list[fantasy.Message])
        answers = {p.tool_call_id: "Yes, deploy." for p in agent.pending(messages)}
        result = agent.generate(messages=messages, tool_results=answers)
        print(json.dumps({"text": result.text, "paused": result.paused}))
    elif command == "start":  # run until the run pauses, save the conversation
        result = agent.generate(PROMPT)
        with open(path, "w", encoding="utf-8") as f:
            f.write(fantasy.to_json(result.all_messages()))
        print(json.dumps([p.tool_call_id for p in result.pending_approvals]))
    elif command == "resume":  # another process: load, show, decide, resume
        with open(path, encoding="utf-8") as f:
            messages = fantasy.from_json(f.read(), list[fantasy.Message])
        pending = agent.pending(messages)
        approvals = {p.tool_call_id: decide(p) for p in pending}
        result = agent.generate(messages=messages, approvals=approvals)
        print(json.dumps({"text": result.text, "paused": result.paused}))
    else:
        raise SystemExit(f"unknown command {command!r}")


if __name__ == "__main__":
    main(sys.argv[1:])
