import fc from 'fast-check'
import { describe, expect, it } from 'vitest'
import { SimDisk } from '../src/disk.js'
import { DiskFullError, FileNotFoundError } from '../src/errors.js'
import { Random } from '../src/random.js'

const bytes = (...values: number[]) => Uint8Array.from(values)

/** The dumbest possible model of the same semantics: arrays copied on every change. */
class DiskModel {
  private nextId = 0
  private inodes = new Map<number, { current: number[]; durable: number[] }>()
  names = new Map<string, number>()
  private durableNames = new Map<string, number>()

  private get(path: string) {
    const id = this.names.get(path)
    return id === undefined ? undefined : this.inodes.get(id)!
  }
  private getOrCreate(path: string) {
    if (!this.names.has(path)) {
      this.inodes.set(this.nextId, { current: [], durable: [] })
      this.names.set(path, this.nextId++)
    }
    return this.get(path)!
  }
  write(path: string, data: number[]) {
    this.getOrCreate(path).current = [...data]
  }
  append(path: string, data: number[]) {
    this.getOrCreate(path).current.push(...data)
  }
  truncate(path: string, size: number) {
    const inode = this.get(path)
    if (!inode) return 'missing'
    inode.current = Array.from({ length: size }, (_, i) => inode.current[i] ?? 0)
  }
  rename(from: string, to: string) {
    const id = this.names.get(from)
    if (id === undefined) return 'missing'
    this.names.delete(from)
    this.names.set(to, id)
  }
  delete(path: string) {
    if (!this.names.delete(path)) return 'missing'
  }
  sync(path: string) {
    const inode = this.get(path)
    if (!inode) return 'missing'
    inode.durable = [...inode.current]
  }
  syncDirectory() {
    this.durableNames = new Map(this.names)
  }
  crash() {
    this.names = new Map(this.durableNames)
    for (const id of this.names.values()) {
      const inode = this.inodes.get(id)!
      inode.current = [...inode.durable]
    }
  }
  read(path: string) {
    return this.get(path)?.current
  }
}

const path = fc.constantFrom('a', 'b', 'c')
const data = fc.array(fc.integer({ min: 0, max: 255 }), { minLength: 1, maxLength: 6 })
const op = fc.oneof(
  { arbitrary: fc.record({ kind: fc.constant('write' as const), path, data }), weight: 3 },
  { arbitrary: fc.record({ kind: fc.constant('append' as const), path, data }), weight: 4 },
  { arbitrary: fc.record({ kind: fc.constant('truncate' as const), path, size: fc.nat(12) }), weight: 2 },
  { arbitrary: fc.record({ kind: fc.constant('rename' as const), path, to: path }), weight: 1 },
  { arbitrary: fc.record({ kind: fc.constant('delete' as const), path }), weight: 1 },
  { arbitrary: fc.record({ kind: fc.constant('sync' as const), path }), weight: 4 },
  { arbitrary: fc.record({ kind: fc.constant('syncDirectory' as const) }), weight: 2 },
  { arbitrary: fc.record({ kind: fc.constant('crash' as const) }), weight: 1 },
)

