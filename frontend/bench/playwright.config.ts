// The dashboard benchmark: the e2e settings (Debian's Chromium, its flags, the token), other files.
import { defineConfig } from '@playwright/test';
import e2e from '../e2e/playwright.config';

export default defineConfig({
  ...e2e,
  testDir: '.',
  testMatch: /.*\.bench\.ts$/,
  timeout: 300_000,
  reporter: [['list']],
});
