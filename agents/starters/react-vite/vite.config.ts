import react from '@vitejs/plugin-react';
import { defineConfig } from 'vite';

// Relative asset URLs: the built app works at any path, on the preview origin and from a folder.
export default defineConfig({
  base: './',
  plugins: [react()],
  build: { outDir: 'dist', sourcemap: false },
});
