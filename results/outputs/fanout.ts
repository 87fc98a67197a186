// The outputs of one run, called together (contract.ts). An output that throws is told once through `onError` and
// dropped: a broken screen or socket never stops the run or the others (the run folder's files are an output too,
// and their errors are the caller's to treat as fatal: `critical`).
import type { Output, RunEnd, RunSecond, RunStart } from './contract.ts'
import type { RunEvent } from '../run-format.ts'

export interface OutputSetOptions {
  /** An output failed and was dropped (not for critical ones: their error is thrown). */
  readonly onError?: (output: string, err: Error) => void
  /** Outputs whose errors are thrown to the caller (the run folder's files). */
  readonly critical?: readonly string[]
}

export class OutputSet {
  readonly #outputs: Output[]
  readonly #o: OutputSetOptions

  constructor (outputs: readonly Output[], o: OutputSetOptions = {}) {
    const names = outputs.map(x => x.name)
    const dup = names.find((n, i) => names.indexOf(n) !== i)
    if (dup !== undefined) throw new RangeError(`output ${dup} given twice`)
    this.#outputs = [...outputs]
    this.#o = o
  }

  get names (): readonly string[] { return this.#outputs.map(x => x.name) }

  async start (run: RunStart): Promise<void> {
    for (const out of [...this.#outputs]) await this.#guard(out, () => out.start(run))
  }

  add (second: RunSecond): void {
    for (const out of [...this.#outputs]) this.#guardSync(out, () => { out.add(second) })
  }

  event (e: RunEvent): void {
    for (const out of [...this.#outputs]) this.#guardSync(out, () => { out.event(e) })
  }

  async stop (end: RunEnd): Promise<void> {
    for (const out of [...this.#outputs]) await this.#guard(out, () => out.stop(end))
  }

  async #guard (out: Output, call: () => void | Promise<void>): Promise<void> {
    try {
      await call()
    } catch (err) {
      this.#failed(out, err)
    }
  }

  #guardSync (out: Output, call: () => void): void {
    try {
      call()
    } catch (err) {
      this.#failed(out, err)
    }
  }

  #failed (out: Output, err: unknown): void {
    if (this.#o.critical?.includes(out.name) === true) throw err
    const i = this.#outputs.indexOf(out)
    if (i < 0) return
    this.#outputs.splice(i, 1)
    this.#o.onError?.(out.name, err as Error)
  }
}
