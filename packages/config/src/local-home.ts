/**
 * Where the local stack (`npm start`) keeps what the CLI reads: its description (stack.json),
 * its API key (local-key) and its events (events.ndjson), beside its data folder. The checkout's
 * `.baton/` by default; with BATON_DATA_DIR, that folder's parent (the data is in BATON_DATA_DIR
 * itself), so a stack started elsewhere and the CLI pointed at it agree.
 */
import { dirname } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Config } from './config.ts';

/** The checkout's `.baton/` (this file is three folders below the checkout). */
export const CHECKOUT_HOME = fileURLToPath(new URL('../../../.baton', import.meta.url));

export const localHome = (c: Pick<Config, 'BATON_DATA_DIR'>): string =>
  c.BATON_DATA_DIR ? dirname(c.BATON_DATA_DIR) : CHECKOUT_HOME;

/** The data folder (bucket and table) of the local stack. */
export const localDataDir = (c: Pick<Config, 'BATON_DATA_DIR'>): string =>
  c.BATON_DATA_DIR ?? `${CHECKOUT_HOME}/s3`;
