import { test } from 'node:test'
import assert from 'node:assert/strict'
import { formatRegistrationLinks, parseRegistrationLinks } from '../../../lib/lwm2m/registration-links.ts'
import { throwsReason } from './fuzz.ts'

test('§6.2.1 registration payload: root link with content formats, then objects and instances', () => {
  assert.deepEqual(parseRegistrationLinks('</>;rt="oma.lwm2m";ct=110, </1/0>, </3/0>, </3303/0>;ver=1.1'), {
    rootPath: '/',
    contentFormats: [110],
    objects: [{ objectId: 1, instanceId: 0 }, { objectId: 3, instanceId: 0 }, { objectId: 3303, instanceId: 0, version: '1.1' }],
  })
  assert.deepEqual(parseRegistrationLinks(Buffer.from('</>;rt="oma.lwm2m";ct="60 110 112 11542",</1>;ver=1.1,</1/0>,</3/0>,</3303>;ver=1.1,</3303/0>,</3303/1>')), {
    rootPath: '/',
    contentFormats: [60, 110, 112, 11542],
    objects: [{ objectId: 1, version: '1.1' }, { objectId: 1, instanceId: 0 }, { objectId: 3, instanceId: 0 }, { objectId: 3303, version: '1.1' },
      { objectId: 3303, instanceId: 0 }, { objectId: 3303, instanceId: 1 }],
  })
  assert.deepEqual(parseRegistrationLinks('</1/0>,</3/0>'), { rootPath: '/', contentFormats: [], objects: [{ objectId: 1, instanceId: 0 }, { objectId: 3, instanceId: 0 }] })
})

test('an alternate path prefixes every object link', () => {
  assert.deepEqual(parseRegistrationLinks('</lwm2m>;rt="oma.lwm2m",</lwm2m/1/0>,</lwm2m/3/0>'), {
    rootPath: '/lwm2m', contentFormats: [], objects: [{ objectId: 1, instanceId: 0 }, { objectId: 3, instanceId: 0 }],
  })
  throwsReason(() => parseRegistrationLinks('</lwm2m>;rt="oma.lwm2m",</1/0>'), 'LINK_BAD_PATH', /under \/lwm2m/)
})

test('bad registration payloads are rejected with a reason', () => {
  throwsReason(() => parseRegistrationLinks('</3/0/1>'), 'LINK_BAD_PATH', /objects and object instances/)
  throwsReason(() => parseRegistrationLinks('</>;rt="oma.lwm2m"'.concat(',</x/0>')), 'LINK_BAD_PATH')
  throwsReason(() => parseRegistrationLinks('</>;rt="oma.lwm2m";ct="abc"'), 'LINK_BAD_ATTRIBUTE')
  throwsReason(() => parseRegistrationLinks('</>;rt="oma.lwm2m";ct=70000'), 'LINK_BAD_ATTRIBUTE')
  throwsReason(() => parseRegistrationLinks('</3/0>;ver=one'), 'LINK_BAD_ATTRIBUTE')
  throwsReason(() => parseRegistrationLinks('lwm2m>;rt="oma.lwm2m"'), 'LINK_SYNTAX')
  throwsReason(() => parseRegistrationLinks('<lwm2m>;rt="oma.lwm2m"'), 'LINK_BAD_PATH')
})

test('formats what devices send', () => {
  const objects = [{ objectId: 1, instanceId: 0 }, { objectId: 3, instanceId: 0 }, { objectId: 3303, instanceId: 0, version: '1.1' }]
  assert.equal(formatRegistrationLinks({ contentFormats: [110], objects }), '</>;rt="oma.lwm2m";ct=110,</1/0>,</3/0>,</3303/0>;ver=1.1')
  assert.equal(formatRegistrationLinks({ contentFormats: [110, 112, 11542], objects: objects.slice(0, 1) }), '</>;rt="oma.lwm2m";ct="110 112 11542",</1/0>')
  assert.equal(formatRegistrationLinks({ objects: [{ objectId: 3303 }] }), '</3303>')
  assert.equal(formatRegistrationLinks({ rootPath: '/lwm2m', objects: objects.slice(0, 1) }), '</lwm2m>;rt="oma.lwm2m",</lwm2m/1/0>')
  const reg = { rootPath: '/', contentFormats: [110, 112], objects }
  assert.deepEqual(parseRegistrationLinks(formatRegistrationLinks(reg)), reg)
  throwsReason(() => formatRegistrationLinks({ objects: [{ objectId: 70000 }] }), 'PATH_ID_RANGE')
})
