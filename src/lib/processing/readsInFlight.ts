/**
 * The Graph reads in flight in this process, per resource, shared by concurrent invocations of the
 * queue trigger: a message whose notifications a read already covers (it started after the message was
 * received, e.g. another message packed from the same POST) waits for that read instead of reading again.
 * Only within one instance; across instances the receipt log and the sink's observed-after rule apply.
 */
export class ReadsInFlight {
  readonly #reads = new Map<string, { readonly startedAt: string; readonly done: Promise<boolean> }>();

  /** A read of `key` in flight that started at or after `receivedAt`; it resolves true if it wrote state. */
  covering(key: string, receivedAt: string): Promise<boolean> | undefined {
    const read = this.#reads.get(key);
    return read !== undefined && read.startedAt >= receivedAt ? read.done : undefined;
  }

  /** Registers a read that starts now (stamped `startedAt`); call the result once with its outcome. */
  start(key: string, startedAt: string): (wroteState: boolean) => void {
    let settle!: (wroteState: boolean) => void;
    const entry = { startedAt, done: new Promise<boolean>((resolve) => (settle = resolve)) };
    this.#reads.set(key, entry);
    let finished = false;
    return (wroteState) => {
      if (finished) return;
      finished = true;
      if (this.#reads.get(key) === entry) this.#reads.delete(key);
      settle(wroteState);
    };
  }
}
