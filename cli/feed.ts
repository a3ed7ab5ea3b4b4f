// The feed in a terminal: `lookout ls` (and `ls --hidden`) and `lookout watch`.
import { formatElapsed } from '../shared/elapsed.ts';
import { graphql } from './graphql.ts';
import type { Server } from './hook.ts';

const FEED = `query Feed($project: String) {
  attentionSessions(project: $project) {
    latestSeq
    edges { node { id title project branch host agent attention { tier reason label detail since } pendingPermissions { id kind input alwaysAllowRule elicitation { fields { name type required options { value } } } } } }
  }
}`;

const CHANGES = `subscription Changes($project: String, $after: Int) {
  attentionChanged(project: $project, after: $after) {
    __typename
    ... on AttentionChange { seq session { id title project pendingPermissions { id kind alwaysAllowRule } } attention { tier label detail } previous { tier label } }
    ... on FeedResyncRequired { reason }
  }
}`;

interface FeedNode {
  id: string;
  title: string | null;
  project: string | null;
  branch: string | null;
  host: string | null;
  agent: string;
  attention: { tier: string; reason: string; label: string; detail: string | null; since: string };
  pendingPermissions: { id: string; kind: string; input: string; alwaysAllowRule: string | null; elicitation: { fields: ElicitationFieldNode[] | null } | null }[];
}

interface ElicitationFieldNode {
  name: string;
  type: string;
  required: boolean;
  options: { value: string }[];
}

/** Prints the feed; returns the log position it reflects. */
export async function list(server: Server, project: string | undefined, json: boolean): Promise<number> {
  const data = await graphql<{ attentionSessions: { latestSeq: number; edges: { node: FeedNode }[] } }>(server, FEED, { project });
  const nodes = data.attentionSessions.edges.map((e) => e.node);
  const { latestSeq } = data.attentionSessions;
  if (json) {
    console.log(JSON.stringify(nodes, null, 2));
    return latestSeq;
  }
  const now = new Date();
  for (const [tier, heading] of [['NEEDS_YOU', 'Needs you'], ['IN_FOCUS', 'In focus']] as const) {
    const inTier = nodes.filter((n) => n.attention.tier === tier);
    console.log(`${heading} (${inTier.length})`);
    for (const n of inTier) {
      const where = [n.agent, n.project, n.branch].filter(Boolean).join(' · ') + (n.host ? ` on ${n.host}` : '');
      console.log(`  ${n.attention.label.padEnd(24)} ${formatElapsed(new Date(n.attention.since), now).padStart(4)}  ${n.title}  ${where}`);
      const pad = ''.padEnd(32);
      for (const pending of n.pendingPermissions) {
        // The whole input, every line: what you allow is what you read.
        for (const line of pending.input.split('\n')) console.log(`${pad}${line}`);
        if (pending.kind === 'ELICITATION') for (const field of pending.elicitation?.fields ?? []) console.log(`${pad}  ${field.name}: ${fieldWords(field)}`);
        console.log(`${pad}answer: ${answerHint(pending)}`);
      }
      if (!n.pendingPermissions.length && n.attention.detail) console.log(`${pad}${n.attention.detail}`);
    }
  }
  if (!nodes.length) console.log('All clear.');
  return latestSeq;
}

/** The commands that answer a prompt, as `ls` and `watch` print them. */
function answerHint(pending: { id: string; kind: string; alwaysAllowRule: string | null }): string {
  if (pending.kind === 'QUESTION') return `lookout answer ${pending.id} OPTION... | --other "..."`;
  if (pending.kind === 'ELICITATION') return `lookout answer ${pending.id} FIELD=VALUE... | --decline | --cancel`;
  const always = pending.alwaysAllowRule ? ` (--always: ${pending.alwaysAllowRule})` : '';
  return `lookout allow ${pending.id}${always} | lookout deny ${pending.id} --message "..."`;
}

/** What a form's field takes, in words: "one of staging, production (required)". */
function fieldWords(field: ElicitationFieldNode): string {
  const takes: Record<string, string> = { TEXT: 'text', NUMBER: 'a number', INTEGER: 'a whole number', BOOLEAN: 'yes or no', CHOICE: 'one of', CHOICES: 'any of (comma-separated)' };
  const options = field.options.length ? ` ${field.options.map((o) => o.value).join(', ')}` : '';
  return `${takes[field.type]}${options}${field.required ? ' (required)' : ''}`;
}

/** The sessions the user hid, to find them again. */
export async function listHidden(server: Server, json: boolean) {
  const query = '{ sessions(filter: { hidden: true }, first: 100) { edges { node { id title agent project branch } } } }';
  const data = await graphql<{ sessions: { edges: { node: { id: string; title: string; agent: string; project: string | null; branch: string | null } }[] } }>(server, query, {});
  const nodes = data.sessions.edges.map((e) => e.node);
  if (json) return console.log(JSON.stringify(nodes, null, 2));
  for (const n of nodes) console.log(`${n.id}  ${n.title}  ${[n.agent, n.project, n.branch].filter(Boolean).join(' · ')}`);
  console.log(nodes.length ? 'Bring one back with: lookout unhide ID' : 'Nothing is hidden.');
}

/** The feed as it is, then every change after it, with nothing missed in between. */
export async function watch(server: Server, project: string | undefined): Promise<void> {
  const after = await list(server, project, false);
  console.log('Watching for changes (Ctrl+C to stop)...');
  // Loaded here, not at start: the hook path runs on every agent step and must start fast.
  const [{ createClient }, { default: WebSocket }] = await Promise.all([import('graphql-ws'), import('ws')]);
  const client = createClient({
    url: new URL('/graphql', server.url).href.replace(/^http/, 'ws'),
    webSocketImpl: WebSocket,
    connectionParams: server.token ? { authorization: `Bearer ${server.token}` } : {},
    retryAttempts: Number.POSITIVE_INFINITY,
  });
  return new Promise((resolve, reject) => {
    client.subscribe<{ attentionChanged: Record<string, any> }>(
      { query: CHANGES, variables: { project, after } },
      {
        next: ({ data }) => {
          const change = data?.attentionChanged;
          const time = new Date().toLocaleTimeString();
          if (!change) return;
          if (change.__typename === 'FeedResyncRequired') return console.log(`${time}  (resync: ${change.reason})`);
          const what = change.attention
            ? `${change.attention.tier.padEnd(9)} ${change.attention.label}${change.attention.detail ? ` · ${change.attention.detail}` : ''}`
            : `left      (was ${change.previous?.label})`;
          console.log(`${time}  ${what}  ${change.session.title}${change.session.project ? ` (${change.session.project})` : ''}  [${change.session.id}]`);
          if (change.attention) for (const pending of change.session.pendingPermissions ?? []) console.log(`${''.padEnd(time.length)}  answer: ${answerHint(pending)}`);
        },
        error: reject,
        complete: resolve,
      },
    );
  });
}
