// Which links a session may carry and the page may open: web pages, and the editors and terminals
// that open a session or a folder by URL. Anything else (javascript:, data:, file:, ...) could run
// code or read files when clicked, so it is refused on input and never opened. Shared by the API
// and the page.

export const LINK_SCHEMES = ['http', 'https', 'vscode', 'vscode-insiders', 'cursor', 'windsurf', 'zed', 'jetbrains', 'warp'] as const;

const allowed = new Set<string>(LINK_SCHEMES.map((scheme) => `${scheme}:`));

export function isOpenableLink(link: string): boolean {
  try {
    return allowed.has(new URL(link).protocol);
  } catch {
    return false;
  }
}
