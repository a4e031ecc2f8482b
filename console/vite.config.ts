/// <reference types="vitest/config" />
import react from '@vitejs/plugin-react'
import { defineConfig } from 'vite'

// Served by the gateway at /console (same origin as /v1); `npm run dev` proxies /v1 to a
// gateway on :8000 so the session cookie stays same-origin while developing.
export default defineConfig({
  base: '/console/',
  plugins: [react()],
  server: { proxy: { '/v1': 'http://127.0.0.1:8000' } },
  // The manifest names the entry chunk and its static imports: what `make bench` weighs.
  build: { sourcemap: false, chunkSizeWarningLimit: 1500, manifest: true },
  test: { environment: 'node', include: ['src/**/*.test.{ts,tsx}'] },
})
