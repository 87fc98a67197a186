import { readFile } from 'node:fs/promises'

// /proc/<pid>/stat fields counted from 1 (proc(5)); comm (field 2) may contain spaces and parentheses,
// so fields are taken after the last ')'.
const FIELD_PPID = 4
const FIELD_UTIME = 14
const FIELD_STIME = 15
const FIELD_STARTTIME = 22
const FIELD_RSS_PAGES = 24

export const CLOCK_TICKS = 100 // USER_HZ, 100 on every Linux ABI Node runs on
const PAGE_SIZE = 4096

export interface ProcSample {
  /** utime + stime in clock ticks. */
  cpuTicks: number
  /** Start time in clock ticks since boot: with the pid it names one process across pid reuse. */
  startTicks: number
  rssBytes: number
}

export async function readProcSample (pid: number): Promise<ProcSample | undefined> {
  let text: string
  try {
    text = await readFile(`/proc/${pid}/stat`, 'utf8')
  } catch {
    return undefined
  }
  const { state, sample } = parseProcStat(text)
  if (state === 'X') return undefined // dead
  // A zombie thread-group leader is only gone once its other threads are: until then they still run and hold
  // the process's files and listening sockets (the leader's stat shows Z while e.g. a worker thread exits).
  if (state === 'Z' && await threadCount(pid) <= 1) return undefined
  return sample
}

/** The text of /proc/<pid>/stat: its state letter (field 3), parent pid (field 4) and figures. rss (field 24) is the counter status' VmRSS shows. */
export function parseProcStat (text: string): { state: string, ppid: number, sample: ProcSample } {
  const rest = text.slice(text.lastIndexOf(')') + 2).split(' ')
  // rest[0] is field 3 (state)
  const field = (n: number): number => Number(rest[n - 3])
  return {
    state: rest[0] ?? '',
    ppid: field(FIELD_PPID),
    sample: {
      cpuTicks: field(FIELD_UTIME) + field(FIELD_STIME),
      startTicks: field(FIELD_STARTTIME),
      rssBytes: field(FIELD_RSS_PAGES) * PAGE_SIZE,
    },
  }
}

/** Live threads of the process, counting a zombie leader (proc(5) /proc/<pid>/status Threads). 0 when it is gone. */
async function threadCount (pid: number): Promise<number> {
  try {
    return Number(/^Threads:\s*(\d+)/m.exec(await readFile(`/proc/${pid}/status`, 'utf8'))?.[1] ?? 0)
  } catch {
    return 0
  }
}

/** CPU time of a process so far (all threads) in ms; NaN when it is gone. */
export async function processCpuMs (pid: number): Promise<number> {
  const s = await readProcSample(pid)
  return s === undefined ? Number.NaN : s.cpuTicks * (1000 / CLOCK_TICKS)
}

/** CPU percent of one core over `intervalMs`, and RSS at the end of it. */
export async function sampleProcess (pid: number, intervalMs = 500): Promise<{ cpuPercent: number, rssBytes: number } | undefined> {
  const a = await readProcSample(pid)
  if (a === undefined) return undefined
  const t0 = performance.now()
  await new Promise(resolve => setTimeout(resolve, intervalMs))
  const b = await readProcSample(pid)
  if (b === undefined || b.startTicks !== a.startTicks) return undefined
  const seconds = (performance.now() - t0) / 1000
  const cpuPercent = ((b.cpuTicks - a.cpuTicks) / CLOCK_TICKS) / seconds * 100
  return { cpuPercent: Math.max(0, cpuPercent), rssBytes: b.rssBytes }
}
