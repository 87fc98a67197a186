// `fleetlab gateway`: one virtual gateway, a unit that `fleetlab run` starts through the Runtime (process or
// container) and drives over the control channel (lib/channel.ts). Not for people to run by hand: without the
// runner's environment it exits 2 saying so.
import { Command } from 'commander'
import { ChannelClient, CHANNEL_ENV } from '../lib/channel.ts'
import { runGateway } from '../simulator/gateway.ts'
import type { CliContext } from './context.ts'
import { EXIT_UNEXPECTED, EXIT_USAGE } from './exit-codes.ts'

export function gatewayCommand (ctx: CliContext, setExit: (code: number) => void): Command {
  return new Command('gateway')
    .description('a virtual gateway hosting up to N devices (started by `fleetlab run`, not by hand)')
    .addHelpText('after', `
A virtual gateway is started by \`fleetlab run\` through the runtime (a process or a container), one per
maxDevicesPerGateway devices of the experiment. It connects back to the runner (${CHANNEL_ENV.address},
${CHANNEL_ENV.token}, ${CHANNEL_ENV.unit}), takes its configuration, runs as many devices as the runner's
targets say (joining paced at the registration rate, or all at once in a surge; leaving highest index first),
sends per-second metric windows, and on finish deregisters its devices and reports what each one sent.
Exit codes: 0 finished (or SIGTERM), 1 the runner went away or a fatal error, 2 not started by the runner.`)
    .action(async () => {
      const abort = new AbortController()
      const onSignal = (): void => abort.abort()
      process.once('SIGTERM', onSignal)
      process.once('SIGINT', onSignal)
      try {
        if (Object.values(CHANNEL_ENV).some(name => (ctx.env[name] ?? '') === '')) {
          ctx.stderr(`error: ${Object.values(CHANNEL_ENV).join(', ')} are not set: a gateway is started by \`fleetlab run\``)
          setExit(EXIT_USAGE)
          return
        }
        let channel: ChannelClient
        try {
          channel = await ChannelClient.fromEnv('gateway', ctx.env)
        } catch (err) {
          ctx.stderr(`error: ${(err as Error).message}`)
          setExit(EXIT_UNEXPECTED)
          return
        }
        setExit(await runGateway({ channel, signal: abort.signal, log: line => ctx.stderr(line) }))
      } finally {
        process.off('SIGTERM', onSignal)
        process.off('SIGINT', onSignal)
      }
    })
}
