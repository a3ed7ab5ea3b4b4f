import react from '@vitejs/plugin-react';
import { defineConfig } from 'vite';

const api = process.env.LOOKOUT_API ?? 'http://127.0.0.1:4000';

export default defineConfig({
  root: import.meta.dirname,
  plugins: [react()],
  build: { outDir: 'dist', emptyOutDir: true },
  // `npm run dev`: the page with hot reload, talking to the API that `npm start` runs.
  server: { proxy: { '/graphql': { target: api, ws: true } } },
});
