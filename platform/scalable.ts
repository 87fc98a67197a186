// Services a person may scale by hand while they run (`fleetlab scale sink --replicas 4`): the run that starts a
// scaled service (the sink's consumer group) leaves its ServiceSpec in the platform's folder, so another process
// can start more replicas from the same spec (same command, same channel environment: new replicas connect to the
// run and get its config) or stop some. The request is written beside it, so the run's control loop knows the
// change was wanted: with the fixed policy it keeps the new count (and still replaces killed replicas); an
// autoscaling policy decides again at its next period.
import { mkdir, readFile, writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { InvalidConfigError, PlatformStateError } from '../lib/errors.ts'
import { platformDir } from '../lib/home.ts'
import type { RuntimeKind, ServiceSpec } from './runtime/types.ts'

interface ScalableFile {
  runtime: RuntimeKind
  spec: ServiceSpec
  /** The most replicas that can share the work (the topic's partitions). */
  maxReplicas: number
}

export interface ScaleRequest {
  replicas: number
  atMs: number
}

function dir (home: string, platform: string): string {
  return join(platformDir(home, platform), 'scalable')
}

export async function saveScalable (home: string, runtime: RuntimeKind, spec: ServiceSpec, maxReplicas: number): Promise<void> {
  await mkdir(dir(home, spec.platform), { recursive: true })
  const file: ScalableFile = { runtime, spec, maxReplicas }
  await writeFile(join(dir(home, spec.platform), `${spec.service}.json`), JSON.stringify(file, null, 2))
}

/** The saved spec of a scalable service; a clear error naming what can be scaled when it is not one. */
export async function loadScalable (home: string, platform: string, service: string): Promise<ScalableFile> {
  try {
    return JSON.parse(await readFile(join(dir(home, platform), `${service}.json`), 'utf8')) as ScalableFile
  } catch {
    throw new PlatformStateError(`platform '${platform}' has no scalable service '${service}'`, {
      hint: 'only a running experiment\'s sink can be scaled (fleetlab scale sink --name exp-xxxx --replicas N); fleetlab platform status lists the platforms\' services',
    })
  }
}

export async function writeScaleRequest (home: string, platform: string, service: string, replicas: number, maxReplicas: number): Promise<ScaleRequest> {
  if (!Number.isInteger(replicas) || replicas < 0 || replicas > maxReplicas) {
    throw new InvalidConfigError([`--replicas: expected a whole number 0-${maxReplicas} (the topic has ${maxReplicas} partitions: more consumers would idle), got ${replicas}`])
  }
  const request: ScaleRequest = { replicas, atMs: Date.now() }
  await writeFile(join(dir(home, platform), `${service}.request.json`), JSON.stringify(request))
  return request
}

/** The last request by hand, if any. */
export async function readScaleRequest (home: string, platform: string, service: string): Promise<ScaleRequest | undefined> {
  try {
    return JSON.parse(await readFile(join(dir(home, platform), `${service}.request.json`), 'utf8')) as ScaleRequest
  } catch {
    return undefined
  }
}
