// An MCP server for the agent suite: one tool, `deploy`, that asks the user (an MCP elicitation)
// which environment to deploy to before it answers, and answers with what the user sent back.
// Claude Code starts it over stdio, as it starts any MCP server a project names.
import { McpServer } from '@modelcontextprotocol/sdk/server/mcp.js';
import { StdioServerTransport } from '@modelcontextprotocol/sdk/server/stdio.js';

const server = new McpServer({ name: 'deployer', version: '1.0.0' });
server.registerTool('deploy', { description: 'Deploys the service; asks the user where to.' }, async () => {
  const result = await server.server.elicitInput({
    message: 'Where should the service be deployed?',
    requestedSchema: {
      type: 'object',
      properties: {
        environment: { type: 'string', title: 'Environment', enum: ['staging', 'production'] },
        replicas: { type: 'integer', title: 'Replicas', minimum: 1, maximum: 10 },
        notify: { type: 'boolean', title: 'Tell the team' },
      },
      required: ['environment'],
    },
  });
  return { content: [{ type: 'text', text: `elicitation ${JSON.stringify(result)}` }] };
});
await server.connect(new StdioServerTransport());
