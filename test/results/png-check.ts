// Reads a PNG enough to tell it is a real picture: signature, IHDR size, and the pixels (IDAT inflated with
// node:zlib, scanline filters undone, PNG spec §9) so a test can check it is not one flat colour.
import { inflateSync } from 'node:zlib'

export interface PngInfo { width: number, height: number, colorType: number, distinctPixels: number }

const SIGNATURE = Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a])
const CHANNELS: Record<number, number> = { 0: 1, 2: 3, 4: 2, 6: 4 }

export function inspectPng (buf: Buffer): PngInfo {
  if (!buf.subarray(0, 8).equals(SIGNATURE)) throw new Error('not a PNG: bad signature')
  let pos = 8
  let width = 0; let height = 0; let depth = 0; let colorType = -1; let interlace = 0
  const idat: Buffer[] = []
  while (pos < buf.length) {
    const len = buf.readUInt32BE(pos)
    const type = buf.toString('latin1', pos + 4, pos + 8)
    const data = buf.subarray(pos + 8, pos + 8 + len)
    if (type === 'IHDR') {
      width = data.readUInt32BE(0); height = data.readUInt32BE(4); depth = data[8]!; colorType = data[9]!; interlace = data[12]!
    } else if (type === 'IDAT') idat.push(data)
    else if (type === 'IEND') break
    pos += 12 + len
  }
  if (width === 0 || height === 0) throw new Error('PNG without IHDR')
  const channels = CHANNELS[colorType]
  if (depth !== 8 || channels === undefined || interlace !== 0) throw new Error(`unsupported PNG: depth ${depth}, colour type ${colorType}, interlace ${interlace}`)
  const raw = inflateSync(Buffer.concat(idat))
  const bpp = channels
  const stride = width * bpp
  const prev = Buffer.alloc(stride)
  const cur = Buffer.alloc(stride)
  const pixels = new Set<string>()
  for (let y = 0; y < height; y++) {
    const filter = raw[y * (stride + 1)]!
    const line = raw.subarray(y * (stride + 1) + 1, (y + 1) * (stride + 1))
    for (let i = 0; i < stride; i++) {
      const a = i >= bpp ? cur[i - bpp]! : 0
      const b = prev[i]!
      const c = i >= bpp ? prev[i - bpp]! : 0
      const x = line[i]!
      let v: number
      switch (filter) {
        case 0: v = x; break
        case 1: v = x + a; break
        case 2: v = x + b; break
        case 3: v = x + ((a + b) >> 1); break
        case 4: { const p = a + b - c; const pa = Math.abs(p - a); const pb = Math.abs(p - b); const pc = Math.abs(p - c); v = x + (pa <= pb && pa <= pc ? a : pb <= pc ? b : c); break }
        default: throw new Error(`bad filter ${filter} on row ${y}`)
      }
      cur[i] = v & 0xff
    }
    if (pixels.size < 1000) for (let i = 0; i < stride; i += bpp) pixels.add(cur.subarray(i, i + bpp).toString('hex'))
    cur.copy(prev)
  }
  return { width, height, colorType, distinctPixels: pixels.size }
}
