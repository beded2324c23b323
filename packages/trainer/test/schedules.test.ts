import { expect } from 'chai';
import { readFileSync } from 'node:fs';
import { createSchedule, ScheduleError, type ScheduleSpec } from '@losskit/trainer';

// Made by scripts/fixtures/keras_training_features.py with Keras 3 on JAX.
const fixture = JSON.parse(readFileSync(new URL('./fixtures/keras-schedules.json', import.meta.url), 'utf8')) as {
  steps: number[];
  cases: { name: ScheduleSpec['name']; options: Record<string, unknown>; values: number[] }[];
};

describe('trainer: learning-rate schedules equal Keras 3 (fixture, 1e-6 relative)', () => {
  for (const c of fixture.cases) {
    it(`${c.name} ${JSON.stringify(c.options)} at ${fixture.steps.length} steps`, () => {
      const schedule = createSchedule({ name: c.name, options: c.options });
      fixture.steps.forEach((step, i) => {
        const want = c.values[i]!;
        expect(schedule(step), `step ${step}`).to.be.closeTo(want, 1e-6 * Math.abs(want) + 1e-12);
      });
      // The saved spec rebuilds the same schedule (defaults filled in).
      const again = createSchedule(JSON.parse(JSON.stringify(schedule.spec)) as ScheduleSpec);
      for (const step of fixture.steps) expect(again(step)).to.equal(schedule(step));
    });
  }

  it('refuses unknown schedules, unknown option keys and bad values, naming them', () => {
    expect(() => createSchedule({ name: 'cosine_decay' as never, options: {} })).to.throw(ScheduleError, /did you mean 'cosine-decay'/);
    expect(() => createSchedule({ name: 'exponential-decay', options: { initialLearningRate: 0.1, decaySteps: 10, decayRate: 0.9, stairCase: true } })).to.throw(
      ScheduleError,
      /unknown option\(s\) 'stairCase' \(did you mean 'staircase'\?\)/,
    );
    expect(() => createSchedule({ name: 'exponential-decay', options: { initialLearningRate: 0.1, decaySteps: 0, decayRate: 0.9 } })).to.throw(ScheduleError, /decaySteps/);
    expect(() => createSchedule({ name: 'piecewise-constant-decay', options: { boundaries: [1, 2], values: [1, 2] } })).to.throw(ScheduleError, /one entry more/);
    expect(() => createSchedule({ name: 'cosine-decay', options: { initialLearningRate: 0.1, decaySteps: 5 }, extra: 1 } as never)).to.throw(ScheduleError, /unknown key/);
    expect(() => createSchedule(-1)).to.throw(ScheduleError, />= 0/);
  });

  it('a user function is checked at each step and has no saveable spec', () => {
    const schedule = createSchedule((step) => (step < 2 ? 0.1 : Number.NaN));
    expect(schedule(0)).to.equal(0.1);
    expect(schedule.spec).to.equal(undefined);
    expect(() => schedule(2)).to.throw(ScheduleError, /returned NaN at step 2/);
  });
});
