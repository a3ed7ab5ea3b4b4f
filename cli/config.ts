// The CLI's own settings, kept by `install` in LOOKOUT_HOME (`~/.lookout/config.json`, readable by
// its user alone): the server the hooks were wired to, which every command then talks to unless
// told otherwise, and the token each server's hooks send, so that no token sits on a hook's
// command line (where every user of the machine sees it in `ps`).
import { chmod, mkdir, readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';

export interface CliConfig {
  /** The server `install` wired the hooks to last. */
  url?: string;
  /** The token the hooks send, by server origin. */
  hookTokens?: Record<string, string>;
}

export const configFile = (home: string) => path.join(home, 'config.json');

/** The settings, or none when there are none yet (or the file is not what Lookout wrote). */
export async function readCliConfig(home: string): Promise<CliConfig> {
  const text = await readFile(configFile(home), 'utf8').catch(() => null);
  if (!text) return {};
  try {
    const parsed = JSON.parse(text) as unknown;
    if (!parsed || typeof parsed !== 'object' || Array.isArray(parsed)) return {};
    const { url, hookTokens } = parsed as Record<string, unknown>;
    const tokens = hookTokens && typeof hookTokens === 'object' ? Object.entries(hookTokens).filter(([, t]) => typeof t === 'string') : [];
    return { ...(typeof url === 'string' ? { url } : {}), hookTokens: Object.fromEntries(tokens) as Record<string, string> };
  } catch {
    return {};
  }
}

/** Remembers the server the hooks report to, and their token for it (none: the one kept is forgotten). */
export async function rememberServer(home: string, url: string, hookToken: string | undefined): Promise<void> {
  const config = await readCliConfig(home);
  const hookTokens = { ...config.hookTokens };
  if (hookToken) hookTokens[url] = hookToken;
  else delete hookTokens[url];
  await mkdir(home, { recursive: true, mode: 0o700 });
  const file = configFile(home);
  await writeFile(file, `${JSON.stringify({ url, hookTokens }, null, 2)}\n`, { mode: 0o600 });
  // A file written before by another tool keeps its mode: made private all the same.
  await chmod(file, 0o600);
}
