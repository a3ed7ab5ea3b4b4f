// The feed's order, which the server and the page keep alike: tier, then reason in priority
// order, then the most recent first, then the session id.

export const ATTENTION_TIERS = ['NEEDS_YOU', 'IN_FOCUS'] as const;
export type AttentionTier = (typeof ATTENTION_TIERS)[number];

// In priority order: the first that applies is the session's reason.
export const ATTENTION_REASONS = [
  'WAITING',
  'FAILED',
  'AWAITING_REPLY',
  'UNCOMMITTED_WORK',
  'DONE',
  'STALE',
] as const;
export type AttentionReason = (typeof ATTENTION_REASONS)[number];

/** What the order looks at of an attention. */
export interface Ranked {
  tier: AttentionTier;
  reason: AttentionReason;
  since: Date;
}

/** Feed order: tier, reason priority, then most recent first. */
export function compareAttention(a: Ranked, b: Ranked): number {
  return (
    ATTENTION_TIERS.indexOf(a.tier) - ATTENTION_TIERS.indexOf(b.tier) ||
    ATTENTION_REASONS.indexOf(a.reason) - ATTENTION_REASONS.indexOf(b.reason) ||
    b.since.getTime() - a.since.getTime()
  );
}

/** The feed's order: by attention, then by session id; the page keeps its copy in the same order. */
export function inFeedOrder(aId: string, a: Ranked, bId: string, b: Ranked): number {
  return compareAttention(a, b) || aId.localeCompare(bId);
}
