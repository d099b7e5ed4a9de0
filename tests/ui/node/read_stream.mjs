// Posts a chat to a fantasy endpoint with the AI SDK's own client and prints the
// assistant message it assembles. Usage: node read_stream.mjs <url> < request.json
// request.json: {"chatId": "...", "messages": UIMessage[]}
// Output (stdout, one JSON object): {"message": UIMessage} or {"error": "..."}.
import { DefaultChatTransport, readUIMessageStream } from 'ai';

const url = process.argv[2];
const input = JSON.parse(await new Promise((resolve) => {
  let data = '';
  process.stdin.on('data', (chunk) => (data += chunk));
  process.stdin.on('end', () => resolve(data));
}));

// The transport posts {id, messages, trigger, messageId} and parses the SSE response
// against the package's UI message chunk schema; the reader assembles the message.
const transport = new DefaultChatTransport({ api: url });
let message;
try {
  const stream = await transport.sendMessages({
    chatId: input.chatId,
    messages: input.messages,
    trigger: 'submit-message',
    messageId: undefined,
    abortSignal: undefined,
  });
  for await (const snapshot of readUIMessageStream({ stream, terminateOnError: true })) {
    message = snapshot;
  }
  process.stdout.write(JSON.stringify({ message }));
} catch (error) {
  process.stdout.write(JSON.stringify({ error: String(error && error.message ? error.message : error), message }));
}
