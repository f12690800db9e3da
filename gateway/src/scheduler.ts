/**
 * Fair turns on the one PXE. Aztec's PXE runs one job at a time in arrival order, so a batch of a thousand
 * registrations would make every other caller wait for all of them. Here each HTTP request gets a lane; a
 * lane's jobs run in its own order, and the lanes take turns one job each. A call arriving while a big
 * batch runs waits for the batch's current job only, not for the rest of the batch.
 */

export type Job = <T>(work: () => Promise<T>) => Promise<T>;

interface Pending {
  work: () => Promise<unknown>;
  resolve: (value: unknown) => void;
  reject: (reason: unknown) => void;
}

class Lane {
  readonly pending: Pending[] = [];
  running = false;
}

export class FairScheduler {
  /** Lanes with a job waiting and none running, in the order of their next turn. */
  private readonly turns: Lane[] = [];
  private busy = false;

  /** A new lane: the function runs work on the PXE in this lane's turn. */
  lane(): Job {
    const lane = new Lane();
    return <T>(work: () => Promise<T>) => this.submit(lane, work) as Promise<T>;
  }

  private submit(lane: Lane, work: () => Promise<unknown>): Promise<unknown> {
    return new Promise((resolve, reject) => {
      lane.pending.push({ work, resolve, reject });
      if (lane.pending.length === 1 && !lane.running) this.turns.push(lane);
      this.next();
    });
  }

  private next(): void {
    if (this.busy) return;
    const lane = this.turns.shift();
    if (!lane) return;
    const job = lane.pending.shift()!;
    this.busy = true;
    lane.running = true;
    Promise.resolve()
      .then(job.work)
      .then(job.resolve, job.reject)
      .finally(() => {
        this.busy = false;
        lane.running = false;
        if (lane.pending.length > 0) this.turns.push(lane); // back of the line: the others take their turn first
        this.next();
      });
  }
}
