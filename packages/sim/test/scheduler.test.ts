import fc from 'fast-check'
import { describe, expect, it } from 'vitest'
import { SimLimitError } from '../src/errors.js'
import { Scheduler } from '../src/scheduler.js'

describe('Scheduler', () => {
  it('runs events by due time, ties in insertion order (property, against a stable sort)', () => {
    fc.assert(
      fc.property(
        fc.array(fc.record({ delay: fc.integer({ min: 0, max: 20 }), cancel: fc.boolean() }), {
          maxLength: 200,
        }),
        (specs) => {
          const scheduler = new Scheduler()
          const ran: number[] = []
          const handles = specs.map((spec, i) => scheduler.schedule(spec.delay, () => ran.push(i)))
          specs.forEach((spec, i) => spec.cancel && handles[i]!.cancel())
          scheduler.runUntilIdle()
          const expected = specs
            .map((spec, i) => ({ ...spec, i }))
            .filter((s) => !s.cancel)
            .sort((a, b) => a.delay - b.delay || a.i - b.i)
            .map((s) => s.i)
          expect(ran).toEqual(expected)
          expect(scheduler.pending).toBe(0)
        },
      ),
      { numRuns: 300 },
    )
  })

  it('advances virtual time only through events; fractional times work', () => {
    const scheduler = new Scheduler()
    const seen: number[] = []
    scheduler.schedule(2.5, () => {
      seen.push(scheduler.now)
      scheduler.schedule(0.25, () => seen.push(scheduler.now))
    })
    expect(scheduler.now).toBe(0)
    expect(scheduler.nextAtMs()).toBe(2.5)
    expect(scheduler.step()).toBe(true)
    expect(scheduler.now).toBe(2.5)
    expect(scheduler.step()).toBe(true)
    expect(scheduler.step()).toBe(false)
    expect(seen).toEqual([2.5, 2.75])
    expect(scheduler.eventsRun).toBe(2)
  })

  it('runUntil runs what is due, leaves the rest, and sets now', () => {
    const scheduler = new Scheduler()
    const ran: number[] = []
    for (const t of [5, 10, 15]) scheduler.schedule(t, () => ran.push(t))
    expect(scheduler.runUntil(10)).toBe(2)
    expect(ran).toEqual([5, 10])
    expect(scheduler.now).toBe(10)
    expect(scheduler.pending).toBe(1)
    scheduler.scheduleAt(12, () => ran.push(12))
    scheduler.runUntil(100)
    expect(ran).toEqual([5, 10, 12, 15])
    expect(scheduler.now).toBe(100)
  })

  it('cancel returns true once, false after running or cancelling', () => {
    const scheduler = new Scheduler()
    const a = scheduler.schedule(1, () => {})
    const b = scheduler.schedule(1, () => {})
    expect(b.cancel()).toBe(true)
    expect(b.cancel()).toBe(false)
    scheduler.runUntilIdle()
    expect(a.cancel()).toBe(false)
    expect(a.atMs).toBe(1)
  })

  it('bounds every loop: runUntilIdle and runUntil throw SimLimitError, pending events are limited', () => {
    const scheduler = new Scheduler({ maxPendingEvents: 3 })
    const forever = () => void scheduler.schedule(1, forever)
    forever()
    expect(() => scheduler.runUntilIdle({ maxEvents: 100 })).toThrow(SimLimitError)
    expect(() => scheduler.runUntil(scheduler.now + 1_000, { maxEvents: 10 })).toThrow(
      'maxEvents (10) reached: events still due before',
    )
    scheduler.schedule(5, () => {})
    scheduler.schedule(5, () => {})
    expect(() => scheduler.schedule(5, () => {})).toThrow(
      'maxPendingEvents (3) reached: too many pending events',
    )
  })

  it('keeps its heap small when timers are cancelled and re-armed many times', () => {
    const scheduler = new Scheduler()
    let timer = scheduler.schedule(1_000, () => {})
    for (let i = 0; i < 200_000; i++) {
      timer.cancel()
      timer = scheduler.schedule(1_000, () => {})
    }
    expect(scheduler.pending).toBe(1)
    expect((scheduler as unknown as { heap: unknown[] }).heap.length).toBeLessThan(10_000)
    let fired = 0
    timer.cancel()
    scheduler.schedule(1_000, () => fired++)
    scheduler.runUntilIdle()
    expect(fired).toBe(1)
  })

  it('refuses bad inputs with exact errors', () => {
    const scheduler = new Scheduler()
    scheduler.runUntil(10)
    expect(() => scheduler.schedule(-1, () => {})).toThrow(
      'delayMs: expected a number from 0 to 8796093022208, got -1',
    )
    expect(() => scheduler.schedule(Number.NaN, () => {})).toThrow(RangeError)
    expect(() => scheduler.schedule(Number.POSITIVE_INFINITY, () => {})).toThrow(RangeError)
    expect(() => scheduler.schedule('1' as never, () => {})).toThrow('delayMs: expected a number, got "1"')
    expect(() => scheduler.schedule(1, 'x' as never)).toThrow('callback: expected a function, got "x"')
    expect(() => scheduler.scheduleAt(5, () => {})).toThrow('atMs: expected a number from 10 to')
    expect(() => scheduler.runUntil(5)).toThrow(RangeError)
    expect(() => scheduler.runUntilIdle({ maxEvents: -1 })).toThrow(RangeError)
    expect(() => new Scheduler({ maxPendingEvents: 0 })).toThrow(RangeError)
  })
})
