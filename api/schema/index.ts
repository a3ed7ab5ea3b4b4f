// The schema: every type file registers itself on the builder.
import './root.ts';
import './errors.ts';
import './session.ts';
import './session-event.ts';
import './attention.ts';
import './attention-change.ts';
import './pending-permission.ts';
import './asked-question.ts';
import './elicitation-form.ts';
import './api-token.ts';
import './webhook-target.ts';
import './notification-policy.ts';
import './push-device.ts';
import './person-channel.ts';
import './refused-hooks.ts';
import './insights.ts';
import { builder } from './builder.ts';

export const schema = builder.toSchema({ sortSchema: true });
