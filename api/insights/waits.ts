// The waits behind the Insights figures: each stretch of time a session needed its person, read
// from the log entry by entry. Pure functions of the entries: the same log always gives the same
// waits (api/insights/insights.ts stores them as the log grows).
import { type Attention, WAITING_LABELS } from '../attention/rules.ts';
import type { SessionEventKind } from '../generated/prisma/client.ts';

export const WAIT_KINDS = ['PERMISSION', 'QUESTION', 'PLAN', 'BLOCKED', 'REPLY', 'FAILED', 'UNCOMMITTED'] as const;
export type WaitKind = (typeof WAIT_KINDS)[number];

/** Where an answer came from, or how a wait ended without one. */
export const WAIT_ENDINGS = ['TERMINAL', 'FEED', 'CLI', 'API', 'LINK', 'NTFY', 'SLACK', 'TELEGRAM', 'EXPIRED', 'CLOSED', 'DISMISSED', 'LAPSED'] as const;
export type WaitEnding = (typeof WAIT_ENDINGS)[number];
const ANSWER_SOURCES = new Set<string>(['FEED', 'CLI', 'API', 'LINK', 'NTFY', 'SLACK', 'TELEGRAM']);

/** One log entry, with what the indexer needs of its session. */
export interface LoggedEntry {
  seq: number;
  sessionId: string;
  kind: SessionEventKind;
  at: Date;
  input: Record<string, unknown>;
  attention: Attention | null;
  project: string | null;
  owner: string;
  agent: string;
}

export interface Wait {
  sessionId: string;
  owner: string;
  project: string | null;
  agent: string;
  kind: WaitKind;
  subagent: boolean;
  startedAt: Date;
  seenAt: Date | null;
  answeredAt: Date | null;
  endedAt: Date | null;
  endedBy: WaitEnding | null;
  decision: 'ALLOW' | 'DENY' | null;
  escalated: boolean;
  tool: string | null;
  rule: string | null;
  startSeq: number;
  endSeq: number | null;
}

const KIND_OF_LABEL = new Map<string, WaitKind>(
  Object.entries(WAITING_LABELS).map(([reason, label]) => [label, reason === 'REVIEW' ? 'PLAN' : (reason as WaitKind)]),
);

/** What an attention asks of its person, or null when it is not a wait (done, stale, or nothing). */
export function waitKindOf(attention: Attention | null): WaitKind | null {
  if (!attention || attention.tier !== 'NEEDS_YOU') return null;
  switch (attention.reason) {
    case 'WAITING':
      return KIND_OF_LABEL.get(attention.label) ?? 'BLOCKED';
    case 'AWAITING_REPLY':
      return 'REPLY';
    case 'FAILED':
      return 'FAILED';
    case 'UNCOMMITTED_WORK':
      return 'UNCOMMITTED';
    default:
      return null;
  }
}

const EDIT_TOOLS = new Set(['Edit', 'Write', 'MultiEdit', 'NotebookEdit']);

/**
 * The entry of Claude Code's `permissions.allow` that allows exactly this tool call, or null when
 * none says it exactly: `Bash(<the command>)` for a one-line command, `Edit(//<absolute path>)` for
 * a file edit (Claude Code checks every editing tool against Edit rules), `WebFetch(domain:<host>)`,
 * or the tool's name (an MCP server's tool, or a tool without input to match).
 */
export function allowRuleOf(tool: string, input: string): string | null {
  if (tool === 'Bash') {
    const command = input.trim();
    return command && !/[\n\r()]/.test(command) ? `Bash(${command})` : null;
  }
  if (EDIT_TOOLS.has(tool)) {
    const path = input.split('\n')[0]!.replace(/ \(\d+ lines\)$/, '');
    return path.startsWith('/') && !/[()]/.test(path) ? `Edit(/${path})` : null;
  }
  if (tool === 'WebFetch') {
    try {
      return `WebFetch(domain:${new URL(input.trim()).hostname})`;
    } catch {
      return null;
    }
  }
  if (tool.startsWith('mcp__') || /^[A-Z][A-Za-z]+$/.test(tool)) return tool;
  return null;
}

/** What a log entry did to its session's open wait: the wait as it is now, the one it ended, the one it began. */
export interface WaitStep {
  /** The open wait, updated (seen, escalated, answered) but still open. */
  updated?: Wait;
  ended?: Wait;
  began?: Wait;
}

const sameWait = (wait: Wait, kind: WaitKind | null, attention: Attention | null) =>
  kind === wait.kind && attention!.since.getTime() === wait.startedAt.getTime();

