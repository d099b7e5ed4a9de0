"""``sampling/createMessage`` from a server, answered by a fantasy model the user chose.

Off by default: a server can ask the client's model to write for it only when the
server was given ``sampling_model=``. Text, images and audio in the request become
message parts; the answer is the model's text. A failure of the model is sent back to
the server as a JSON-RPC error, never raised into the session.
"""

from __future__ import annotations

import base64
import logging
from collections.abc import Awaitable, Callable
from typing import Any

from fantasy.model import Call, LanguageModel
from fantasy.types import FilePart, FinishReason, Message, MessagePart, Role, TextPart

logger = logging.getLogger("fantasy.mcp")

SamplingCallback = Callable[[Any, Any], Awaitable[Any]]


def sampling_callback(model: LanguageModel) -> SamplingCallback:
    """The SDK sampling callback that asks ``model``."""

    async def answer(context: Any, params: Any) -> Any:
        import mcp_types

        try:
            call = Call(
                prompt=request_messages(params),
                max_output_tokens=params.max_tokens,
                temperature=params.temperature,
            )
            response = await model.agenerate(call)
        except Exception as exc:
            logger.info("sampling request failed", exc_info=True)
            return mcp_types.ErrorData(
                code=mcp_types.INTERNAL_ERROR,
                message=f"the client's model failed: {type(exc).__name__}: {exc}",
            )
        stop = {
            FinishReason.STOP: "endTurn",
            FinishReason.LENGTH: "maxTokens",
        }.get(response.finish_reason, "endTurn")
        return mcp_types.CreateMessageResult(
            role="assistant",
            content=mcp_types.TextContent(type="text", text=response.text),
            model=str(getattr(model, "model", "") or getattr(model, "model_id", "") or "fantasy"),
            stop_reason=stop,
        )

    return answer


def request_messages(params: Any) -> list[Message]:
    """A sampling request's system prompt and messages as fantasy messages."""
    out: list[Message] = []
    if params.system_prompt:
        out.append(Message(Role.SYSTEM, [TextPart(params.system_prompt)]))
    for message in params.messages:
        blocks = message.content if isinstance(message.content, list) else [message.content]
        parts: list[MessagePart] = []
        for block in blocks:
            kind = getattr(block, "type", "")
            if kind == "text":
                parts.append(TextPart(block.text))
            elif kind in ("image", "audio"):
                parts.append(FilePart(base64.b64decode(block.data), block.mime_type))
            else:
                raise ValueError(f"a sampling message holds a {kind!r} block, not supported")
        role = Role.ASSISTANT if message.role == "assistant" else Role.USER
        out.append(Message(role, parts))
    return out
