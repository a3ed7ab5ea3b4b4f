// The git state of a session's folder, measured with a timeout by the CLI hook on the agent's
// machine, as the agent's user, in the folder the agent works in (the server never runs git).
// Anything unclear is "unknown", never "clean": a folder that is not a repository, or a git that
// fails or hangs. git never runs a repository's fsmonitor command here (it only slows the hook).
import { execFile } from 'node:child_process';
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
}

export async function gitState(cwd: string, withStatus: boolean): Promise<GitState> {
  const [where, status] = await Promise.all([
    git(cwd, ['rev-parse', '--path-format=absolute', '--show-toplevel', '--git-common-dir', '--abbrev-ref', 'HEAD']),
    withStatus ? git(cwd, ['status', '--porcelain', '--untracked-files=normal']) : Promise.resolve(null),
  ]);
  if (where === null) return { project: path.basename(cwd), uncommittedFiles: null };
  const [topLevel, commonDir, branch] = where.trim().split('\n');
  const mainWorktree = commonDir && path.basename(commonDir) === '.git' ? path.dirname(commonDir) : topLevel;
  return {
    project: mainWorktree ? path.basename(mainWorktree) : undefined,
    branch: branch && branch !== 'HEAD' ? branch : undefined,
    uncommittedFiles: status === null ? null : status.split('\n').filter((line) => line.trim()).length,
  };
}
