// `fleetlab scale <service> --replicas N`: scales a running experiment's sink consumers by hand, through the same
// Runtime.scale the autoscaler uses (platform/scalable.ts says how the run and the command share the spec).
import { Command } from 'commander'
import { fleetlabHome } from '../lib/home.ts'
import { openRuntime } from '../platform/runtime/index.ts'
import { loadScalable, writeScaleRequest } from '../platform/scalable.ts'
import type { CliContext } from './context.ts'
import { countArg } from './options.ts'

interface ScaleOptions { replicas: number, name: string, json?: boolean }

export function scaleCommand (ctx: CliContext, setExit: (code: number) => void): Command {
  return new Command('scale')
    .description('scale a running experiment\'s sink consumers by hand: exactly N replicas run afterwards')
    .argument('<service>', 'the service to scale: sink')
    .requiredOption('--replicas <n>', 'replicas that should run (at most the observations topic\'s partitions)', countArg('--replicas', 0))
    .requiredOption('--name <platform>', 'the platform of the run (run.json platform.name, e.g. exp-9f6d)')
    .option('--json', 'print the replicas running afterwards as JSON')
    .addHelpText('after', `
The run keeps the new count when its autoscaler policy is 'fixed' (the default without an autoscaler), and
still replaces a replica that is killed; an autoscaling policy decides again at its next control period (its
decision, with its reason, goes to the run's events.csv).

Example:
  fleetlab scale sink --name exp-9f6d --replicas 4`)
    .action(async (service: string, o: ScaleOptions) => {
      const home = fleetlabHome(ctx.env)
      const saved = await loadScalable(home, o.name, service)
      await writeScaleRequest(home, o.name, service, o.replicas, saved.maxReplicas)
      const runtime = await openRuntime(home, saved.runtime, ctx.env)
      try {
        const t0 = Date.now()
        const running = await runtime.scale(saved.spec, o.replicas)
        if (o.json === true) ctx.stdout(JSON.stringify(running.map(i => ({ service: i.service, replica: i.replica, id: i.id })), null, 2))
        else ctx.stderr(`${service}: ${running.length} replica${running.length === 1 ? '' : 's'} running on ${o.name} (${Date.now() - t0} ms)`)
      } finally {
        await runtime.close()
      }
      setExit(0)
    })
}
