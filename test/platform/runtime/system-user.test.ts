// ServiceSpec.user as numbers: the passwd(5) parsing both runtimes use, and the lookup's errors.
import { test } from 'node:test'
import assert from 'node:assert/strict'
import { mkdtemp, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { findPasswdEntry, lookupSystemUser } from '../../../platform/runtime/system-user.ts'

const passwd = [
  '# a comment:x:1:1::/:/bin/sh',
  'root:x:0:0:root:/root:/bin/bash',
  'postgresql:x:900:900::/nope:/bin/false',
  'postgres:x:101:104:PostgreSQL administrator,,,:/var/lib/postgresql:/bin/bash',
  'broken:x:abc:1::/:/bin/sh',
  '',
].join('\n')

test('findPasswdEntry matches the whole name and reads uid, gid and home', () => {
  assert.deepEqual(findPasswdEntry(passwd, 'postgres'), { name: 'postgres', uid: 101, gid: 104, home: '/var/lib/postgresql' })
  assert.deepEqual(findPasswdEntry(passwd, 'root'), { name: 'root', uid: 0, gid: 0, home: '/root' })
  assert.equal(findPasswdEntry(passwd, 'postg'), undefined)
  assert.equal(findPasswdEntry(passwd, 'broken'), undefined)
  assert.equal(findPasswdEntry(passwd, '# a comment'), undefined)
})

test('lookupSystemUser names the service and the missing user', async t => {
  const dir = await mkdtemp(join(tmpdir(), 'fleetlab-passwd-'))
  t.after(async () => { await rm(dir, { recursive: true, force: true }) })
  const file = join(dir, 'passwd')
  await writeFile(file, passwd)
  assert.equal((await lookupSystemUser('db', 'postgres', file)).uid, 101)
  await assert.rejects(lookupSystemUser('db', 'nobody-here', file), (err: Error & { code?: string }) =>
    err.code === 'FLEETLAB_SERVICE_FAILED' && /^db: there is no system user "nobody-here"/.test(err.message))
  await assert.rejects(lookupSystemUser('db', 'postgres', join(dir, 'missing')), /db: cannot read .*missing/)
})
