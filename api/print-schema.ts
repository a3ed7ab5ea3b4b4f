// Writes the printed, sorted SDL to api/schema.graphql (npm run schema); a test fails when it drifts.
import { writeFile } from 'node:fs/promises';
import { lexicographicSortSchema, printSchema } from 'graphql';
import { schema } from './schema/index.ts';

export const SDL_FILE = new URL('./schema.graphql', import.meta.url);

export function printSdl(): string {
  return `${printSchema(lexicographicSortSchema(schema))}\n`;
}

if (import.meta.url === `file://${process.argv[1]}`) {
  await writeFile(SDL_FILE, printSdl());
  console.log(`Wrote ${SDL_FILE.pathname}`);
}
