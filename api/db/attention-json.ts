// How an attention is kept in a log entry: JSON, with its times as ISO strings. The store writes
// it; GraphQL's event log reads it back through Prisma.
import type { Attention } from '../attention/rules.ts';

export function attentionToJson(attention: Attention | null): string | null {
  return attention && JSON.stringify({ ...attention, since: attention.since.toISOString(), escalatedAt: attention.escalatedAt?.toISOString() ?? null });
}

export function attentionFromJson(json: string | null): Attention | null {
  if (!json) return null;
  const parsed = JSON.parse(json) as Omit<Attention, 'since' | 'escalatedAt'> & { since: string; escalatedAt?: string | null };
  // Entries logged before attentions had a detail or an escalation have none.
  return { ...parsed, detail: parsed.detail ?? null, since: new Date(parsed.since), escalatedAt: parsed.escalatedAt ? new Date(parsed.escalatedAt) : null };
}
