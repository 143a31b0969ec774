/**
 * Production-safe defaults of the server's configuration (issue 19): the demo is off
 * unless asked for, and Next's telemetry is off unless the environment says otherwise.
 */
import { describe, expect, it } from 'vitest';
import { applyProcessDefaults, ConfigError, parseServerConfig, serverMode } from '../../../lib/config/server-env';

describe('DROPSCOPE_DEMO', () => {
  it('is off by default', () => {
    expect(parseServerConfig({}).DROPSCOPE_DEMO).toBe('off');
  });
  it('is turned on by the environment or the flag', () => {
    expect(parseServerConfig({ DROPSCOPE_DEMO: 'on' }).DROPSCOPE_DEMO).toBe('on');
    expect(parseServerConfig({}, ['--demo', 'on']).DROPSCOPE_DEMO).toBe('on');
    expect(parseServerConfig({}, ['--demo=on']).DROPSCOPE_DEMO).toBe('on');
  });
  it('reads a bare --demo as on, followed by other flags or not', () => {
    expect(parseServerConfig({}, ['--demo']).DROPSCOPE_DEMO).toBe('on');
    expect(parseServerConfig({}, ['--demo', '--port', '4000'])).toMatchObject({ DROPSCOPE_DEMO: 'on', PORT: 4000 });
  });
  it('lets the flag turn off what the environment turned on', () => {
    expect(parseServerConfig({ DROPSCOPE_DEMO: 'on' }, ['--demo', 'off']).DROPSCOPE_DEMO).toBe('off');
  });
  it('names the variable when the value is bad', () => {
    expect(() => parseServerConfig({ DROPSCOPE_DEMO: 'yes' })).toThrow(ConfigError);
    expect(() => parseServerConfig({ DROPSCOPE_DEMO: 'yes' })).toThrow(/DROPSCOPE_DEMO/);
  });
});

describe('applyProcessDefaults', () => {
  it('turns Next telemetry off', () => {
    const env: Record<string, string | undefined> = {};
    applyProcessDefaults(env);
    expect(env.NEXT_TELEMETRY_DISABLED).toBe('1');
  });
  it('keeps what the operator set', () => {
    const env: Record<string, string | undefined> = { NEXT_TELEMETRY_DISABLED: '0' };
    applyProcessDefaults(env);
    expect(env.NEXT_TELEMETRY_DISABLED).toBe('0');
  });
});

describe('serverMode', () => {
  it('runs the production build with NODE_ENV=production, from the bundle or the source', () => {
    expect(serverMode('production', '/srv/dropscope/dist/server.mjs')).toBe('production');
    expect(serverMode('production', '/srv/dropscope/server.ts')).toBe('production');
  });
  it('runs the source as the dev server unless told production', () => {
    expect(serverMode(undefined, '/home/me/dropscope/server.ts')).toBe('dev');
    expect(serverMode('test', '/home/me/dropscope/server.ts')).toBe('dev');
  });
  it('runs the bundle as the dev server only when NODE_ENV=development says so', () => {
    expect(serverMode('development', '/srv/dropscope/dist/server.mjs')).toBe('dev');
  });
  it('refuses the bundle without NODE_ENV, naming the fix', () => {
    expect(() => serverMode(undefined, '/srv/dropscope/dist/server.mjs')).toThrow(ConfigError);
    expect(() => serverMode(undefined, '/srv/dropscope/dist/server.mjs')).toThrow(
      'NODE_ENV is unset: /srv/dropscope/dist/server.mjs is the production build; run it with NODE_ENV=production (npm start does), or NODE_ENV=development for Next\'s dev server',
    );
    expect(() => serverMode('staging', '/srv/dropscope/dist/server.mjs')).toThrow(/NODE_ENV is "staging"/);
  });
});

describe('SIGTERM drain settings', () => {
  it('default to a drain within 2 s, and take an operator\'s longer grace', () => {
    expect(parseServerConfig({})).toMatchObject({ DROPSCOPE_SHUTDOWN_GRACE_MS: 1_500, DROPSCOPE_SHUTDOWN_STEP_TIMEOUT_MS: 1_000 });
    expect(parseServerConfig({ DROPSCOPE_SHUTDOWN_GRACE_MS: '25000', DROPSCOPE_SHUTDOWN_STEP_TIMEOUT_MS: '5000' })).toMatchObject({ DROPSCOPE_SHUTDOWN_GRACE_MS: 25_000, DROPSCOPE_SHUTDOWN_STEP_TIMEOUT_MS: 5_000 });
  });
  it('names the variable when the value is bad', () => {
    expect(() => parseServerConfig({ DROPSCOPE_SHUTDOWN_GRACE_MS: '-1' })).toThrow(/DROPSCOPE_SHUTDOWN_GRACE_MS/);
    expect(() => parseServerConfig({ DROPSCOPE_SHUTDOWN_STEP_TIMEOUT_MS: '1h' })).toThrow(/DROPSCOPE_SHUTDOWN_STEP_TIMEOUT_MS/);
  });
});

describe('the wait for PostgreSQL at start', () => {
  it('is 30 s by default, and named when bad', () => {
    expect(parseServerConfig({}).DROPSCOPE_DATABASE_WAIT_MS).toBe(30_000);
    expect(() => parseServerConfig({ DROPSCOPE_DATABASE_WAIT_MS: 'soon' })).toThrow(/DROPSCOPE_DATABASE_WAIT_MS/);
  });
});

describe('keep-alive', () => {
  it('keeps idle connections past a load balancer\'s 60 s by default, and names a bad value', () => {
    expect(parseServerConfig({}).DROPSCOPE_KEEPALIVE_TIMEOUT_MS).toBe(65_000);
    expect(() => parseServerConfig({ DROPSCOPE_KEEPALIVE_TIMEOUT_MS: '10' })).toThrow(/DROPSCOPE_KEEPALIVE_TIMEOUT_MS/);
  });
});
