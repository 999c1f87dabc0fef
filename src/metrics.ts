import { readdir } from 'node:fs/promises';
import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from 'prom-client';

/**
 * The event-loop delay sampling tick of `arena_nodejs_eventloop_lag_*`, ms. Node's histogram records the
 * whole interval between ticks, so an idle loop reads about this much: the delay is the excess over it.
 */
export const EVENT_LOOP_SAMPLING_MS = 10;

/**
 * prom-client default metrics whose collectors cost the event loop time in proportion to the open
 * sockets at every scrape: a synchronous readdir of /proc/self/fd, and arrays of every libuv handle and
 * async resource (`process._getActiveHandles()`, `process.getActiveResourcesInfo()`).
 */
export const METRICS_HEAVY_DEFAULTS = [
  'process_open_fds', 'nodejs_active_handles', 'nodejs_active_handles_total', 'nodejs_active_resources', 'nodejs_active_resources_total',
] as const;

/** Where the live connection and room counts come from (the matchmaker's stats, the room handlers' tally), read at scrape time. */
export interface RoomCounts {
  connections(): number;
  roomsByType(): Record<string, number>;
}

/** The server's Prometheus metrics, on a registry of its own (no global state between test servers). */
export class Metrics {
  readonly registry = new Registry();
  private source: RoomCounts | undefined;

  readonly connections: Gauge;
  readonly rooms: Gauge<'type'>;
  /** Room message counts, direction → room type → message type; `arena_messages_{in,out}_total` read them at scrape time. */
  private readonly tallies = { in: new Map<string, Map<string, number>>(), out: new Map<string, Map<string, number>>() };
  /** Errors answered to clients, transport → code; `arena_errors_total` reads them at scrape time. */
  private readonly errorTallies = new Map<string, Map<string, number>>();
  /**
   * Joins refused to users barred for flooding: `front` in front of the matchmaking route (a bar this
   * process set or heard of), `route` by a room's onAuth, which asked presence.
   */
  readonly barredJoins = new Counter({
    name: 'arena_barred_joins_total', help: 'Joins refused (429) to users barred for flooding, by where they were refused',
    labelNames: ['where'] as const, registers: [this.registry],
  });
  readonly httpDuration = new Histogram({
    name: 'arena_http_request_duration_seconds',
    help: 'HTTP request latency, by method, route and status',
    labelNames: ['method', 'route', 'status'],
    buckets: [0.001, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5],
    registers: [this.registry],
  });

  constructor() {
    const metrics = this;
    this.connections = new Gauge({
      name: 'arena_connections', help: 'Clients connected to rooms in this process', registers: [this.registry],
      collect() { this.set(metrics.source?.connections() ?? 0); },
    });
    this.rooms = new Gauge({
      name: 'arena_rooms', help: 'Rooms open in this process, by type', labelNames: ['type'], registers: [this.registry],
      collect() {
        this.reset();
        for (const [type, n] of Object.entries(metrics.source?.roomsByType() ?? {})) this.set({ type }, n);
      },
    });
    tallyCounter(this.registry, this.tallies.in, 'arena_messages_in_total', 'Room messages received, by room type and message type');
    tallyCounter(this.registry, this.tallies.out, 'arena_messages_out_total', 'Room messages sent (per recipient), by room type and message type');
    tallyCounter(this.registry, this.errorTallies, 'arena_errors_total', 'Errors answered to clients, by transport and code', ['transport', 'code']);
    collectDefaultMetrics({ register: this.registry, prefix: 'arena_', eventLoopMonitoringPrecision: EVENT_LOOP_SAMPLING_MS });
    // prom-client's defaults include collectors that walk every socket on the event loop at each scrape
    // (METRICS_HEAVY_DEFAULTS): with 10,000 descriptors open they held it 10–20 ms a scrape, a stall every
    // room's players felt (docs/benchmarks.md). The handle and resource lists go (arena_connections counts
    // the clients); the open descriptors are counted by a readdir in libuv's pool, off the event loop.
    for (const name of METRICS_HEAVY_DEFAULTS) this.registry.removeSingleMetric(`arena_${name}`);
    new Gauge({
      name: 'arena_process_open_fds', help: 'Number of open file descriptors.', registers: [this.registry],
      async collect() {
        if (process.platform !== 'linux') return;
        const fds = await readdir('/proc/self/fd').catch(() => undefined);
        if (fds) this.set(fds.length - 1); // less the descriptor the readdir itself had open
      },
    });
  }

  /**
   * Counts room messages received (`in`) or sent per recipient (`out`), on the hot path of every message:
   * a few map operations on strings already hashed. prom-client's own `inc()` hashes the label set into a new string
   * on every call (a child from `labels()` too), which showed in the server's allocation profile.
   */
  countMessages(direction: 'in' | 'out', room: string, type: string, n = 1): void {
    tally(this.tallies[direction], room, type, n);
  }

  /** Counts one error answered to a client (a refused answer is one: this is on a hot path too). */
  countError(transport: 'http' | 'room', code: string): void {
    tally(this.errorTallies, transport, code, 1);
  }

  /** Connects the live counts (done once by the wiring, when the matchmaker exists). */
  trackRooms(source: RoomCounts): void {
    this.source = source;
  }

  /** The exposition text for GET /metrics. */
  async render(): Promise<{ contentType: string; body: string }> {
    return { contentType: this.registry.contentType, body: await this.registry.metrics() };
  }
}

/** Adds `n` to the running total under (outer, inner). */
function tally(tallies: Map<string, Map<string, number>>, outer: string, inner: string, n: number): void {
  let byInner = tallies.get(outer);
  if (!byInner) tallies.set(outer, (byInner = new Map()));
  byInner.set(inner, (byInner.get(inner) ?? 0) + n);
}

/** Registers a counter by two labels whose values are the tallies' running totals, read when it is scraped. */
function tallyCounter(registry: Registry, tallies: Map<string, Map<string, number>>, name: string, help: string, labels: [string, string] = ['room', 'type']): void {
  const [outer, inner] = labels;
  new Counter({
    name, help, labelNames: labels, registers: [registry],
    collect() {
      this.reset();
      for (const [a, byB] of tallies) for (const [b, count] of byB) this.inc({ [outer]: a, [inner]: b }, count);
    },
  });
}
