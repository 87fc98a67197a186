// A ServiceSpec's `user` as numbers: both runtimes need the uid and gid (spawn takes numbers; a container's `User`
// as uid:gid needs no passwd file of its own, and the image has none beyond the host's read-only /etc). Read from
// the host's /etc/passwd, the file the Debian packages (postgresql's `postgres` user) write to.
import { readFile } from 'node:fs/promises'
import { ServiceFailedError } from '../../lib/errors.ts'

export interface SystemUser {
  name: string
  uid: number
  gid: number
  home: string
}

/** The entry for `name` in passwd(5) text (name:password:uid:gid:gecos:home:shell), or undefined. */
export function findPasswdEntry (passwd: string, name: string): SystemUser | undefined {
  for (const line of passwd.split('\n')) {
    if (line.startsWith('#')) continue
    const fields = line.split(':')
    if (fields.length < 7 || fields[0] !== name) continue
    const uid = Number(fields[2])
    const gid = Number(fields[3])
    if (!Number.isInteger(uid) || uid < 0 || !Number.isInteger(gid) || gid < 0) return undefined
    return { name, uid, gid, home: fields[5] ?? '' }
  }
  return undefined
}

/** `service` names the service in the error: a spec asked for a user this machine does not have. */
export async function lookupSystemUser (service: string, name: string, passwdFile = '/etc/passwd'): Promise<SystemUser> {
  let passwd: string
  try {
    passwd = await readFile(passwdFile, 'utf8')
  } catch (err) {
    throw new ServiceFailedError(service, `cannot read ${passwdFile} to find user "${name}": ${(err as Error).message}`, { cause: err })
  }
  const user = findPasswdEntry(passwd, name)
  if (user === undefined) throw new ServiceFailedError(service, `there is no system user "${name}" in ${passwdFile}`, { hint: 'the package that runs as that user creates it' })
  return user
}