/** How an entry that moved the attention on ended the wait it had. */
function endingOf(entry: LoggedEntry, open: Wait): { endedBy: WaitEnding; decision: Wait['decision'] } {
  const by = entry.input.by;
  switch (entry.kind) {
    case 'ANSWER':
      return { endedBy: typeof by === 'string' && ANSWER_SOURCES.has(by) ? (by as WaitEnding) : 'API', decision: decisionOf(entry.input) };
    case 'EXPIRE':
      return { endedBy: 'EXPIRED', decision: null };
    case 'CLOSE':
      return { endedBy: open.endedBy ?? 'CLOSED', decision: open.decision };
    case 'HIDE':
      return { endedBy: 'DISMISSED', decision: null };
    case 'TIMER':
      return { endedBy: 'LAPSED', decision: null };
    default: {
      // The agent went on: answered where it asked (unless an answer from Lookout came first). A
      // permission prompt whose own tool call then ran was allowed; one whose call was denied, denied.
      if (open.endedBy) return { endedBy: open.endedBy, decision: open.decision };
      const call = entry.input.toolCall as { tool?: unknown } | null | undefined;
      const itsCall = open.tool !== null && (call?.tool === open.tool || (open.subagent && typeof entry.input.agentId === 'string'));
      const outcome = open.kind === 'PERMISSION' && itsCall ? entry.input.toolOutcome : undefined;
      return { endedBy: 'TERMINAL', decision: outcome === 'RAN' ? 'ALLOW' : outcome === 'DENIED' ? 'DENY' : null };
    }
  }
}

function decisionOf(input: Record<string, unknown>): Wait['decision'] {
  if (input.decision === 'DENY') return 'DENY';
  return typeof input.decision === 'string' && input.decision.startsWith('ALLOW') ? 'ALLOW' : null;
}

/** The permission prompt an entry opened: its tool and its rule. */
function promptOf(entry: LoggedEntry): { tool: string | null; rule: string | null } {
  const ask = entry.input.permission as { tool?: unknown; input?: unknown; kind?: unknown } | undefined;
  if (!ask || typeof ask.tool !== 'string' || ask.kind !== 'PERMISSION') return { tool: null, rule: null };
  return { tool: ask.tool, rule: typeof ask.input === 'string' ? allowRuleOf(ask.tool, ask.input) : null };
}

/**
 * One entry against its session's open wait (or none). A wait is one kind of need since one
 * moment (the attention's `since`): a new prompt after an answered one is a new wait, a detail
 * that changes is not. It lasts while the agent waits, not while the feed shows it: looking at it
 * (seen) or snoozing it takes it off the feed, and it goes on; hiding the session ends it.
 */
export function stepWaits(open: Wait | null, entry: LoggedEntry): WaitStep {
  const kind = waitKindOf(entry.attention);
  const step: WaitStep = {};
  let current = open;
  // Looked at, or snoozed: gone from the feed until the session's next event, but the agent still waits.
  const stillWaiting = (entry.kind === 'SEEN' || entry.kind === 'SNOOZE') && entry.attention === null;
  if (current && !stillWaiting && !sameWait(current, kind, entry.attention)) {
    const at = entry.at < current.startedAt ? current.startedAt : entry.at;
    const { endedBy, decision } = endingOf(entry, current);
    const answered = endedBy === 'TERMINAL' || ANSWER_SOURCES.has(endedBy);
    step.ended = { ...current, endedAt: at, endSeq: entry.seq, endedBy, decision, answeredAt: current.answeredAt ?? (answered ? at : null) };
    current = null;
  }
  if (kind && !current) {
    const { tool, rule } = kind === 'PERMISSION' ? promptOf(entry) : { tool: null, rule: null };
    step.began = {
      sessionId: entry.sessionId,
      owner: entry.owner,
      project: entry.project,
      agent: entry.agent,
      kind,
      subagent: typeof entry.input.agentId === 'string' || typeof (entry.input.permission as { agentId?: unknown } | undefined)?.agentId === 'string',
      startedAt: entry.attention!.since,
      seenAt: entry.kind === 'SEEN' ? entry.at : null,
      answeredAt: null,
      endedAt: null,
      endedBy: null,
      decision: null,
      escalated: !!entry.attention!.escalatedAt,
      tool,
      rule,
      startSeq: entry.seq,
      endSeq: null,
    };
    return step;
  }
  if (current) {
    // Looked at for the first time, escalated, or answered from Lookout (the agent has yet to take it).
    const seen = (entry.kind === 'SEEN' || entry.kind === 'SNOOZE') && !current.seenAt;
    const escalated = !!entry.attention?.escalatedAt && !current.escalated;
    const answered = entry.kind === 'ANSWER' && !current.endedBy;
    if (seen || escalated || answered) {
      step.updated = {
        ...current,
        ...(seen ? { seenAt: entry.at } : {}),
        ...(escalated ? { escalated: true } : {}),
        ...(answered ? { ...endingOf(entry, current), answeredAt: entry.at } : {}),
      };
    }
  }
  return step;
}