describe('SimDisk', () => {
  it('keeps exactly what was synced across crashes (property, against a dumb model)', () => {
    fc.assert(
      fc.property(fc.array(op, { minLength: 10, maxLength: 80, size: 'max' }), (ops) => {
        const disk = new SimDisk()
        const model = new DiskModel()
        for (const o of ops) {
          let expected: string | undefined
          let actual: string | undefined
          const guard = (f: () => void) => {
            try {
              f()
            } catch (error) {
              if (!FileNotFoundError.isInstance(error)) throw error
              return 'missing'
            }
            return undefined
          }
          switch (o.kind) {
            case 'write':
              model.write(o.path, o.data)
              disk.write(o.path, Uint8Array.from(o.data))
              break
            case 'append':
              model.append(o.path, o.data)
              disk.append(o.path, Uint8Array.from(o.data))
              break
            case 'truncate':
              expected = model.truncate(o.path, o.size)
              actual = guard(() => disk.truncate(o.path, o.size))
              break
            case 'rename':
              expected = model.rename(o.path, o.to)
              actual = guard(() => disk.rename(o.path, o.to))
              break
            case 'delete':
              expected = model.delete(o.path)
              actual = guard(() => disk.delete(o.path))
              break
            case 'sync':
              expected = model.sync(o.path)
              actual = guard(() => disk.sync(o.path))
              break
            case 'syncDirectory':
              model.syncDirectory()
              disk.syncDirectory()
              break
            case 'crash':
              model.crash()
              disk.crash()
              break
          }
          expect(actual).toBe(expected)
          expect(disk.list()).toEqual([...model.names.keys()].sort())
          for (const name of disk.list()) expect([...disk.read(name)]).toEqual(model.read(name))
        }
      }),
      { numRuns: 400 },
    )
  })

  it('a synced file whose name was never synced is lost; metadataSync immediate keeps it', () => {
    const strict = new SimDisk()
    strict.write('f', bytes(1))
    strict.sync('f')
    strict.crash()
    expect(strict.exists('f')).toBe(false)
    const relaxed = new SimDisk({ metadataSync: 'immediate' })
    relaxed.write('f', bytes(1))
    relaxed.sync('f')
    relaxed.append('f', bytes(2))
    relaxed.crash()
    expect([...relaxed.read('f')]).toEqual([1])
  })

  it('write-then-rename is atomic: a crash shows the old or the new content, never a mix', () => {
    const disk = new SimDisk()
    disk.write('state', bytes(1, 1, 1))
    disk.sync('state')
    disk.syncDirectory()
    disk.write('state.tmp', bytes(2, 2, 2))
    disk.sync('state.tmp')
    disk.rename('state.tmp', 'state')
    disk.crash()
    expect([...disk.read('state')]).toEqual([1, 1, 1])
    disk.write('state.tmp', bytes(2, 2, 2))
    disk.sync('state.tmp')
    disk.rename('state.tmp', 'state')
    disk.syncDirectory()
    disk.crash()
    expect([...disk.read('state')]).toEqual([2, 2, 2])
    expect(disk.list()).toEqual(['state'])
  })

  it('torn writes keep the synced content plus a random prefix of unsynced appends', () => {
    const random = new Random(1)
    const lengths = new Set<number>()
    for (let i = 0; i < 200; i++) {
      const disk = new SimDisk({ tornWrites: true })
      disk.append('log', bytes(1, 2, 3))
      disk.sync('log')
      disk.syncDirectory()
      disk.append('log', bytes(4, 5, 6, 7))
      disk.crash(random)
      const content = [...disk.read('log')]
      expect(content).toEqual([1, 2, 3, 4, 5, 6, 7].slice(0, content.length))
      expect(content.length).toBeGreaterThanOrEqual(3)
      lengths.add(content.length)
    }
    expect([...lengths].sort()).toEqual([3, 4, 5, 6, 7])
    expect(() => new SimDisk({ tornWrites: true }).crash()).toThrow(TypeError)
  })

  it('never shares buffers with its caller', () => {
    const disk = new SimDisk()
    const data = bytes(1, 2)
    disk.write('f', data)
    data[0] = 9
    const read = disk.read('f')
    read[1] = 9
    expect([...disk.read('f')]).toEqual([1, 2])
  })

  it('appends stay fast on a large log synced after every append', () => {
    const disk = new SimDisk({ metadataSync: 'immediate' })
    const entry = new Uint8Array(100)
    const start = performance.now()
    for (let i = 0; i < 50_000; i++) {
      disk.append('log', entry)
      disk.sync('log')
    }
    expect(disk.size('log')).toBe(5_000_000)
    expect(performance.now() - start).toBeLessThan(2_000)
    expect(disk.stats).toMatchObject({ syncs: 50_000, bytesWritten: 5_000_000 })
  })

  it('enforces its limits and refuses bad inputs with exact errors', () => {
    const disk = new SimDisk({ maxTotalBytes: 4, maxFiles: 2 })
    disk.write('a', bytes(1, 2))
    expect(() => disk.append('a', bytes(3, 4, 5))).toThrow(DiskFullError)
    expect(() => disk.append('a', bytes(3, 4, 5))).toThrow(
      'cannot write "a": maxTotalBytes=4 would be exceeded',
    )
    disk.write('b', bytes())
    expect(() => disk.write('c', bytes())).toThrow('cannot write "c": maxFiles=2 reached')
    expect(() => disk.read('zz')).toThrow('file "zz" does not exist')
    expect(() => disk.write('', bytes())).toThrow('path: expected 1 to 1024 characters, got length=0')
    expect(() => disk.write('a', [1] as never)).toThrow('data: expected a Uint8Array, got an array')
    expect(() => disk.truncate('a', -1)).toThrow(RangeError)
    expect(() => new SimDisk({ metadataSync: 'sometimes' as never })).toThrow(
      "metadataSync: expected 'explicit' or 'immediate', got \"sometimes\"",
    )
    expect(() => new SimDisk({ tornWrites: 1 as never })).toThrow('tornWrites: expected a boolean, got 1')
  })
})
