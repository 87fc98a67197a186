// A bounds check of Avro binary data against a type, before avsc decodes it. avsc trusts block counts: a few
// garbage bytes announcing an array of 2^40 items make it loop and allocate for minutes. This walk reads every
// length, count, index and varint with bounds checks and materialises nothing, so a malformed buffer costs at most
// one pass over its bytes. Every item of our schemas' arrays and maps takes at least one byte, so a block count
// larger than the bytes left is a format error.
import type { Type, types } from 'avsc'

/** Returns undefined when `buf` is exactly one well-framed value of `type`, else what is wrong and where. */
export function checkWire (type: Type, buf: Buffer): string | undefined {
  const walker = new Walker(buf)
  try {
    walker.value(type)
  } catch (err) {
    if (err instanceof WireError) return err.message
    throw err
  }
  if (walker.pos !== buf.length) return `${buf.length - walker.pos} bytes after the end of the value`
  return undefined
}

class WireError extends Error {}

// Varints of up to 10 bytes (64 bits); lengths and counts above 2^48 are out of any buffer's range anyway.
const MAX_VARINT_BYTES = 10

class Walker {
  pos = 0
  constructor (private readonly buf: Buffer) {}

  private fail (what: string): never {
    throw new WireError(`${what} at byte ${this.pos}`)
  }

  /** A zigzag varint as a number; exact up to 2^48, only its sign and size matter beyond. */
  private varint (): number {
    let n = 0
    let scale = 1
    for (let i = 0; i < MAX_VARINT_BYTES; i++) {
      if (this.pos >= this.buf.length) this.fail('truncated varint')
      const b = this.buf[this.pos++]!
      n += (b & 0x7f) * scale
      scale *= 128
      if ((b & 0x80) === 0) return n % 2 === 0 ? n / 2 : -(n + 1) / 2
    }
    return this.fail('varint longer than 10 bytes')
  }

  private skip (n: number, what: string): void {
    if (n < 0 || n > this.buf.length - this.pos) this.fail(`${what} of ${n} bytes, ${this.buf.length - this.pos} left`)
    this.pos += n
  }

  private count (what: string): number {
    let n = this.varint()
    if (n < 0) {
      // A negative count is followed by the block's size in bytes (Avro spec, "Complex Types: Arrays").
      n = -n
      this.varint()
    }
    if (n > this.buf.length - this.pos) this.fail(`${what} block of ${n} items, ${this.buf.length - this.pos} bytes left`)
    return n
  }

  value (type: Type): void {
    switch (type.typeName) {
      case 'null': return
      case 'boolean': {
        if (this.pos >= this.buf.length) this.fail('truncated boolean')
        if (this.buf[this.pos]! > 1) this.fail(`boolean byte ${this.buf[this.pos]}`)
        this.pos++
        return
      }
      case 'int':
      case 'long':
        this.varint()
        return
      case 'float': return this.skip(4, 'float')
      case 'double': return this.skip(8, 'double')
      case 'string':
      case 'bytes': return this.skip(this.varint(), type.typeName)
      case 'fixed': return this.skip((type as types.FixedType).size, 'fixed')
      case 'enum': {
        const index = this.varint()
        if (index < 0 || index >= (type as types.EnumType).symbols.length) this.fail(`enum index ${index} of ${type.name ?? 'enum'}`)
        return
      }
      case 'record':
      case 'error': {
        for (const field of (type as types.RecordType).fields) this.value(field.type)
        return
      }
      case 'array': {
        const items = (type as types.ArrayType).itemsType
        for (let n = this.count('array'); n > 0; n = this.count('array')) {
          for (let i = 0; i < n; i++) this.value(items)
        }
        return
      }
      case 'map': {
        const values = (type as types.MapType).valuesType as Type
        for (let n = this.count('map'); n > 0; n = this.count('map')) {
          for (let i = 0; i < n; i++) {
            this.skip(this.varint(), 'map key')
            this.value(values)
          }
        }
        return
      }
      case 'union:wrapped':
      case 'union:unwrapped': {
        const branches = (type as types.WrappedUnionType).types
        const index = this.varint()
        const branch = branches[index]
        if (branch === undefined) return this.fail(`union index ${index} of ${branches.length} branches`)
        return this.value(branch)
      }
      default: {
        if (type.typeName.startsWith('logical:')) return this.value((type as types.LogicalType).underlyingType)
        return this.fail(`type ${type.typeName} is not checked`)
      }
    }
  }
}
