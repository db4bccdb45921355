// What a runtime has started and not yet stopped (targets, services), so that its shutdown() stops
// all of it, on every path.
export class StartedSet {
  private readonly live = new Set<{ stop(): Promise<void> }>();

  /** `handle`, kept until its stop(), which from then on also forgets it. */
  track<T extends { stop(): Promise<void> }>(handle: T): T {
    const stop = handle.stop;
    const tracked: T = {
      ...handle,
      stop: async () => {
        await stop();
        this.live.delete(tracked);
      },
    };
    this.live.add(tracked);
    return tracked;
  }

  async stopAll(): Promise<void> {
    await Promise.all([...this.live].map((h) => h.stop()));
  }
}
