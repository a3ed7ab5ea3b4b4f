// The "always allow" rule, as a table: Lookout applies exactly the rule it shows, or none.
import { describe, expect, it } from 'vitest';
import { alwaysAllowRule, describeRule, type PermissionAsk } from './permissions.ts';

const ask = (suggestions: unknown[]): PermissionAsk =>
  ({ id: 's:e', agentId: null, tool: 'Bash', kind: 'PERMISSION', input: 'npm publish', suggestions }) as PermissionAsk;
const addRules = { type: 'addRules', rules: [{ toolName: 'Bash', ruleContent: 'npm publish:*' }], behavior: 'allow', destination: 'localSettings' };

describe('the always-allow rule', () => {
  it.each([
    ['an allow rule', [addRules], addRules, 'Bash(npm publish:*), kept in .claude/settings.local.json'],
    ['the allow rule before another kind', [{ type: 'setMode', mode: 'acceptEdits', destination: 'session' }, addRules], addRules, 'Bash(npm publish:*), kept in .claude/settings.local.json'],
    ['a mode', [{ type: 'setMode', mode: 'acceptEdits', destination: 'session' }], { type: 'setMode', mode: 'acceptEdits', destination: 'session' }, 'switch to acceptEdits mode, for this session only'],
    ['directories', [{ type: 'addDirectories', directories: ['/srv/data'], destination: 'session' }], { type: 'addDirectories', directories: ['/srv/data'], destination: 'session' }, 'allow access to /srv/data, for this session only'],
    ['fields it does not show, dropped', [{ ...addRules, extra: { hooks: 'x' } }], addRules, 'Bash(npm publish:*), kept in .claude/settings.local.json'],
    ['a string', ['Bash(*)'], undefined, null],
    ['a list', [['Bash(*)']], undefined, null],
    ['a rule that denies', [{ ...addRules, behavior: 'deny' }], undefined, null],
    ['a destination it cannot name', [{ ...addRules, destination: '/etc/claude' }], undefined, null],
    ['a rule without a tool', [{ ...addRules, rules: [{ ruleContent: '*' }] }], undefined, null],
    ['an unknown kind', [{ type: 'replaceRules', rules: [], behavior: 'allow', destination: 'session' }], undefined, null],
    ['nothing', [], undefined, null],
  ])('%s', (_name, suggestions, applied, words) => {
    const rule = alwaysAllowRule(ask(suggestions));
    expect(rule).toEqual(applied);
    expect(describeRule(rule)).toBe(words);
  });
});
