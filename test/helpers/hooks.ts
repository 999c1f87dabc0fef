import { shutdownTestArena } from './arena';
import { dropTestDatabase } from './db';

/** Root hooks: whatever a test process booted (server, database) is closed once, at the very end. */
export const mochaHooks = {
  async afterAll(this: Mocha.Context) {
    this.timeout(30_000);
    await shutdownTestArena();
    await dropTestDatabase();
  },
};
