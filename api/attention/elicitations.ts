// An MCP server asking the user for input (an elicitation): the form its requested schema
// describes, and an answer checked against it, as pure functions. MCP keeps a form flat: an object
// whose properties are text, numbers, yes/no, or one or several of a list of values. A schema
// Lookout cannot show whole (nesting, a type it does not know) gives no form: it is answered in the
// terminal, where the agent shows its own.

export type ElicitationFieldType = 'TEXT' | 'NUMBER' | 'INTEGER' | 'BOOLEAN' | 'CHOICE' | 'CHOICES';
export type ElicitationAction = 'ACCEPT' | 'DECLINE' | 'CANCEL';

export interface ElicitationOption {
  value: string;
  label: string;
}

export interface ElicitationField {
  name: string;
  title: string | null;
  description: string | null;
  type: ElicitationFieldType;
  required: boolean;
  /** The values a CHOICE or CHOICES takes. */
  options: ElicitationOption[];
  /** A number's bounds, or how many of CHOICES. */
  minimum: number | null;
  maximum: number | null;
  /** A text's length bounds. */
  minLength: number | null;
  maxLength: number | null;
  /** A text's format: email, uri, date or date-time. */
  format: string | null;
  /** What the server suggests, as JSON. */
  default: string | null;
}

export interface ElicitationForm {
  /** The MCP server asking. */
  server: string;
  message: string;
  /** The fields to fill in, in the server's order; null when the form cannot be shown here. */
  fields: ElicitationField[] | null;
}

/** One field's value in an answer: the member that fits its type. */
export interface ElicitationValue {
  field: string;
  text?: string | null;
  number?: number | null;
  boolean?: boolean | null;
  choices?: string[] | null;
}

const MAX_FIELDS = 50;
const MAX_OPTIONS = 100;
const MAX_TEXT = 10_000;
const FORMATS = new Set(['email', 'uri', 'date', 'date-time']);

type Json = Record<string, unknown>;
const isObject = (value: unknown): value is Json => typeof value === 'object' && value !== null && !Array.isArray(value);
const shortText = (value: unknown, max: number): string | null => (typeof value === 'string' && value.length <= max ? value : null);
const finite = (value: unknown): number | null => (typeof value === 'number' && Number.isFinite(value) ? value : null);

/** The values of a list: `enum` (with `enumNames`), or `oneOf`/`anyOf` of `{ const, title }`. */
function optionsOf(schema: Json): ElicitationOption[] | null {
  if (Array.isArray(schema.enum)) {
    const names = Array.isArray(schema.enumNames) ? schema.enumNames : [];
    if (!schema.enum.every((v) => typeof v === 'string')) return null;
    return (schema.enum as string[]).map((value, i) => ({ value, label: shortText(names[i], 500) ?? value }));
  }
  const list = Array.isArray(schema.oneOf) ? schema.oneOf : Array.isArray(schema.anyOf) ? schema.anyOf : null;
  if (!list) return null;
  const options = list.map((o) => (isObject(o) && typeof o.const === 'string' ? { value: o.const, label: shortText(o.title, 500) ?? o.const } : null));
  return options.every((o) => o !== null) ? options : null;
}

function fieldOf(name: string, schema: unknown, required: boolean): ElicitationField | null {
  if (!isObject(schema) || name.length > 200) return null;
  const base = {
    name,
    title: shortText(schema.title, 500),
    description: shortText(schema.description, 2_000),
    required,
    options: [] as ElicitationOption[],
    minimum: null,
    maximum: null,
    minLength: null,
    maxLength: null,
    format: null,
    default: schema.default === undefined ? null : JSON.stringify(schema.default),
  };
  switch (schema.type) {
    case 'string': {
      const options = optionsOf(schema);
      const listed = schema.enum !== undefined || schema.oneOf !== undefined || schema.anyOf !== undefined;
      if (listed && !options) return null;
      if (options) return options.length && options.length <= MAX_OPTIONS ? { ...base, type: 'CHOICE', options } : null;
      if (schema.format !== undefined && !FORMATS.has(schema.format as string)) return null;
      return { ...base, type: 'TEXT', minLength: finite(schema.minLength), maxLength: finite(schema.maxLength), format: (schema.format as string | undefined) ?? null };
    }
    case 'number':
    case 'integer':
      return { ...base, type: schema.type === 'number' ? 'NUMBER' : 'INTEGER', minimum: finite(schema.minimum), maximum: finite(schema.maximum) };
    case 'boolean':
      return { ...base, type: 'BOOLEAN' };
    case 'array': {
      const options = isObject(schema.items) ? optionsOf(schema.items) : null;
      if (!options?.length || options.length > MAX_OPTIONS) return null;
      return { ...base, type: 'CHOICES', options, minimum: finite(schema.minItems), maximum: finite(schema.maxItems) };
    }
    default:
      return null;
  }
}

/** The form a requested schema describes; null fields when any part of it cannot be shown here. */
export function elicitationForm(server: string, message: string, schema: unknown): ElicitationForm {
  return { server, message, fields: fieldsOf(schema) };
}

