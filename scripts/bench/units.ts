// `npm run bench:units`: what starting a unit costs, through tsx's loader and from the bundle (lib/unit-command.ts),
// side by side in one run. A unit is timed from spawn to exit of `<unit> --help`: node's start, the unit's modules
// and packages loaded, its command built; the part every sink replica, gateway and LWM2M server pays before it does
// any work. Two shapes: one start alone, and `--burst` starts at once (default 7: the replicas the autoscaler
// started at once in bench:autoscale's burst) on this machine's cores.
//   wall ms per start (median of the rounds), and of the burst until its last start exits
//   CPU ms per start (the children's utime + stime, /proc/self/stat cutime + cstime)
// Figures on stdout, progress on stderr. --help lists the options.
import { spawn } from 'node:child_process'
import { readFileSync } from 'node:fs'
import { cpus } from 'node:os'
import { table } from '../../cli/format.ts'
import { reportError } from '../../cli/exit-codes.ts'
import { percentiles } from '../../lib/percentiles.ts'
import { buildUnitBundle, unitCommand } from '../../lib/unit-command.ts'
import type { UnitLoader } from '../../lib/unit-command.ts'
import { CLOCK_TICKS } from '../../platform/runtime/proc-stats.ts'
import { benchCommand, choiceArg, countArg, parseBench } from '../lib/bench-options.ts'

/** The units cli/unit.ts starts. */
const UNITS = ['sink', 'gateway', 'lwm2m', 'watchdog'] as const

const options = parseBench<{ unit: string, rounds: number, burst: number }>(benchCommand('units',
  'what starting a unit costs, through tsx\'s loader and from the bundle (lib/unit-command.ts), side by side: a unit is ' +
  'timed from spawn to exit of `<unit> --help` (node\'s start, its modules and packages loaded, its command built), one ' +
  'start alone and a burst of starts at once')
  .option('--unit <name>', `the unit started: ${UNITS.join(', ')}`, choiceArg('--unit', UNITS), 'sink')
  .option('--rounds <n>', 'rounds, each loader in turn (the figures are their medians)', countArg('--rounds', 1), 7)
  .option('--burst <n>', 'starts at once in the burst (7: the replicas the autoscaler started at once in bench:autoscale\'s burst)', countArg('--burst', 1), 7)
  .addHelpText('after', `
Figures per loader: wall ms of one start, and of the burst until its last start exits (medians of the rounds); CPU ms
per start (the children's utime + stime); and how much sooner the burst is done from the bundle than through tsx.`))

const progress = (line: string): void => { process.stderr.write(`${line}\n`) }

const median = (values: readonly number[]): number => percentiles(values, [50])[0] ?? Number.NaN

/** CPU of this process's waited-for children so far, ms (proc(5) fields 16 and 17, after the comm field). */
function childrenCpuMs (): number {
  const text = readFileSync('/proc/self/stat', 'utf8')
  const rest = text.slice(text.lastIndexOf(')') + 2).split(' ')
  return (Number(rest[16 - 3]) + Number(rest[17 - 3])) * (1000 / CLOCK_TICKS)
}

async function start (command: string[]): Promise<void> {
  const [file, ...args] = command
  if (file === undefined) throw new Error('empty unit command')
  await new Promise<void>((resolve, reject) => {
    const child = spawn(file, args, { stdio: ['ignore', 'ignore', 'pipe'] })
    let stderr = ''
    child.stderr.on('data', (chunk: Buffer) => { stderr += chunk.toString() })
    child.on('error', reject)
    child.on('exit', code => { code === 0 ? resolve() : reject(new Error(`${command.join(' ')} exited ${String(code)}: ${stderr.trim()}`)) })
  })
}

/** Wall ms until all `n` starts exited, and their CPU ms each. */
async function timed (command: string[], n: number): Promise<{ wallMs: number, cpuMsEach: number }> {
  const cpu0 = childrenCpuMs()
  const t0 = performance.now()
  await Promise.all(Array.from({ length: n }, async () => { await start(command) }))
  return { wallMs: performance.now() - t0, cpuMsEach: (childrenCpuMs() - cpu0) / n }
}

async function main (): Promise<void> {
  const { unit, rounds, burst } = options
  const t0 = performance.now()
  buildUnitBundle()
  progress(`bundle built in ${(performance.now() - t0).toFixed(0)} ms`)
  const loaders: UnitLoader[] = ['tsx', 'bundle']
  const commands = Object.fromEntries(loaders.map(l => [l, unitCommand([unit, '--help'], process.execPath, l)])) as Record<UnitLoader, string[]>
  for (const l of loaders) await start(commands[l]) // warm the page cache for both
  const one: Record<UnitLoader, number[]> = { tsx: [], bundle: [] }
  const oneCpu: Record<UnitLoader, number[]> = { tsx: [], bundle: [] }
  const many: Record<UnitLoader, number[]> = { tsx: [], bundle: [] }
  const manyCpu: Record<UnitLoader, number[]> = { tsx: [], bundle: [] }
  for (let r = 0; r < rounds; r++) {
    progress(`round ${r + 1}/${rounds}`)
    // Interleaved, so that drift on the machine falls on both loaders alike.
    for (const l of loaders) {
      const a = await timed(commands[l], 1)
      one[l].push(a.wallMs)
      oneCpu[l].push(a.cpuMsEach)
      const b = await timed(commands[l], burst)
      many[l].push(b.wallMs)
      manyCpu[l].push(b.cpuMsEach)
    }
  }
  process.stdout.write(`unit \`${unit} --help\`, ${rounds} rounds, burst of ${burst} on ${cpus().length} cores, node ${process.version}\n`)
  process.stdout.write(`${table(['loader', 'one start: wall ms', 'CPU ms', `${burst} at once: wall ms`, 'CPU ms each'],
    loaders.map(l => [l, median(one[l]).toFixed(0), median(oneCpu[l]).toFixed(0), median(many[l]).toFixed(0), median(manyCpu[l]).toFixed(0)]))}\n`)
  const ratio = median(many.tsx) / median(many.bundle)
  process.stdout.write(`the burst of ${burst} is done ${ratio.toFixed(2)}x sooner from the bundle than through tsx\n`)
}

main().catch(err => { process.exitCode = reportError(err, progress) })
