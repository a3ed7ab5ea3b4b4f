// Who is asking, and what they may do. Scopes nest: admin can do everything; act is read plus the
// person's own actions; report is what agents need, and nothing else.
export const SCOPES = ['report', 'read', 'act', 'admin'] as const;
export type Scope = (typeof SCOPES)[number];

/** What each scope grants, itself included. */
const GRANTS: Record<Scope, readonly Scope[]> = {
  report: ['report'],
  read: ['read'],
  act: ['read', 'act'],
  admin: ['report', 'read', 'act', 'admin'],
};

export interface Principal {
  /** The person whose sessions these are. */
  person: string;
  scope: Scope;
  /** The token used; null for LOOKOUT_TOKEN, or for a Lookout with no LOOKOUT_TOKEN asked with no token. */
  tokenId: string | null;
}

export function grants(scope: Scope, needed: Scope): boolean {
  return GRANTS[scope].includes(needed);
}