function fieldsOf(schema: unknown): ElicitationField[] | null {
  if (!isObject(schema) || (schema.type !== undefined && schema.type !== 'object') || !isObject(schema.properties)) return null;
  const required = new Set(Array.isArray(schema.required) ? schema.required.filter((r) => typeof r === 'string') : []);
  const entries = Object.entries(schema.properties);
  if (entries.length > MAX_FIELDS) return null;
  const fields = entries.map(([name, property]) => fieldOf(name, property, required.has(name)));
  return fields.every((f) => f !== null) ? fields : null;
}

const EMAIL = /^[^\s@]+@[^\s@]+\.[^\s@]+$/;
const DATE = /^\d{4}-\d{2}-\d{2}$/;
const DATE_TIME = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(:\d{2}(\.\d+)?)?(Z|[+-]\d{2}:\d{2})$/;

function formatProblem(format: string | null, text: string): string | null {
  if (format === 'email' && !EMAIL.test(text)) return 'an email address';
  if (format === 'date' && (!DATE.test(text) || Number.isNaN(Date.parse(text)))) return 'a date such as 2026-12-07';
  if (format === 'date-time' && (!DATE_TIME.test(text) || Number.isNaN(Date.parse(text)))) return 'a date and time such as 2026-12-07T09:00:00Z';
  if (format === 'uri') {
    try {
      new URL(text);
    } catch {
      return 'a URL such as https://example.com';
    }
  }
  return null;
}

const named = (field: ElicitationField) => `"${field.title ?? field.name}"`;

/** What is wrong with an answer, in words. */
class Problem {
  constructor(readonly words: string) {}
}

/** One field's value as the server takes it, or what is wrong with it. */
function valueOf(field: ElicitationField, given: ElicitationValue): unknown {
  const members = (['text', 'number', 'boolean', 'choices'] as const).filter((m) => given[m] !== undefined && given[m] !== null);
  const expected = { TEXT: 'text', CHOICE: 'text', NUMBER: 'number', INTEGER: 'number', BOOLEAN: 'boolean', CHOICES: 'choices' }[field.type];
  const words = { text: 'text', number: 'a number', boolean: 'yes or no', choices: 'a list of its values' }[expected];
  if (members.length !== 1 || members[0] !== expected) throw new Problem(`${named(field)} takes ${words}.`);
  switch (field.type) {
    case 'TEXT': {
      const text = given.text!;
      if (text.length > MAX_TEXT) throw new Problem(`${named(field)} is too long.`);
      if (field.minLength !== null && text.length < field.minLength) throw new Problem(`${named(field)} needs at least ${field.minLength} characters.`);
      if (field.maxLength !== null && text.length > field.maxLength) throw new Problem(`${named(field)} takes at most ${field.maxLength} characters.`);
      const problem = formatProblem(field.format, text);
      if (problem) throw new Problem(`${named(field)} takes ${problem}.`);
      return text;
    }
    case 'CHOICE': {
      if (!field.options.some((o) => o.value === given.text)) throw new Problem(`${named(field)} takes one of ${field.options.map((o) => o.value).join(', ')}.`);
      return given.text;
    }
    case 'NUMBER':
    case 'INTEGER': {
      const number = given.number!;
      if (field.type === 'INTEGER' && !Number.isInteger(number)) throw new Problem(`${named(field)} takes a whole number.`);
      if (field.minimum !== null && number < field.minimum) throw new Problem(`${named(field)} takes at least ${field.minimum}.`);
      if (field.maximum !== null && number > field.maximum) throw new Problem(`${named(field)} takes at most ${field.maximum}.`);
      return number;
    }
    case 'BOOLEAN':
      return given.boolean;
    case 'CHOICES': {
      const choices = [...new Set(given.choices!)];
      const unknown = choices.find((c) => !field.options.some((o) => o.value === c));
      if (unknown !== undefined) throw new Problem(`"${unknown}" is not one of the values of ${named(field)}.`);
      if (field.minimum !== null && choices.length < field.minimum) throw new Problem(`${named(field)} takes at least ${field.minimum} of its values.`);
      if (field.maximum !== null && choices.length > field.maximum) throw new Problem(`${named(field)} takes at most ${field.maximum} of its values.`);
      // In the server's order, as its own list shows them.
      return field.options.map((o) => o.value).filter((v) => choices.includes(v));
    }
  }
}

/**
 * The content an ACCEPT sends, checked against the form: every required field, each value of its
 * field's type and within its bounds, no field it does not ask; else what is wrong, in words.
 */
export function elicitationContent(form: ElicitationForm, values: ElicitationValue[]): { content: Record<string, unknown> } | { problem: string } {
  try {
    return { content: contentOf(form, values) };
  } catch (error) {
    if (error instanceof Problem) return { problem: error.words };
    throw error;
  }
}

function contentOf(form: ElicitationForm, values: ElicitationValue[]): Record<string, unknown> {
  if (!form.fields) throw new Problem('this form cannot be filled in here: answer it in the terminal.');
  const content: Record<string, unknown> = {};
  for (const given of values) {
    const field = form.fields.find((f) => f.name === given.field);
    if (!field) throw new Problem(`it has no field "${given.field}".`);
    if (given.field in content) throw new Problem(`${named(field)} is given twice.`);
    content[field.name] = valueOf(field, given);
  }
  const missing = form.fields.find((f) => f.required && !(f.name in content));
  if (missing) throw new Problem(`${named(missing)} is required.`);
  return content;
}
