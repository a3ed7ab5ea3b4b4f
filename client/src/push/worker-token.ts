// The page's token, kept where its service worker can read it (IndexedDB "lookout", store "page",
// key "token": the names client/public/sw.js reads), so that a notification's Allow or Deny is
// sent with the same token the page uses.
const DB = 'lookout';
const STORE = 'page';

export function keepTokenForWorker(token: string | null): Promise<void> {
  return new Promise((resolve) => {
    if (typeof indexedDB === 'undefined') return resolve();
    const open = indexedDB.open(DB, 1);
    open.onupgradeneeded = () => open.result.createObjectStore(STORE);
    open.onerror = () => resolve();
    open.onsuccess = () => {
      const transaction = open.result.transaction(STORE, 'readwrite');
      const store = transaction.objectStore(STORE);
      if (token) store.put(token, 'token');
      else store.delete('token');
      transaction.oncomplete = () => resolve();
      transaction.onerror = () => resolve();
    };
  });
}
