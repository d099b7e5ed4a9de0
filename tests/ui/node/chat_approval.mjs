// The AI SDK's own chat (AbstractChat with an in-memory state, as its React and Vue
// bindings build theirs) sends a message, answers the tool approval request the
// endpoint streams with addToolApprovalResponse, and lets the SDK send the
// continuation automatically (lastAssistantMessageIsCompleteWithApprovalResponses).
// Usage: node chat_approval.mjs <url> <approved: true|false> <reason> <prompt>
// Output: {"messages": UIMessage[], "requested": UIMessagePart, "error"?: string}
import {
  AbstractChat,
  DefaultChatTransport,
  lastAssistantMessageIsCompleteWithApprovalResponses,
} from 'ai';

const [url, approvedArg, reason, prompt] = process.argv.slice(2);

class MemoryState {
  constructor() { this.status = 'ready'; this.error = undefined; this.messages = []; }
  pushMessage(m) { this.messages = this.messages.concat(m); }
  popMessage() { this.messages = this.messages.slice(0, -1); }
  replaceMessage(i, m) { this.messages = [...this.messages.slice(0, i), m, ...this.messages.slice(i + 1)]; }
  snapshot(thing) { return structuredClone(thing); }
}

class Chat extends AbstractChat {}

let failure;
const chat = new Chat({
  id: 'chat-approval',
  state: new MemoryState(),
  transport: new DefaultChatTransport({ api: url }),
  sendAutomaticallyWhen: lastAssistantMessageIsCompleteWithApprovalResponses,
  onError: (error) => { failure = String(error.message || error); },
});

async function settled() {
  for (let i = 0; i < 600; i++) {
    if (chat.status === 'ready' || chat.status === 'error') return;
    await new Promise((r) => setTimeout(r, 25));
  }
  throw new Error('the chat did not settle');
}

await chat.sendMessage({ text: prompt });
await settled();
const requested = chat.messages.at(-1).parts.find((p) => p.state === 'approval-requested');
if (requested) {
  await chat.addToolApprovalResponse({
    id: requested.approval.id,
    approved: approvedArg === 'true',
    reason: reason || undefined,
  });
  // The SDK sends the continuation by itself; wait until its answer is in.
  for (let i = 0; i < 400 && chat.messages.at(-1).parts.at(-1)?.type !== 'text'; i++) {
    await new Promise((r) => setTimeout(r, 25));
    await settled();
  }
}
process.stdout.write(JSON.stringify({ messages: chat.messages, requested, error: failure }));
