// The git state of a session's folder, measured with a timeout by the CLI hook on the agent's
// machine, as the agent's user, in the folder the agent works in (the server never runs git).
// Anything unclear is "unknown", never "clean": a folder that is not a repository, or a git that
// fails or hangs. git never runs a repository's fsmonitor command here (it only slows the hook).
import { execFile } from 'node:child_process';
import { createHash } from 'node:crypto';
import { stat } from 'node:fs/promises';
import path from 'node:path';

const GIT_TIMEOUT_MS = 700;

function git(cwd: string, args: string[]): Promise<string | null> {
  return new Promise((resolve) => {
    execFile('git', ['-c', 'core.fsmonitor=false', ...args], { cwd, timeout: GIT_TIMEOUT_MS, maxBuffer: 8 * 1024 * 1024 }, (error, stdout) =>
      resolve(error ? null : stdout),
    );
  });
}

export interface GitState {
  /** The repository's name: its main worktree's folder, so linked worktrees count as one project. */
  project?: string;
  branch?: string;
  /** null: unknown. */
  uncommittedFiles: number | null;
  /** A digest of the uncommitted changes: which files, with their status, size and time of change; null: unknown. */
  worktreeState: string | null;
}

/** At most this many changed files are looked at for the digest (the count is exact regardless). */
const MAX_FILES_DIGESTED = 1_000;

/** `git status --porcelain -z`: each changed path with its status (a rename's source follows it, and is skipped). */
function changedPaths(status: string): string[] {
  const fields = status.split('\0');
  const entries: string[] = [];
  for (let i = 0; i < fields.length; i++) {
    const entry = fields[i]!;
    if (entry.length < 4) continue;
    entries.push(entry);
    if (entry[0] === 'R' || entry[0] === 'C') i++;
  }
  return entries;
}

/**
 * The digest of the changes; a file changed at or after \`since\` (the session began: a hook that runs
 * in the background may look a moment later) counts as new, so such a digest matches no later one.
 */
async function digest(topLevel: string, entries: string[], since?: Date): Promise<string> {
  const hash = createHash('sha256');
  const digested = entries.slice(0, MAX_FILES_DIGESTED);
  // Looked at all at once: the hook runs while the agent waits.
  const files = await Promise.all(digested.map((entry) => stat(path.join(topLevel, entry.slice(3))).catch(() => null)));
  digested.forEach((entry, i) => {
    const file = files[i];
    const changed = file && since && file.mtimeMs >= since.getTime() ? 'since' : file ? `${file.size}:${file.mtimeMs}` : '-';
    hash.update(`${entry}\0${changed}\0`);
  });
  return hash.update(String(entries.length)).digest('base64url').slice(0, 32);
}

/** \`since\`: when the session began, for the state it found (see digest). */
export async function gitState(cwd: string, withStatus: boolean, since?: Date): Promise<GitState> {
  const [where, status] = await Promise.all([
    git(cwd, ['rev-parse', '--path-format=absolute', '--show-toplevel', '--git-common-dir', '--abbrev-ref', 'HEAD']),
    withStatus ? git(cwd, ['status', '--porcelain', '-z', '--untracked-files=normal']) : Promise.resolve(null),
  ]);
  if (where === null) return { project: path.basename(cwd), uncommittedFiles: null, worktreeState: null };
  const [topLevel, commonDir, branch] = where.trim().split('\n');
  const mainWorktree = commonDir && path.basename(commonDir) === '.git' ? path.dirname(commonDir) : topLevel;
  const entries = status === null ? null : changedPaths(status);
  return {
    project: mainWorktree ? path.basename(mainWorktree) : undefined,
    branch: branch && branch !== 'HEAD' ? branch : undefined,
    uncommittedFiles: entries === null ? null : entries.length,
    worktreeState: entries === null || !topLevel ? null : await digest(topLevel, entries, since),
  };
}
