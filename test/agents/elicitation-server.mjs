// An MCP server for the agent suite: one tool, `deploy`, that asks the user (an MCP elicitation)
// which environment to deploy to before it answers, and answers with what the user sent back.
// Claude Code starts it over stdio, as it starts any MCP server a project names.
import { readFileSync } from 'node:fs';
import { McpServer } from '@modelcontextprotocol/sdk/server/mcp.js';
import { StdioServerTransport } from '@modelcontextprotocol/sdk/server/stdio.js';

// The form it asks, the one the tests fill in.
const FORM = JSON.parse(readFileSync(new URL('../fixtures/deploy-form.json', import.meta.url), 'utf8'));

const server = new McpServer({ name: 'deployer', version: '1.0.0' });
server.registerTool('deploy', { description: 'Deploys the service; asks the user where to.' }, async () => {
  const result = await server.server.elicitInput(FORM);
  return { content: [{ type: 'text', text: `elicitation ${JSON.stringify(result)}` }] };
});
await server.connect(new StdioServerTransport());
