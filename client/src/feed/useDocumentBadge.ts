// The tab tells from the background: counts in the document title and a badge on the favicon.
import { useEffect } from 'react';

function badgeIcon(count: number): string {
  const label = count > 9 ? '9+' : String(count);
  const svg = `<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 32 32"><circle cx="16" cy="16" r="15" fill="#d93025"/><text x="16" y="22" font-family="sans-serif" font-size="${label.length > 1 ? 15 : 19}" font-weight="700" fill="#fff" text-anchor="middle">${label}</text></svg>`;
  return `data:image/svg+xml,${encodeURIComponent(svg)}`;
}

export function summarize(needsYou: number, inFocus: number): string {
  if (needsYou === 0 && inFocus === 0) return 'All clear';
  const parts = [];
  if (needsYou) parts.push(`${needsYou} need${needsYou === 1 ? 's' : ''} you`);
  if (inFocus) parts.push(`${inFocus} in focus`);
  return parts.join(' · ');
}

export function useDocumentBadge(needsYou: number, inFocus: number, ready: boolean) {
  useEffect(() => {
    if (!ready) return;
    document.title = needsYou ? `(${needsYou}) Lookout · ${summarize(needsYou, inFocus)}` : `Lookout · ${summarize(needsYou, inFocus)}`;
    const icon = document.querySelector<HTMLLinkElement>('link[rel="icon"]');
    if (icon) icon.href = needsYou ? badgeIcon(needsYou) : '/favicon.svg';
  }, [needsYou, inFocus, ready]);
}
