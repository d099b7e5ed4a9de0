// The AI SDK's own chat runs a tool in the "browser": onToolCall answers the call the
// endpoint streamed with addToolOutput, and the SDK sends the conversation back by
// itself (lastAssistantMessageIsCompleteWithToolCalls).
// Usage: node chat_client_tool.mjs <url> <prompt> <output as JSON>
// Output: {"messages": UIMessage[], "error"?: string}
import {
  AbstractChat,
  DefaultChatTransport,
  lastAssistantMessageIsCompleteWithToolCalls,
} from 'ai';

const [url, prompt, outputJson] = process.argv.slice(2);

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
  id: 'chat-client-tool',
  state: new MemoryState(),
  transport: new DefaultChatTransport({ api: url }),
  sendAutomaticallyWhen: lastAssistantMessageIsCompleteWithToolCalls,
  onError: (error) => { failure = String(error.message || error); },
  onToolCall: ({ toolCall }) => {
    // Not awaited, as the SDK's documentation says (it would deadlock the stream).
    chat.addToolOutput({
      tool: toolCall.toolName,
      toolCallId: toolCall.toolCallId,
      output: JSON.parse(outputJson),
    });
  },
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
// The automatic continuation starts once the output is in; wait for it too.
for (let i = 0; i < 400 && chat.messages.at(-1).parts.at(-1)?.type !== 'text'; i++) {
  await new Promise((r) => setTimeout(r, 25));
  await settled();
}
process.stdout.write(JSON.stringify({ messages: chat.messages, error: failure }));
