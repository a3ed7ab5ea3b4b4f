import { StrictMode } from 'react';
import { createRoot } from 'react-dom/client';
import { App } from './App.tsx';
import './styles.css';

// The service worker shows pushes and keeps the page's shell for offline starts.
if ('serviceWorker' in navigator) void navigator.serviceWorker.register('/sw.js').catch(() => {});

createRoot(document.getElementById('root')!).render(
  <StrictMode>
    <App />
  </StrictMode>,
);

// A page's first date formatting loads the locale's data (tens of milliseconds): done while the
// feed's first answer is on its way, rather than inside the render of its items.
setTimeout(() => new Date(0).toLocaleString(), 0);
