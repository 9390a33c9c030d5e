import { adminRoutes as r } from '@agora/core';
import type { Hono } from 'hono';
import { mount, type AppEnv } from '../mount.ts';
import { takeBackup } from '../operations/backup.ts';

export function mountAdmin(app: Hono<AppEnv>) {
  mount(app, r.backup, ({ actor, services }) => takeBackup(services, actor));
}
