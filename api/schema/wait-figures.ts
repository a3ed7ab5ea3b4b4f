// The figures of a set of waits: how many, how long, how soon looked at and answered.
import type { DayFigures, WaitFigures } from '../insights/store.ts';
import { builder } from './builder.ts';

export const WaitFiguresRef = builder.objectRef<WaitFigures>('WaitFigures').implement({
  description: 'Waits begun in a range: each the time a session needed its person, from when the need began until it ended (or now).',
  fields: (t) => ({
    waits: t.exposeInt('waits'),
    waitedSeconds: t.exposeFloat('waitedSeconds', { description: 'All the time waited, added up.' }),
    medianSeconds: t.exposeFloat('medianSeconds', { nullable: true }),
    p90Seconds: t.exposeFloat('p90Seconds', { nullable: true, description: 'Nine waits in ten were this long or shorter.' }),
    medianToSeenSeconds: t.exposeFloat('medianToSeenSeconds', { nullable: true, description: 'From the start of a wait to its first look in the feed (waits looked at only).' }),
    medianToAnswerSeconds: t.exposeFloat('medianToAnswerSeconds', { nullable: true, description: 'From the start of a wait to its answer, wherever given (answered waits only).' }),
    escalations: t.exposeInt('escalations', { description: 'Waits that dragged on long enough to be escalated.' }),
  }),
});

export const WaitGroupRef = builder.objectRef<{ key: string; figures: WaitFigures }>('WaitGroup').implement({
  description: 'The figures of the waits that share one value: a kind, a project ("" for none) or an agent.',
  fields: (t) => ({
    key: t.exposeString('key'),
    figures: t.field({ type: WaitFiguresRef, resolve: (group) => group.figures }),
  }),
});

export const WaitDayRef = builder.objectRef<DayFigures>('WaitDay').implement({
  description: 'One day in the asked time zone: the waits begun that day, and the time waited within it (a wait over midnight counts in both days).',
  fields: (t) => ({
    day: t.exposeString('day', { description: 'YYYY-MM-DD.' }),
    waits: t.exposeInt('waits'),
    waitedSeconds: t.exposeFloat('waitedSeconds'),
  }),
});
