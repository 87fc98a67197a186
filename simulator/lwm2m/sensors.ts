// Sensor state of every device of a driver, struct-of-arrays: 4 doubles per sensor instance (value, min and max
// measured, step), no object per sensor. Values are built lazily: a sensor is stepped to the current sample only when
// something reads or notifies it, so an idle device costs no CPU between registration updates.
import { createGenerator, defaultGenerators } from '../generators.ts'
import type { Generator, GeneratorSpec } from '../generators.ts'
import { streamSeed } from '../../lib/random.ts'

/** One sensor object instance every device has, e.g. /3303/0. */
export interface SensorSlot {
  readonly objectId: number
  readonly instanceId: number
  readonly generator: Generator
}

export class SensorStore {
  readonly slots: readonly SensorSlot[]
  /** Sensor slot index by object id and instance id: `${objectId}/${instanceId}`. */
  private readonly byPath = new Map<string, number>()
  private readonly seed: number
  private value: Float64Array
  private min: Float64Array
  private max: Float64Array
  private step: Float64Array

  constructor (objects: ReadonlyArray<{ objectId: number, instances: number }>, generators: Readonly<Partial<Record<number, GeneratorSpec>>>,
    stepS: number, seed: number, capacity = 1024) {
    const slots: SensorSlot[] = []
    for (const o of objects) {
      const spec = generators[o.objectId] ?? defaultGenerators[o.objectId]
      if (spec === undefined) throw new RangeError(`no value generator for object ${o.objectId}`)
      const generator = createGenerator(spec, stepS > 0 ? stepS : 1)
      for (let i = 0; i < o.instances; i++) {
        this.byPath.set(`${o.objectId}/${i}`, slots.length)
        slots.push({ objectId: o.objectId, instanceId: i, generator })
      }
    }
    this.slots = slots
    this.seed = seed
    const n = Math.max(1, capacity * slots.length)
    this.value = new Float64Array(n)
    this.min = new Float64Array(n)
    this.max = new Float64Array(n)
    this.step = new Float64Array(n)
  }

  get perDevice (): number {
    return this.slots.length
  }

  /** The slot index of /objectId/instanceId, or -1. */
  slotOf (objectId: number, instanceId: number): number {
    return this.byPath.get(`${objectId}/${instanceId}`) ?? -1
  }

  /** Sets a device's sensors to their step-0 values. */
  init (device: number): void {
    const n = this.slots.length
    if ((device + 1) * n > this.value.length) this.grow((device + 1) * n)
    for (let j = 0; j < n; j++) {
      const at = device * n + j
      const v = this.slots[j]!.generator.initial(this.stream(device, j))
      this.value[at] = v
      this.min[at] = v
      this.max[at] = v
      this.step[at] = 0
    }
  }

  /** The value of sensor j of a device at sample `k`, stepping it forward when needed (never backward). */
  valueAt (device: number, j: number, k: number): number {
    const at = device * this.slots.length + j
    let s = this.step[at]!
    if (k <= s) return this.value[at]!
    const g = this.slots[j]!.generator
    const stream = this.stream(device, j)
    let v = this.value[at]!
    let lo = this.min[at]!
    let hi = this.max[at]!
    while (s < k) {
      s++
      v = g.at(stream, s, v)
      if (v < lo) lo = v
      if (v > hi) hi = v
    }
    this.value[at] = v
    this.min[at] = lo
    this.max[at] = hi
    this.step[at] = s
    return v
  }

  minMeasured (device: number, j: number): number {
    return this.min[device * this.slots.length + j]!
  }

  maxMeasured (device: number, j: number): number {
    return this.max[device * this.slots.length + j]!
  }

  /** IPSO 5605: min and max measured start again from the current value. */
  resetMinMax (device: number, j: number): void {
    const at = device * this.slots.length + j
    this.min[at] = this.value[at]!
    this.max[at] = this.value[at]!
  }

  private stream (device: number, j: number): number {
    const slot = this.slots[j]!
    return streamSeed(this.seed, device, slot.objectId, slot.instanceId)
  }

  private grow (needed: number): void {
    let size = this.value.length
    while (size < needed) size *= 2
    const bigger = (a: Float64Array): Float64Array => { const b = new Float64Array(size); b.set(a); return b }
    this.value = bigger(this.value)
    this.min = bigger(this.min)
    this.max = bigger(this.max)
    this.step = bigger(this.step)
  }
}
