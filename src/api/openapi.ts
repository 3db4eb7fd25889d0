import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import yaml from 'js-yaml';

// docs/openapi.yaml from the sources (src/api) or the compiled output (dist/src/api).
const HERE = path.dirname(fileURLToPath(import.meta.url));
const CANDIDATES = [path.resolve(HERE, '../../docs/openapi.yaml'), path.resolve(HERE, '../../../docs/openapi.yaml')];

let cached: string | null = null;

/** The OpenAPI 3.1 document (docs/openapi.yaml, the one contract) as JSON text, read once. */
export function openApiJson(): string {
  if (cached === null) {
    const file = CANDIDATES.find((f) => existsSync(f));
    if (!file) throw new Error(`docs/openapi.yaml not found (looked in ${CANDIDATES.join(', ')})`);
    cached = JSON.stringify(yaml.load(readFileSync(file, 'utf8')));
  }
  return cached;
}
