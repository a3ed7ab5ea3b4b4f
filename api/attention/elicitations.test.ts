// An MCP server's form, as tables: which requested schemas Lookout can show whole, and which
// answers the server gets (MCP's elicitation schema: a flat object of text, numbers, yes/no and lists).
import { describe, expect, it } from 'vitest';
import { elicitationContent, elicitationForm, type ElicitationValue } from './elicitations.ts';

const DEPLOY = {
  type: 'object',
  properties: {
    environment: { type: 'string', title: 'Environment', enum: ['staging', 'production'], enumNames: ['Staging', 'Production'] },
    replicas: { type: 'integer', title: 'Replicas', minimum: 1, maximum: 10, default: 2 },
    ratio: { type: 'number', maximum: 1 },
    notify: { type: 'boolean', title: 'Tell the team' },
    email: { type: 'string', format: 'email' },
    reason: { type: 'string', minLength: 3, maxLength: 20 },
    regions: { type: 'array', items: { anyOf: [{ const: 'eu', title: 'Europe' }, { const: 'us', title: 'Americas' }, { const: 'asia', title: 'Asia' }] }, maxItems: 2 },
    tier: { type: 'string', oneOf: [{ const: 'gold', title: 'Gold' }, { const: 'free', title: 'Free' }] },
  },
  required: ['environment'],
};

describe('an elicitation form', () => {
  it('shows every field of a flat schema, in its order, with its options, bounds and default', () => {
    const form = elicitationForm('deployer', 'Where to?', DEPLOY);
    expect(form.fields!.map((f) => [f.name, f.type, f.required])).toEqual([
      ['environment', 'CHOICE', true],
      ['replicas', 'INTEGER', false],
      ['ratio', 'NUMBER', false],
      ['notify', 'BOOLEAN', false],
      ['email', 'TEXT', false],
      ['reason', 'TEXT', false],
      ['regions', 'CHOICES', false],
      ['tier', 'CHOICE', false],
    ]);
    expect(form.fields![0]).toMatchObject({ title: 'Environment', options: [{ value: 'staging', label: 'Staging' }, { value: 'production', label: 'Production' }] });
    expect(form.fields![1]).toMatchObject({ minimum: 1, maximum: 10, default: '2' });
    expect(form.fields![6]).toMatchObject({ options: [{ value: 'eu', label: 'Europe' }, { value: 'us', label: 'Americas' }, { value: 'asia', label: 'Asia' }], maximum: 2 });
  });

  it.each([
    ['no schema (a URL to open)', undefined],
    ['not an object', { type: 'string' }],
    ['no properties', { type: 'object' }],
    ['a nested object', { type: 'object', properties: { address: { type: 'object', properties: {} } } }],
    ['a type it does not know', { type: 'object', properties: { when: { type: 'null' } } }],
    ['a format it does not know', { type: 'object', properties: { ip: { type: 'string', format: 'ipv4' } } }],
    ['a list of free text', { type: 'object', properties: { tags: { type: 'array', items: { type: 'string' } } } }],
    ['an enum of numbers', { type: 'object', properties: { n: { type: 'string', enum: [1, 2] } } }],
  ])('cannot be filled in here with %s: answered in the terminal', (_what, schema) => {
    expect(elicitationForm('s', 'm', schema).fields).toBeNull();
  });
});

describe('an elicitation answer', () => {
  const form = elicitationForm('deployer', 'Where to?', DEPLOY);
  const answer = (...values: ElicitationValue[]) => elicitationContent(form, values);

  it('sends each value as its field takes it; a list of choices in the server\'s order', () => {
    expect(
      answer(
        { field: 'environment', text: 'staging' },
        { field: 'replicas', number: 3 },
        { field: 'ratio', number: 0.5 },
        { field: 'notify', boolean: false },
        { field: 'email', text: 'ops@example.com' },
        { field: 'regions', choices: ['us', 'eu', 'us'] },
        { field: 'tier', text: 'gold' },
      ),
    ).toEqual({ content: { environment: 'staging', replicas: 3, ratio: 0.5, notify: false, email: 'ops@example.com', regions: ['eu', 'us'], tier: 'gold' } });
    expect(answer({ field: 'environment', text: 'production' })).toEqual({ content: { environment: 'production' } });
  });

  it.each<[string, ElicitationValue[], string]>([
    ['a required field left out', [{ field: 'replicas', number: 2 }], '"Environment" is required.'],
    ['a value not among the options', [{ field: 'environment', text: 'prod' }], '"Environment" takes one of staging, production.'],
    ['text for a number', [{ field: 'environment', text: 'staging' }, { field: 'replicas', text: '3' }], '"Replicas" takes a number.'],
    ['two members at once', [{ field: 'environment', text: 'staging', number: 1 }], '"Environment" takes text.'],
    ['a fraction for a whole number', [{ field: 'environment', text: 'staging' }, { field: 'replicas', number: 2.5 }], '"Replicas" takes a whole number.'],
    ['a number below its least', [{ field: 'environment', text: 'staging' }, { field: 'replicas', number: 0 }], '"Replicas" takes at least 1.'],
    ['a number above its greatest', [{ field: 'environment', text: 'staging' }, { field: 'ratio', number: 2 }], '"ratio" takes at most 1.'],
    ['a malformed email', [{ field: 'environment', text: 'staging' }, { field: 'email', text: 'ops' }], '"email" takes an email address.'],
    ['text too short', [{ field: 'environment', text: 'staging' }, { field: 'reason', text: 'no' }], '"reason" needs at least 3 characters.'],
    ['a choice not in the list', [{ field: 'environment', text: 'staging' }, { field: 'regions', choices: ['eu', 'mars'] }], '"mars" is not one of the values of "regions".'],
    ['more choices than it takes', [{ field: 'environment', text: 'staging' }, { field: 'regions', choices: ['eu', 'us', 'asia'] }], '"regions" takes at most 2 of its values.'],
    ['a field it does not ask', [{ field: 'environment', text: 'staging' }, { field: 'force', boolean: true }], 'it has no field "force".'],
    ['a field twice', [{ field: 'environment', text: 'staging' }, { field: 'environment', text: 'production' }], '"Environment" is given twice.'],
  ])('is refused with %s, saying what is wrong', (_what, values, problem) => {
    expect(answer(...values)).toEqual({ problem });
  });

  it('cannot be given to a form Lookout cannot show', () => {
    expect(elicitationContent(elicitationForm('s', 'm', undefined), [])).toEqual({ problem: 'this form cannot be filled in here: answer it in the terminal.' });
  });
});
