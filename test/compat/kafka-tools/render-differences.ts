import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { projectRoot } from '../../support/processes.js';
import { renderDifferencesTable, TABLE_END, TABLE_START } from './differences.js';
import { comparedSteps } from './scenario.js';

/** Rewrites the differential table in docs/compatibility.md from differences.ts (`npx tsx` this file). */
const doc = join(projectRoot, 'docs', 'compatibility.md');
const text = readFileSync(doc, 'utf8');
const start = text.indexOf(TABLE_START);
const end = text.indexOf(TABLE_END);
if (start < 0 || end < start) throw new Error(`${doc} lacks the table markers`);
writeFileSync(
  doc,
  text.slice(0, start) + renderDifferencesTable(comparedSteps) + text.slice(end + TABLE_END.length),
);
