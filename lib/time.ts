/** Resolves after `ms`, or at once when `signal` aborts (it never rejects). */
export function sleep (ms: number, signal?: AbortSignal): Promise<void> {
  if (signal === undefined) return new Promise(resolve => setTimeout(resolve, ms))
  if (signal.aborted) return Promise.resolve()
  return new Promise(resolve => {
    const done = (): void => { clearTimeout(timer); signal.removeEventListener('abort', done); resolve() }
    const timer = setTimeout(done, ms)
    signal.addEventListener('abort', done, { once: true })
  })
}

/** "12.3s" / "850ms": for progress lines. */
export function formatDuration (ms: number): string {
  return ms < 1000 ? `${Math.round(ms)}ms` : `${(ms / 1000).toFixed(1)}s`
}

/**
 * `promise`, or a rejection naming `what` after `ms`. For client calls that can stay pending with nothing left to
 * wake them (KafkaJS's group coordinator lookup right after a broker starts was seen to): the timer keeps the
 * process alive and the caller gets an error it can retry.
 */
export async function withTimeout<T> (promise: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined
  try {
    return await Promise.race([promise, new Promise<never>((_resolve, reject) => { timer = setTimeout(() => reject(new Error(`${what}: no answer within ${ms} ms`)), ms) })])
  } finally {
    clearTimeout(timer)
  }
}
