import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from 'prom-client';

/**
 * The event-loop delay sampling tick of `arena_nodejs_eventloop_lag_*`, ms. Node's histogram records the
 * whole interval between ticks, so an idle loop reads about this much: the delay is the excess over it.
 */
export const EVENT_LOOP_SAMPLING_MS = 10;

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
  readonly messagesIn = new Counter({ name: 'arena_messages_in_total', help: 'Room messages received, by room type and message type', labelNames: ['room', 'type'], registers: [this.registry] });
  readonly messagesOut = new Counter({ name: 'arena_messages_out_total', help: 'Room messages sent (per recipient), by room type and message type', labelNames: ['room', 'type'], registers: [this.registry] });
  readonly errors = new Counter({ name: 'arena_errors_total', help: 'Errors answered to clients, by transport and code', labelNames: ['transport', 'code'], registers: [this.registry] });
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
    collectDefaultMetrics({ register: this.registry, prefix: 'arena_', eventLoopMonitoringPrecision: EVENT_LOOP_SAMPLING_MS });
  }

  /** The counters' children per (room, type), made once: prom-client hashes the label set on every inc(). */
  private readonly messageCounters = new Map<string, { inc(value?: number): void }>();

  /** Counts room messages received (`in`) or sent per recipient (`out`), on the hot path of every message. */
  countMessages(direction: 'in' | 'out', room: string, type: string, n = 1): void {
    const key = `${direction}\u0000${room}\u0000${type}`;
    let child = this.messageCounters.get(key);
    if (!child) {
      child = (direction === 'in' ? this.messagesIn : this.messagesOut).labels(room, type);
      this.messageCounters.set(key, child);
    }
    child.inc(n);
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
