// A scripted stand-in for the OpenAI Responses API on loopback, so that the real Codex CLI runs a
// real turn, tool and hooks with no model and no network: the first request asks for one shell
// command (exec_command), the one after its output ends the turn with a message. Every request is kept.
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';

export interface ScriptedResponses {
  /** The base URL Codex's provider points at (…/v1). */
  url: string;
  /** What Codex sent back as the command's output, once it has. */
  commandOutput(): Promise<string>;
  close(): Promise<void>;
}

interface Item {
  type: string;
  call_id?: string;
  output?: unknown;
}

export async function startScriptedResponses(command: string, finalText = 'Done. Anything else?'): Promise<ScriptedResponses> {
  let id = 0;
  let resolveOutput!: (output: string) => void;
  const output = new Promise<string>((resolve) => (resolveOutput = resolve));
  const callId = 'call_scripted_1';
  const server: Server = createServer((req, res) => {
    let body = '';
    req.on('data', (chunk) => (body += chunk));
    req.on('end', () => {
      if (!req.url?.includes('/responses')) return void res.writeHead(404, { 'content-type': 'application/json' }).end('{"error":{"message":"not here"}}');
      let request: { input?: Item[] } = {};
      try {
        request = JSON.parse(body) as { input?: Item[] };
      } catch {}
      const result = (request.input ?? []).find((item) => item.type === 'function_call_output' && item.call_id === callId);
      const responseId = `resp_${++id}`;
      let item: Record<string, unknown>;
      if (result) {
        resolveOutput(typeof result.output === 'string' ? result.output : JSON.stringify(result.output));
        item = { type: 'message', id: `msg_${id}`, role: 'assistant', status: 'completed', content: [{ type: 'output_text', text: finalText, annotations: [] }] };
      } else {
        item = { type: 'function_call', id: `fc_${id}`, call_id: callId, name: 'exec_command', arguments: JSON.stringify({ cmd: command }), status: 'completed' };
      }
      res.writeHead(200, { 'content-type': 'text/event-stream' });
      const send = (type: string, data: object) => res.write(`event: ${type}\ndata: ${JSON.stringify({ type, ...data })}\n\n`);
      send('response.created', { response: { id: responseId, object: 'response', status: 'in_progress', output: [] } });
      send('response.output_item.added', { output_index: 0, item });
      send('response.output_item.done', { output_index: 0, item });
      const usage = { input_tokens: 10, output_tokens: 10, total_tokens: 20, input_tokens_details: { cached_tokens: 0 }, output_tokens_details: { reasoning_tokens: 0 } };
      send('response.completed', { response: { id: responseId, object: 'response', status: 'completed', output: [item], usage } });
      res.end();
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/v1`,
    commandOutput: () => output,
    close: () => new Promise((resolve) => server.close(() => resolve())),
  };
}
