// Copies the profile JSON Schema from the repository's schemas/ folder into this
// extension's schemas/ folder, where contributes.yamlValidation points.
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';

const here = dirname(dirname(fileURLToPath(import.meta.url)));
const source = join(here, '..', '..', 'schemas', 'profile.schema.json');
const target = join(here, 'schemas', 'profile.schema.json');

let text;
try {
  text = readFileSync(source, 'utf8');
} catch (err) {
  console.error(`copy-schema: cannot read ${source}: ${err.message}`);
  process.exit(1);
}
try {
  JSON.parse(text);
} catch (err) {
  console.error(`copy-schema: ${source} is not valid JSON: ${err.message}`);
  process.exit(1);
}
mkdirSync(dirname(target), { recursive: true });
writeFileSync(target, text);
console.log(`copy-schema: ${relative(process.cwd(), source)} -> ${relative(process.cwd(), target)}`);
