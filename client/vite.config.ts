import react from '@vitejs/plugin-react';
import { defineConfig } from 'vite';

const api = process.env.LOOKOUT_API ?? 'http://127.0.0.1:4000';

export default defineConfig({
  root: import.meta.dirname,
  plugins: [react()],
  build: { outDir: 'dist', emptyOutDir: true },
  // `npm run dev`: the page with hot reload, talking to the API that `npm start` runs. Lookout
  // answers only its own host and origin, so the page's requests are passed on as its own; a
  // request from any other page keeps its Origin and is refused there.
  server: {
    proxy: {
      '/graphql': {
        target: api,
        ws: true,
        changeOrigin: true,
        configure: (proxy) => {
          const asLookout = (proxyReq: { setHeader(name: string, value: string): void }, req: { headers: Record<string, string | string[] | undefined> }) => {
            const origin = req.headers.origin;
            if (typeof origin === 'string' && URL.canParse(origin) && new URL(origin).host === req.headers.host) proxyReq.setHeader('origin', new URL(api).origin);
          };
          proxy.on('proxyReq', asLookout);
          proxy.on('proxyReqWs', asLookout);
        },
      },
    },
  },
});
