// A real terminal for the dashboard tests: a detached tmux session of a given size running one command, its
// screen read with capture-pane, keys sent with send-keys, resized with resize-window. Each session has its own
// tmux server (-L), killed at the end of the test.
import { execFile } from 'node:child_process'
import { promisify } from 'node:util'
import type { TestContext } from 'node:test'
import { uniqueName } from '../helpers.ts'

const run = promisify(execFile)

export class TmuxSession {
  readonly socket: string

  private constructor (socket: string) {
    this.socket = socket
  }

  /**
   * Starts `command` (a shell line) in a cols x rows terminal. When it exits, the pane prints `[exit <code>]` and
   * stays, so its last screen and the code can be read.
   */
  static async start (t: TestContext, command: string, cols = 160, rows = 48, env: Record<string, string> = { LANG: 'C.UTF-8' }): Promise<TmuxSession> {
    const s = new TmuxSession(uniqueName('fl-tmux').replace(/[^a-zA-Z0-9-]/g, ''))
    t.after(() => s.kill())
    const exports = Object.entries(env).map(([k, v]) => `export ${k}='${v}'; `).join('')
    await s.tmux('-f', '/dev/null', 'new-session', '-d', '-s', 'main', '-x', String(cols), '-y', String(rows),
      `${exports}${command}; echo "[exit $?]"; sleep 3600`)
    // the window keeps the size it was made with, whatever client attaches (none does)
    await s.tmux('set-option', '-g', 'window-size', 'manual')
    return s
  }

  async tmux (...args: string[]): Promise<string> {
    const { stdout } = await run('tmux', ['-L', this.socket, ...args], { maxBuffer: 4 << 20 })
    return stdout
  }

  /** The visible screen as text (no colours). */
  async screen (): Promise<string> {
    return await this.tmux('capture-pane', '-p', '-t', 'main')
  }

  /** Keys as tmux names them ('q', 'Left', 'Space', 'C-c'). */
  async keys (...keys: string[]): Promise<void> {
    await this.tmux('send-keys', '-t', 'main', ...keys)
  }

  async resize (cols: number, rows: number): Promise<void> {
    await this.tmux('resize-window', '-t', 'main', '-x', String(cols), '-y', String(rows))
  }

  /** Until the screen matches; the last screen is in the error. */
  async waitFor (pattern: RegExp, timeoutMs = 30_000): Promise<string> {
    const deadline = Date.now() + timeoutMs
    let last = ''
    for (;;) {
      last = await this.screen().catch(() => last)
      if (pattern.test(last)) return last
      if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${String(pattern)} on the screen:\n${last}`)
      await new Promise(resolve => setTimeout(resolve, 200))
    }
  }

  async kill (): Promise<void> {
    await this.tmux('kill-server').catch(() => {})
  }
}

/** Whether tmux is installed (scripts/test-tools installs it). */
export async function haveTmux (): Promise<boolean> {
  return await run('tmux', ['-V']).then(() => true, () => false)
}
