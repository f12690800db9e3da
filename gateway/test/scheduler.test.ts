/** The fair scheduler alone: lanes take turns one job each, a lane keeps its own order, failures stay in their job. */

import assert from 'node:assert/strict';
import { test } from 'node:test';

import { FairScheduler } from '../src/scheduler.js';

/** A job that records when it starts and finishes, and finishes only when the test says so. */
function gated(log: string[], name: string) {
  let open!: () => void;
  const gate = new Promise<void>(resolve => (open = resolve));
  const work = async () => {
    log.push(`start ${name}`);
    await gate;
    log.push(`end ${name}`);
    return name;
  };
  return { work, open };
}

const tick = () => new Promise(resolve => setImmediate(resolve));

test('a call arriving during a batch runs after the batch job in progress, not after the batch', async () => {
  const scheduler = new FairScheduler();
  const log: string[] = [];
  const batch = scheduler.lane();
  const jobs = Array.from({ length: 5 }, (_, i) => gated(log, `batch${i}`));
  const batchDone = Promise.all(jobs.map(job => batch(job.work)));
  await tick();
  assert.deepEqual(log, ['start batch0']); // one job at a time
  const single = gated(log, 'single');
  const singleDone = scheduler.lane()(single.work);
  jobs[0]!.open();
  await tick();
  single.open();
  assert.equal(await singleDone, 'single');
  for (const job of jobs) job.open();
  await batchDone;
  assert.deepEqual(log.filter(line => line.startsWith('start')), [
    'start batch0', 'start single', 'start batch1', 'start batch2', 'start batch3', 'start batch4',
  ]);
});

test('two batches alternate job by job, each in its own order', async () => {
  const scheduler = new FairScheduler();
  const order: string[] = [];
  const [a, b] = [scheduler.lane(), scheduler.lane()];
  const run = (lane: typeof a, name: string) => lane(async () => {
    order.push(name);
    await tick();
  });
  await Promise.all([...['a0', 'a1', 'a2'].map(n => run(a, n)), ...['b0', 'b1', 'b2'].map(n => run(b, n))]);
  assert.deepEqual(order, ['a0', 'b0', 'a1', 'b1', 'a2', 'b2']);
});

test('never two jobs at once, and a failing job fails alone', async () => {
  const scheduler = new FairScheduler();
  let running = 0;
  let most = 0;
  const lanes = [scheduler.lane(), scheduler.lane(), scheduler.lane()];
  const results = await Promise.allSettled(lanes.flatMap((lane, l) => [0, 1, 2].map(i => lane(async () => {
    running += 1;
    most = Math.max(most, running);
    await tick();
    running -= 1;
    if (l === 1 && i === 0) throw new Error('boom');
    return `${l}.${i}`;
  }))));
  assert.equal(most, 1);
  assert.deepEqual(results.map(r => (r.status === 'fulfilled' ? r.value : (r.reason as Error).message)), [
    '0.0', '0.1', '0.2', 'boom', '1.1', '1.2', '2.0', '2.1', '2.2',
  ]);
});
