// Writes docs/events.md from the event union in packages/core (a test checks it is current).
import { writeFileSync } from 'node:fs';
import { renderEventsDoc } from '../packages/core/src/events/doc.ts';

writeFileSync(new URL('../docs/events.md', import.meta.url), renderEventsDoc());
console.log('wrote docs/events.md');
