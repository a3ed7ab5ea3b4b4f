// A scripted stand-in for the Anthropic Messages API on loopback, so that the real Claude Code CLI
// runs real turns, tools and hooks with no model and no network. The main conversation asks for
// one tool call, then, once the tool's result comes back, ends its turn with a message; any other
// request (a title, the auto mode's classifier) gets a short text. Every request is kept.
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';

export interface ToolCall {
  name: string;
  input: Record<string, unknown>;
  /** Ask for it even when the request does not offer it (a deferred tool, such as ExitPlanMode). */
  force?: boolean;
}

interface Block {
  type: string;
  [key: string]: unknown;
}
interface MessagesRequest {
  messages?: { role: string; content: string | Block[] }[];
  tools?: { name: string }[];
  stream?: boolean;
}

export interface ScriptedModel {
  url: string;
  /** What Claude Code sent back as the result of the scripted tool call, once it has. */
  toolResult(): Promise<{ content: string; isError: boolean }>;
  /** Resolves when the main conversation has asked for the tool call (and Claude Code is about to run it). */
  asked(): Promise<void>;
  /** What Claude Code sent back as the result of the subagent's tool call, once it has. */
  subagentToolResult(): Promise<{ content: string; isError: boolean }>;
  close(): Promise<void>;
}

const textOf = (content: unknown): string =>
  typeof content === 'string' ? content : Array.isArray(content) ? content.map((c: Block) => (typeof c.text === 'string' ? c.text : textOf(c.content))).join('\n') : '';

/** A subagent the main conversation starts: its conversation is the one whose first message holds `prompt`; it makes `call`, then reports back. */
export interface ScriptedSubagent {
  prompt: string;
  call: ToolCall;
}

export async function startScriptedModel(call: ToolCall, finalText = 'Done. Anything else?', subagent?: ScriptedSubagent): Promise<ScriptedModel> {
  let id = 0;
  let resolveSubagentResult!: (result: { content: string; isError: boolean }) => void;
  const subagentResult = new Promise<{ content: string; isError: boolean }>((resolve) => (resolveSubagentResult = resolve));
  const subagentToolUseId = 'toolu_scripted_subagent_1';
  let resolveResult!: (result: { content: string; isError: boolean }) => void;
  const result = new Promise<{ content: string; isError: boolean }>((resolve) => (resolveResult = resolve));
  let resolveAsked!: () => void;
  const asked = new Promise<void>((resolve) => (resolveAsked = resolve));
  const toolUseId = 'toolu_scripted_1';

  const server: Server = createServer((req, res) => {
    let body = '';
    req.on('data', (chunk) => (body += chunk));
    req.on('end', () => {
      if (!req.url?.startsWith('/v1/messages')) return void res.writeHead(404).end('{}');
      if (req.url.includes('count_tokens')) return void res.writeHead(200, { 'content-type': 'application/json' }).end('{"input_tokens":10}');
      let request: MessagesRequest = {};
      try {
        request = JSON.parse(body) as MessagesRequest;
      } catch {}
      const blocks = (request.messages ?? []).flatMap((m) => (Array.isArray(m.content) ? m.content : []));
      const resultOf = (useId: string) => blocks.find((block) => block.type === 'tool_result' && block.tool_use_id === useId);
      const firstMessage = textOf(request.messages?.find((m) => m.role === 'user')?.content);
      const inSubagent = !!subagent && firstMessage.includes(subagent.prompt);
      const main = !inSubagent && (call.force || (request.tools ?? []).some((tool) => tool.name === call.name));
      const answered = resultOf(toolUseId);
      let content: Block[];
      if (inSubagent) {
        const done = resultOf(subagentToolUseId);
        if (done) resolveSubagentResult({ content: textOf(done.content), isError: done.is_error === true });
        content = done ? [{ type: 'text', text: 'Subtask done.' }] : [{ type: 'tool_use', id: subagentToolUseId, name: subagent!.call.name, input: subagent!.call.input }];
      } else if (main && answered) {
        resolveResult({ content: textOf(answered.content), isError: answered.is_error === true });
        content = [{ type: 'text', text: finalText }];
      } else if (main) {
        resolveAsked();
        content = [{ type: 'tool_use', id: toolUseId, name: call.name, input: call.input }];
      } else {
        content = [{ type: 'text', text: 'ok' }];
      }
      reply(res, request.stream === true, `msg_${++id}`, content);
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    toolResult: () => result,
    subagentToolResult: () => subagentResult,
    asked: () => asked,
    close: () => new Promise((resolve) => server.close(() => resolve())),
  };
}

function reply(res: import('node:http').ServerResponse, stream: boolean, id: string, content: Block[]) {
  const stop = content[0]!.type === 'tool_use' ? 'tool_use' : 'end_turn';
  const message = { id, type: 'message', role: 'assistant', model: 'claude-sonnet-4-5', stop_sequence: null, usage: { input_tokens: 10, output_tokens: 10 } };
  if (!stream) return void res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify({ ...message, content, stop_reason: stop }));
  res.writeHead(200, { 'content-type': 'text/event-stream' });
  const send = (event: string, data: object) => res.write(`event: ${event}\ndata: ${JSON.stringify({ type: event, ...data })}\n\n`);
  send('message_start', { message: { ...message, content: [], stop_reason: null } });
  content.forEach((block, index) => {
    if (block.type === 'tool_use') {
      send('content_block_start', { index, content_block: { ...block, input: {} } });
      send('content_block_delta', { index, delta: { type: 'input_json_delta', partial_json: JSON.stringify(block.input) } });
    } else {
      send('content_block_start', { index, content_block: { type: 'text', text: '' } });
      send('content_block_delta', { index, delta: { type: 'text_delta', text: block.text } });
    }
    send('content_block_stop', { index });
  });
  send('message_delta', { delta: { stop_reason: stop, stop_sequence: null }, usage: { output_tokens: 10 } });
  send('message_stop', {});
  res.end();
}
