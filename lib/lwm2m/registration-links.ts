// The link-format payload of Register and Update (LWM2M 1.1 §6.2.1, §6.2.2): the objects and object instances the
// client has, e.g. `</>;rt="oma.lwm2m";ct=110,</1/0>,</3/0>,</3303>;ver=1.1,</3303/0>`. A link with rt="oma.lwm2m"
// announces the root path (an alternate path such as "/lwm2m" prefixes every object link) and, in "ct", the content
// formats the client supports (one number, or a quoted space-separated list).
import { Lwm2mFormatError } from './errors.ts'
import { formatLinkFormat, linkPath, parseLinkFormat } from './link-format.ts'
import type { Link, LinkParamValue } from './link-format.ts'
import { formatPath, makePath, pathDepth } from './path.ts'

export interface RegisteredObject {
  readonly objectId: number
  /** Absent for a link to the object itself (e.g. `</3303>;ver=1.1`, or an object with no instance yet). */
  readonly instanceId?: number
  readonly version?: string
}

export interface RegistrationLinks {
  /** "/" unless the client announced an alternate path. */
  readonly rootPath: string
  /** From ct on the rt="oma.lwm2m" link; empty when absent. */
  readonly contentFormats: readonly number[]
  readonly objects: readonly RegisteredObject[]
}

const OMA_LWM2M = 'oma.lwm2m'

export function parseRegistrationLinks (payload: Uint8Array | string): RegistrationLinks {
  const links = parseLinkFormat(payload)
  const root = links.find(l => hasRt(l.params.get('rt'), OMA_LWM2M))
  let rootPath = '/'
  let contentFormats: number[] = []
  if (root !== undefined) {
    rootPath = root.uri === '' ? '/' : root.uri.length > 1 && root.uri.endsWith('/') ? root.uri.slice(0, -1) : root.uri
    if (!rootPath.startsWith('/')) throw new Lwm2mFormatError('LINK_BAD_PATH', `alternate path <${root.uri}> must start with "/"`)
    const ct = root.params.get('ct')
    if (ct !== undefined) contentFormats = parseCt(ct)
  }
  const objects: RegisteredObject[] = []
  for (const l of links) {
    if (l === root) continue
    const path = linkPath(l.uri, rootPath)
    const depth = pathDepth(path)
    if (depth !== 1 && depth !== 2) throw new Lwm2mFormatError('LINK_BAD_PATH', `<${l.uri}>: registration lists objects and object instances only`)
    const ver = l.params.get('ver')
    if (ver !== undefined && (ver === true || !/^[0-9]+\.[0-9]+$/.test(ver))) {
      throw new Lwm2mFormatError('LINK_BAD_ATTRIBUTE', `<${l.uri}>;ver=${String(ver)}: expected "major.minor"`)
    }
    objects.push({
      objectId: path.objectId!,
      ...(path.instanceId !== undefined ? { instanceId: path.instanceId } : {}),
      ...(ver !== undefined ? { version: ver as string } : {}),
    })
  }
  return { rootPath, contentFormats, objects }
}

function hasRt (rt: LinkParamValue | undefined, type: string): boolean {
  return typeof rt === 'string' && rt.split(' ').includes(type)
}

function parseCt (ct: LinkParamValue): number[] {
  const parts = ct === true ? [''] : ct.split(' ').filter(p => p !== '')
  return parts.map(p => {
    const n = /^[0-9]{1,5}$/.test(p) ? Number(p) : -1
    if (n < 0 || n > 65535) throw new Lwm2mFormatError('LINK_BAD_ATTRIBUTE', `ct=${String(ct)}: content formats are numbers 0..65535`)
    return n
  })
}

/** Writes the payload; `rt="oma.lwm2m"` with ct is included when contentFormats is non-empty or rootPath is not "/". */
export function formatRegistrationLinks (reg: { rootPath?: string, contentFormats?: readonly number[], objects: readonly RegisteredObject[] }): string {
  const root = reg.rootPath ?? '/'
  const prefix = root === '/' ? '' : root
  const links: Link[] = []
  const formats = reg.contentFormats ?? []
  if (formats.length > 0 || root !== '/') {
    const params = new Map<string, LinkParamValue>([['rt', OMA_LWM2M]])
    if (formats.length > 0) params.set('ct', formats.join(' '))
    links.push({ uri: root, params })
  }
  for (const o of reg.objects) {
    const params = new Map<string, LinkParamValue>()
    if (o.version !== undefined) params.set('ver', o.version)
    links.push({ uri: prefix + formatPath(makePath(o.objectId, o.instanceId)), params })
  }
  return formatLinkFormat(links)
}
