// Keeps the services' logs with the run: the platform's folder goes away with `platform down`, and a run that lost
// notifications or failed is explained by what its LWM2M server, gateways, sink or brokers said. Only the service
// logs are copied (service.log, gateway.log, sink-<n>.log, sink-<name>-<n>.log), never Kafka's data segments (also named *.log), and
// each is cut to its last MAX_BYTES.
import { mkdir, open, readdir, stat } from 'node:fs/promises'
import { dirname, join, relative } from 'node:path'

const MAX_BYTES = 2 * 1024 * 1024
const SERVICE_LOG = /^(service|gateway|sink(-[a-z][a-z0-9]*)?-\d+)\.log$/

async function serviceLogs (dir: string, depth = 0): Promise<string[]> {
  if (depth > 3) return []
  let entries
  try { entries = await readdir(dir, { withFileTypes: true }) } catch { return [] }
  const out: string[] = []
  for (const e of entries) {
    if (e.isDirectory() && e.name !== 'data') out.push(...await serviceLogs(join(dir, e.name), depth + 1))
    else if (e.isFile() && SERVICE_LOG.test(e.name)) out.push(join(dir, e.name))
  }
  return out
}

/** Copies the service logs under `platformDir` to `<runDir>/logs/`, keeping their relative paths; returns how many. */
export async function keepServiceLogs (platformDir: string, runDir: string): Promise<number> {
  const logs = await serviceLogs(platformDir)
  for (const file of logs) {
    const target = join(runDir, 'logs', relative(platformDir, file))
    await mkdir(dirname(target), { recursive: true })
    const size = (await stat(file)).size
    const from = Math.max(0, size - MAX_BYTES)
    const src = await open(file, 'r')
    const dst = await open(target, 'w')
    try {
      if (from > 0) await dst.write(`[fleetlab: the first ${from} bytes of ${file} are left out]\n`)
      const buf = Buffer.alloc(Math.min(size, MAX_BYTES))
      const { bytesRead } = await src.read(buf, 0, buf.length, from)
      await dst.write(buf.subarray(0, bytesRead))
    } finally {
      await src.close()
      await dst.close()
    }
  }
  return logs.length
}
