// PNG copies of the charts, for pasting into tickets: headless Chromium opens each chart's SVG file and takes a
// screenshot of exactly its size (at 2x, so text stays sharp). Chromium is found on PATH (or FLEETLAB_CHROMIUM);
// Debian's package is chromium-headless-shell (scripts/test-tools installs it for the tests).
import { execFile } from 'node:child_process'
import { accessSync, constants } from 'node:fs'
import { delimiter, join } from 'node:path'
import { pathToFileURL } from 'node:url'

export const chromiumPackage = 'chromium-headless-shell'
const candidates = ['chromium-headless-shell', 'chromium', 'chromium-browser', 'google-chrome-stable', 'google-chrome']

/** The first Chromium on PATH, or FLEETLAB_CHROMIUM when set (an empty value means: none); undefined when none. */
export function findChromium (env: NodeJS.ProcessEnv = process.env): string | undefined {
  if (env.FLEETLAB_CHROMIUM !== undefined) return env.FLEETLAB_CHROMIUM === '' ? undefined : env.FLEETLAB_CHROMIUM
  for (const dir of (env.PATH ?? '').split(delimiter).filter(d => d !== '')) {
    for (const name of candidates) {
      const path = join(dir, name)
      try { accessSync(path, constants.X_OK); return path } catch { /* not here */ }
    }
  }
  return undefined
}

function chromiumArgs (extra: string[]): string[] {
  // --no-sandbox: Chromium refuses to start as root with its sandbox, and containers often run as root.
  return ['--headless', '--no-sandbox', '--disable-gpu', '--hide-scrollbars', '--mute-audio', '--no-first-run', ...extra]
}

function run (chromium: string, args: string[], timeoutMs: number): Promise<string> {
  return new Promise((resolve, reject) => {
    execFile(chromium, chromiumArgs(args), { timeout: timeoutMs, maxBuffer: 64 << 20 }, (err, stdout, stderr) => {
      if (err !== null) reject(new Error(`${chromium} failed: ${err.message}\n${stderr.split('\n').slice(-5).join('\n')}`))
      else resolve(stdout)
    })
  })
}

export interface ScreenshotOptions { width: number, height: number, scale?: number, timeoutMs?: number }

/** Screenshots a local file (SVG or HTML) to a PNG of width*scale x height*scale pixels. */
export async function screenshot (chromium: string, file: string, png: string, o: ScreenshotOptions): Promise<void> {
  await run(chromium, [`--force-device-scale-factor=${o.scale ?? 2}`, `--window-size=${o.width},${o.height}`, `--screenshot=${png}`,
    pathToFileURL(file).href], o.timeoutMs ?? 60_000)
}

/** The DOM after Chromium loaded and laid out the file (what a browser would show). */
export async function dumpDom (chromium: string, file: string, timeoutMs = 60_000): Promise<string> {
  return run(chromium, ['--dump-dom', pathToFileURL(file).href], timeoutMs)
}
