import { Readable } from 'node:stream'
import type Dockerode from 'dockerode'
import { RuntimeUnavailableError } from '../../lib/errors.ts'

/** Bump the tag whenever the skeleton changes, so hosts with the old image build the new one. */
export const baseImage = 'fleetlab/base:1'

/**
 * Host paths every container mounts read-only. The image is an empty skeleton: with Debian's merged /usr,
 * the host's /usr brings java, node, /bin/sh and their libraries. /etc comes whole because /usr/bin/java
 * links through /etc/alternatives, the JDK's conf files link into /etc/java-17-openjdk, and the JVM reads
 * /etc/passwd, nsswitch.conf, ssl and localtime. Docker still places its own hosts, hostname and
 * resolv.conf over the read-only /etc.
 */
export const hostMounts = ['/usr', '/etc'] as const

type Entry =
  | { type: 'dir', name: string, mode: number }
  | { type: 'link', name: string, target: string }
  | { type: 'file', name: string, mode: number, body: string }

// /sbin is a real directory, not a link into /usr: Docker mounts its init (tini) at /sbin/docker-init, and
// behind a link that mount would land under /usr and be hidden by the read-only /usr mount.
const skeleton: Entry[] = [
  ...(['usr', 'etc', 'sbin', 'dev', 'var'] as const).map(name => ({ type: 'dir' as const, name, mode: 0o755 })),
  { type: 'dir', name: 'proc', mode: 0o555 },
  { type: 'dir', name: 'sys', mode: 0o555 },
  { type: 'dir', name: 'root', mode: 0o700 },
  { type: 'dir', name: 'tmp', mode: 0o1777 },
  { type: 'dir', name: 'var/tmp', mode: 0o1777 },
  { type: 'link', name: 'bin', target: 'usr/bin' },
  { type: 'link', name: 'lib', target: 'usr/lib' },
  { type: 'link', name: 'lib64', target: 'usr/lib64' },
  { type: 'file', name: '.fleetlab-base', mode: 0o644, body: `${baseImage}\n` },
]

const building = new WeakMap<Dockerode, Promise<string>>()

/** Builds the base image once per engine; returns its tag. Concurrent callers share one build. */
export function ensureBaseImage (docker: Dockerode): Promise<string> {
  let pending = building.get(docker)
  if (pending === undefined) {
    pending = buildIfMissing(docker)
    building.set(docker, pending)
    // A failed build must not stick: the next start tries again.
    pending.catch(() => building.delete(docker))
  }
  return pending
}

async function buildIfMissing (docker: Dockerode): Promise<string> {
  if (await imageExists(docker, baseImage)) return baseImage
  try {
    const stream = await docker.buildImage(Readable.from([buildContext()]), {
      t: baseImage,
      rm: true,
      forcerm: true,
      labels: { 'fleetlab.image': 'base' },
    })
    await followBuild(docker, stream)
  } catch (err) {
    if (err instanceof RuntimeUnavailableError) throw err
    throw new RuntimeUnavailableError(`could not build the docker image ${baseImage}: ${messageOf(err)}`, { cause: err })
  }
  if (!await imageExists(docker, baseImage)) {
    throw new RuntimeUnavailableError(`docker build finished but ${baseImage} is not there`)
  }
  return baseImage
}

async function imageExists (docker: Dockerode, tag: string): Promise<boolean> {
  try {
    await docker.getImage(tag).inspect()
    return true
  } catch (err) {
    if ((err as { statusCode?: number }).statusCode === 404) return false
    throw err
  }
}

/**
 * The build context as an uncompressed tar, written here rather than packed from a temp dir: dockerode's
 * packer applies the process umask, which would turn the sticky 1777 of /tmp into 1755.
 * FROM scratch pulls nothing, so the build works with no registry reachable.
 */
export function buildContext (): Buffer {
  const entries: Entry[] = [
    { type: 'file', name: 'Dockerfile', mode: 0o644, body: 'FROM scratch\nCOPY rootfs/ /\n' },
    { type: 'dir', name: 'rootfs', mode: 0o755 },
    ...skeleton.map(e => ({ ...e, name: `rootfs/${e.name}` })),
  ]
  return Buffer.concat([...entries.flatMap(tarEntry), Buffer.alloc(1024)])
}

// POSIX ustar (IEEE Std 1003.1, pax "ustar Interchange Format"): 512-byte header, data padded to 512.
function tarEntry (entry: Entry): Buffer[] {
  const body = entry.type === 'file' ? Buffer.from(entry.body) : Buffer.alloc(0)
  const header = Buffer.alloc(512)
  const put = (text: string, offset: number, length: number): void => { header.write(text, offset, length, 'ascii') }
  const octal = (value: number, offset: number, length: number): void => put(`${value.toString(8).padStart(length - 1, '0')}\0`, offset, length)
  put(entry.type === 'dir' ? `${entry.name}/` : entry.name, 0, 100)
  octal(entry.type === 'link' ? 0o777 : entry.mode, 100, 8)
  octal(0, 108, 8)
  octal(0, 116, 8)
  octal(body.length, 124, 12)
  octal(0, 136, 12)
  put(entry.type === 'file' ? '0' : entry.type === 'link' ? '2' : '5', 156, 1)
  if (entry.type === 'link') put(entry.target, 157, 100)
  put('ustar\0' + '00', 257, 8)
  // The checksum is computed with its own field read as eight spaces.
  put(' '.repeat(8), 148, 8)
  const sum = header.reduce((total, byte) => total + byte, 0)
  put(`${sum.toString(8).padStart(6, '0')}\0 `, 148, 8)
  const padding = Buffer.alloc((512 - (body.length % 512)) % 512)
  return [header, body, padding]
}

interface BuildEvent { stream?: string, error?: string, errorDetail?: { message?: string } }

function followBuild (docker: Dockerode, stream: NodeJS.ReadableStream): Promise<void> {
  return new Promise((resolve, reject) => {
    docker.modem.followProgress(stream, (err: Error | null, events: BuildEvent[]) => {
      if (err !== null) return reject(err)
      // The engine reports a failed step as an event in a successful HTTP stream, not as an HTTP error.
      const failed = events.find(e => e.error !== undefined || e.errorDetail !== undefined)
      if (failed !== undefined) {
        const log = events.map(e => e.stream ?? '').join('').trim()
        return reject(new RuntimeUnavailableError(
          `docker build of ${baseImage} failed: ${failed.errorDetail?.message ?? failed.error}${log === '' ? '' : `\n${log}`}`))
      }
      resolve()
    })
  })
}

function messageOf (err: unknown): string {
  return err instanceof Error ? err.message : String(err)
}
