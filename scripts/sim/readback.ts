import type { Bot } from './bot';
import type { BattleView } from './invariants';
import { httpJson, type Recorder } from './recorder';
import type { AccountReadback, HistoryItem, HttpAnswer, MeBody } from './types';

/** Runs `fn` over `items` with at most `limit` at a time. */
async function pool<T>(items: readonly T[], limit: number, fn: (item: T) => Promise<void>): Promise<void> {
  let next = 0;
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, async () => {
    while (next < items.length) await fn(items[next++]);
  }));
}

/** Most pages of /me/battles read per bot: bounded, so a server that pages forever cannot hang the run. */
const MAX_PAGES = 200;

/**
 * Reads back, as the bots themselves through the HTTP API, what the checks compare: each finished battle
 * (GET /battles/:id as a participant that saw it) and each bot's account and whole history.
 */
export async function readBack(rec: Recorder, base: string, bots: readonly Bot[]): Promise<{
  battles: Map<string, HttpAnswer<BattleView>>;
  accounts: AccountReadback[];
}> {
  const tokenOf = new Map(bots.filter((b) => b.account).map((b) => [b.name, b.account!.token]));
  const viewers = new Map<string, string>();
  for (const s of rec.seen) if (!viewers.has(s.result.battleId)) viewers.set(s.result.battleId, s.bot);
  const battles = new Map<string, HttpAnswer<BattleView>>();
  await pool([...viewers], 8, async ([battleId, bot]) => {
    const res = await httpJson<BattleView>(rec, base, 'GET', `/battles/${battleId}`, { route: '/battles/:id', token: tokenOf.get(bot) });
    battles.set(battleId, { status: res.status, body: res.body, error: res.error });
  });

  const accounts: AccountReadback[] = [];
  await pool(bots.filter((b) => b.account), 8, async (b) => {
    const token = b.account!.token;
    const me = await httpJson<MeBody>(rec, base, 'GET', '/me', { route: '/me', token });
    const readback: AccountReadback = {
      bot: b.name, userId: b.account!.userId, me: { status: me.status, body: me.body, error: me.error }, history: [],
      seenBattleIds: rec.seen.filter((s) => s.bot === b.name).map((s) => s.result.battleId),
    };
    let before: string | undefined;
    for (let page = 0; ; page++) {
      if (page >= MAX_PAGES) {
        readback.history = undefined;
        readback.historyError = `more than ${MAX_PAGES} pages`;
        break;
      }
      const q = `?limit=50${before ? `&before=${encodeURIComponent(before)}` : ''}`;
      const res = await httpJson<{ items: HistoryItem[] }>(rec, base, 'GET', `/me/battles${q}`, { route: '/me/battles', token });
      if (res.status !== 200 || !res.body) {
        readback.history = undefined;
        readback.historyError = `GET /me/battles${q} answered ${res.status}: ${res.error}`;
        break;
      }
      readback.history!.push(...res.body.items);
      if (res.body.items.length < 50) break;
      before = res.body.items[res.body.items.length - 1].endedAt;
    }
    accounts.push(readback);
  });
  accounts.sort((a, b) => a.bot.localeCompare(b.bot));
  return { battles, accounts };
}
