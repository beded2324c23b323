import { existsSync } from 'node:fs';
import { chromium, type Browser } from 'playwright-core';

// Debian's Chromium (.ci/run installs it), driven by playwright-core: Playwright's own browser
// download is not reachable here. Headless, software rendering (SwiftShader for WebGL).
// LOSSKIT_CHROMIUM names another Chromium binary.
export const CHROMIUM = process.env.LOSSKIT_CHROMIUM ?? '/usr/bin/chromium';

export function chromiumMissingReason(): string | undefined {
  return existsSync(CHROMIUM) ? undefined : `${CHROMIUM} is missing (install it: apt-get install -y chromium)`;
}

export function launchChromium(): Promise<Browser> {
  return chromium.launch({
    executablePath: CHROMIUM,
    headless: true,
    // launch() gives every run a fresh, empty profile; the flags keep Chromium off the
    // (closed) network and let WebGL and WebGPU run on SwiftShader without a GPU.
    args: [
      '--no-sandbox',
      '--disable-gpu',
      '--use-angle=swiftshader',
      '--enable-unsafe-swiftshader',
      '--enable-unsafe-webgpu',
      '--use-webgpu-adapter=swiftshader',
      '--disable-quic',
      '--no-first-run',
      '--disable-background-networking',
      '--disable-component-update',
      '--disable-sync',
    ],
  });
}
