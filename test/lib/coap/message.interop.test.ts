// Our codec against an implementation no one here wrote: node-coap (the `coap` package), over real UDP on loopback.
import { test } from 'node:test'
import assert from 'node:assert/strict'
import { createSocket } from 'node:dgram'
import type { RemoteInfo, Socket } from 'node:dgram'
import { once } from 'node:events'
import type { AddressInfo } from 'node:net'
import * as coap from 'coap'
import { Code, formatCode } from '../../../lib/coap/codes.ts'
import { decode, encode, encodeEmpty } from '../../../lib/coap/message.ts'
import type { CoapMessage } from '../../../lib/coap/message.ts'
import { ContentFormat, OptionNumber, contentFormat, locationPathOptions, observe, uintOption, uriPath, uriPathOptions, uriQuery, uriQueryOptions } from '../../../lib/coap/options.ts'

async function nodeCoapServer (t: { after: (fn: () => Promise<void>) => void }, handler: (req: coap.IncomingMessage, res: coap.OutgoingMessage) => void): Promise<number> {
  const server = coap.createServer({ type: 'udp4' }, handler)
  await new Promise<void>((resolve, reject) => server.listen(0, '127.0.0.1', err => err === undefined ? resolve() : reject(err)))
  t.after(() => new Promise<void>(resolve => server.close(() => resolve())))
  // node-coap keeps its socket in _sock (typed in its .d.ts); listening on port 0 lets the OS pick a free port.
  const socket = server._sock
  assert.ok(socket instanceof Object && 'address' in socket)
  return (socket as Socket).address().port
}

async function udpClient (t: { after: (fn: () => Promise<void>) => void }): Promise<{ socket: Socket, next: () => Promise<CoapMessage> }> {
  const socket = createSocket('udp4')
  socket.bind(0, '127.0.0.1')
  await once(socket, 'listening')
  t.after(() => new Promise<void>(resolve => socket.close(() => resolve())))
  const queue: CoapMessage[] = []
  const waiting: Array<(m: CoapMessage) => void> = []
  socket.on('message', (datagram: Buffer) => {
    const msg = decode(datagram)
    const w = waiting.shift()
    if (w !== undefined) w(msg)
    else queue.push(msg)
  })
  const next = (): Promise<CoapMessage> => {
    const m = queue.shift()
    if (m !== undefined) return Promise.resolve(m)
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error('no datagram from node-coap within 5 s')), 5000)
      waiting.push(msg => { clearTimeout(timer); resolve(msg) })
    })
  }
  return { socket, next }
}

test('a GET encoded by us gets a piggybacked 2.05 from node-coap that we decode', async t => {
  let seenUrl = ''
  const port = await nodeCoapServer(t, (req, res) => {
    seenUrl = req.url
    res.setOption('Content-Format', 'text/plain')
    res.end('world')
  })
  const { socket, next } = await udpClient(t)
  const token = Buffer.from('c0ffee01', 'hex')
  socket.send(encode({ type: 'CON', code: Code.GET, messageId: 0x7a10, token, options: [...uriPathOptions('/hello/there'), ...uriQueryOptions({ x: 1 })] }), port, '127.0.0.1')
  const res = await next()
  assert.equal(seenUrl, '/hello/there?x=1')
  assert.equal(res.type, 'ACK')
  assert.equal(formatCode(res.code), '2.05')
  assert.equal(res.messageId, 0x7a10)
  assert.deepEqual(res.token, token)
  assert.equal(contentFormat(res), ContentFormat.TEXT_PLAIN)
  assert.equal(res.payload?.toString(), 'world')
})

test('an observe registered by us: node-coap notifications carry our token and a rising Observe number', async t => {
  let stop = (): void => {}
  const port = await nodeCoapServer(t, (req, res) => {
    assert.equal(req.headers.Observe, 0)
    let value = 21
    res.write(`${value}`)
    const timer = setInterval(() => res.write(`${(value += 0.5)}`), 20)
    stop = () => { clearInterval(timer); res.end() }
  })
  const { socket, next } = await udpClient(t)
  const token = Buffer.from('0b5e', 'hex')
  socket.send(encode({ type: 'CON', code: Code.GET, messageId: 1, token, options: [uintOption(OptionNumber.OBSERVE, 0), ...uriPathOptions('/3303/0/5700')] }), port, '127.0.0.1')
  const seqs: number[] = []
  const values: string[] = []
  while (values.length < 4) {
    const msg = await next()
    if (msg.code === Code.EMPTY) continue
    assert.deepEqual(msg.token, token)
    assert.equal(msg.code, Code.CONTENT)
    const seq = observe(msg)
    assert.ok(seq !== undefined, 'every notification has Observe')
    seqs.push(seq)
    values.push(msg.payload?.toString() ?? '')
    if (msg.type === 'CON') socket.send(encodeEmpty('ACK', msg.messageId), port, '127.0.0.1')
  }
  stop()
  assert.deepEqual(values, ['21', '21.5', '22', '22.5'])
  for (let i = 1; i < seqs.length; i++) assert.ok(seqs[i]! > seqs[i - 1]!, `Observe rises: ${seqs.join(',')}`)
})

test('node-coap as the client: its register-like POST decodes with our codec, our 2.01 reply decodes in node-coap', async t => {
  const server = createSocket('udp4')
  server.bind(0, '127.0.0.1')
  await once(server, 'listening')
  t.after(() => new Promise<void>(resolve => server.close(() => resolve())))
  let request: CoapMessage | undefined
  server.on('message', (datagram: Buffer, from: RemoteInfo) => {
    const msg = decode(datagram)
    request = msg
    server.send(encode({
      type: 'ACK', code: Code.CREATED, messageId: msg.messageId, token: msg.token, options: locationPathOptions('/rd/5a3f'),
    }), from.port, from.address)
  })
  const agent = new coap.Agent({ type: 'udp4' })
  // The agent closes its socket after its last request; close() covers a failed test (its callback is not called
  // when the socket is already closed, so nothing waits on it).
  t.after(() => { agent.close() })
  const req = coap.request({
    hostname: '127.0.0.1', port: (server.address() as AddressInfo).port, method: 'POST', pathname: '/rd',
    query: 'ep=dev-1&lt=300&lwm2m=1.1&b=U', agent,
  })
  req.setOption('Content-Format', 'application/link-format')
  req.end('</1/0>,</3/0>,</3303/0>')
  const [res] = await once(req, 'response') as [coap.IncomingMessage]
  assert.equal(res.code, '2.01')
  // node-coap's headers keep only the last of repeated options; its packet has them all.
  assert.deepEqual(res._packet.options?.filter(o => o.name === 'Location-Path').map(o => o.value.toString()), ['rd', '5a3f'])
  assert.ok(request !== undefined)
  assert.equal(request.type, 'CON')
  assert.equal(request.code, Code.POST)
  assert.deepEqual(uriPath(request), ['rd'])
  assert.deepEqual(uriQuery(request), { ep: 'dev-1', lt: '300', lwm2m: '1.1', b: 'U' })
  assert.equal(contentFormat(request), ContentFormat.LINK_FORMAT)
  assert.equal(request.payload?.toString(), '</1/0>,</3/0>,</3303/0>')
})
