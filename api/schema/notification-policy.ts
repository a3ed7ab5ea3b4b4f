// NotificationPolicy: how much of your feed reaches you outside the page, the same for every
// channel and device. Each person reads and sets their own.
import { InputValidationError } from '@pothos/plugin-validation';
import { z } from 'zod';
import { NOTIFY_MODES, type NotificationPolicy } from '../notify/policy.ts';
import { builder } from './builder.ts';
import { actorOf, needs } from './scopes.ts';

const NotifyModeEnum = builder.enumType('NotifyMode', {
  description: 'QUIET: waits and failures only. NORMAL: all of "Needs you". ALL: also "In focus".',
  values: NOTIFY_MODES.map((m) => m.toUpperCase()) as ['QUIET', 'NORMAL', 'ALL'],
});

const Policy = builder.objectRef<NotificationPolicy>('NotificationPolicy').implement({
  fields: (t) => ({
    mode: t.field({ type: NotifyModeEnum, resolve: (p) => p.mode.toUpperCase() as 'NORMAL' }),
    mutedProjects: t.exposeStringList('mutedProjects', { description: 'Projects that never notify.' }),
    quietFrom: t.exposeInt('quietFrom', { nullable: true, description: 'Quiet hours begin, minutes after midnight in timeZone.' }),
    quietUntil: t.exposeInt('quietUntil', { nullable: true, description: 'Quiet hours end, minutes after midnight in timeZone.' }),
    timeZone: t.exposeString('timeZone', { description: 'An IANA time zone, e.g. Europe/Paris.' }),
    escalateAfterMinutes: t.int({
      description: 'A session that has needed you this long is notified again and marked escalated; 0: never. Unless you set it, LOOKOUT_ESCALATE_MINUTES.',
      resolve: (p, _args, ctx) => p.escalateAfterMinutes ?? ctx.defaultEscalateAfterMinutes,
    }),
  }),
});

const minuteOfDay = z.number().int().min(0).max(24 * 60 - 1);

builder.queryField('notificationPolicy', (t) =>
  t.field({ type: Policy, ...needs('read', 'Your notification policy.'), resolve: (_root, _args, ctx) => ctx.policies.of(actorOf(ctx).person) }),
);

builder.mutationField('setNotificationPolicy', (t) =>
  t.field({
    type: Policy,
    ...needs('act', 'Sets your notification policy, for every channel and device.'),
    errors: { types: [InputValidationError] },
    args: {
      mode: t.arg({ type: NotifyModeEnum, required: true }),
      mutedProjects: t.arg.stringList({ validate: z.array(z.string().trim().min(1).max(200)).max(200) }),
      quietFrom: t.arg.int({ validate: minuteOfDay }),
      quietUntil: t.arg.int({ validate: minuteOfDay }),
      timeZone: t.arg.string({
        validate: z.string().refine((zone) => {
          try {
            new Intl.DateTimeFormat('en', { timeZone: zone });
            return true;
          } catch {
            return false;
          }
        }, 'must be an IANA time zone, e.g. Europe/Paris'),
      }),
      escalateAfterMinutes: t.arg.int({ validate: z.number().int().min(0).max(7 * 24 * 60), description: '0: never; absent: the server\'s default.' }),
    },
    resolve: (_root, args, ctx) =>
      ctx.policies.set(actorOf(ctx).person, {
        mode: args.mode.toLowerCase() as NotificationPolicy['mode'],
        mutedProjects: args.mutedProjects ?? [],
        quietFrom: args.quietFrom ?? null,
        quietUntil: args.quietUntil ?? null,
        timeZone: args.timeZone ?? 'UTC',
        escalateAfterMinutes: args.escalateAfterMinutes ?? null,
      }),
  }),
);
