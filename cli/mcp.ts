// `lookout mcp`: a stdio MCP server that lets agents read the feed, and nothing else. It asks the
// Lookout server over GraphQL with the user's URL and token, and offers no way to change or answer
// anything: one read-only tool and one resource. The SDK and zod load only when `lookout mcp` runs,
// never on the hook path (the CLI is one bundle).
import type { McpServer } from '@modelcontextprotocol/sdk/server/mcp.js';

/** Asks Lookout a read-only GraphQL query. */
export type ReadFeed = (query: string, variables: Record<string, unknown>) => Promise<unknown>;

const ATTENTION = `query Attention($project: String, $tier: AttentionTier) {
  attentionSessions(project: $project, tier: $tier) {
    edges { node {
      id agent title project branch host link
      attention { tier reason label detail since }
      pendingPermissions { id kind tool input }
    } }
  }
}`;

interface FeedNode {
  id: string;
  agent: string;
  title: string;
  project: string | null;
  branch: string | null;
  host: string | null;
  link: string | null;
  attention: { tier: string; reason: string; label: string; detail: string | null; since: string };
  pendingPermissions: { id: string; kind: string; tool: string; input: string }[];
}

/** The oldest open prompt: what it asks, not how to answer it. */
const waitingOn = (request: FeedNode['pendingPermissions'][number] | undefined) => (request ? { kind: request.kind, tool: request.tool, input: request.input } : null);

async function attention(read: ReadFeed, filter: { project?: string; tier?: 'NEEDS_YOU' | 'IN_FOCUS' }) {
  const data = (await read(ATTENTION, filter)) as { attentionSessions: { edges: { node: FeedNode }[] } };
  return data.attentionSessions.edges.map(({ node }) => ({
    session: node.id,
    agent: node.agent,
    title: node.title,
    project: node.project,
    branch: node.branch,
    host: node.host,
    tier: node.attention.tier,
    reason: node.attention.reason,
    label: node.attention.label,
    detail: node.attention.detail,
    since: node.attention.since,
    link: node.link,
    // What the agent asks, so another agent can tell the user exactly; answering stays the user's.
    waitingOn: waitingOn(node.pendingPermissions[0]),
  }));
}

export async function createMcpServer(read: ReadFeed, version: string): Promise<McpServer> {
  const [{ McpServer }, { z }] = await Promise.all([import('@modelcontextprotocol/sdk/server/mcp.js'), import('zod')]);
  const server = new McpServer({ name: 'lookout', version });
  server.registerResource(
    'feed',
    'lookout://feed',
    {
      title: 'The attention feed',
      description: 'Every session that needs its human now, or is worth a look, in feed order (JSON).',
      mimeType: 'application/json',
    },
    async (uri) => ({ contents: [{ uri: uri.href, mimeType: 'application/json', text: JSON.stringify(await attention(read, {}), null, 2) }] }),
  );
  server.registerTool(
    'list_attention',
    {
      title: 'Sessions needing attention',
      description:
        "Lists the user's coding-agent sessions that need them (NEEDS_YOU) or are worth a look (IN_FOCUS): why, since when, what exactly, and a link. Read-only: it cannot answer or change anything.",
      inputSchema: {
        project: z.string().trim().min(1).max(200).optional().describe('Only this project (repository name).'),
        tier: z.enum(['NEEDS_YOU', 'IN_FOCUS']).optional().describe('Only this tier.'),
      },
      annotations: { readOnlyHint: true, destructiveHint: false, idempotentHint: true, openWorldHint: false },
    },
    async ({ project, tier }) => {
      const items = await attention(read, { project, tier });
      const lines = items.map(
        (i) => `- [${i.tier}] ${i.label}: ${i.title} (${i.agent}${i.project ? `, ${i.project}` : ''}) since ${i.since}${i.detail ? ` — ${i.detail}` : ''}`,
      );
      return {
        content: [{ type: 'text', text: items.length ? lines.join('\n') : 'Nothing needs attention.' }],
        structuredContent: { sessions: items },
      };
    },
  );
  return server;
}

/** Serves on stdin/stdout until the client goes away. */
export async function serveMcp(read: ReadFeed, version: string): Promise<void> {
  const { StdioServerTransport } = await import('@modelcontextprotocol/sdk/server/stdio.js');
  const server = await createMcpServer(read, version);
  const closed = new Promise<void>((resolve) => (server.server.onclose = resolve));
  await server.connect(new StdioServerTransport());
  await closed;
}
