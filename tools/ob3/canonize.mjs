// RDFC-1.0 by Digital Bazaar's rdf-canonize (the library ob3check's proofs use), for the tests that
// compare credentials/rdfc.py with it: reads a JSON array of N-Quads documents on stdin and writes the
// JSON array of their canonical N-Quads. Run from the project root: node tools/ob3/canonize.mjs
import {createRequire} from 'node:module';
import path from 'node:path';

const require = createRequire(path.resolve('var/ob3check/package.json'));
const canonize = require('rdf-canonize');

let input = '';
for await (const chunk of process.stdin) input += chunk;
const out = [];
for (const nquads of JSON.parse(input)) {
  out.push(await canonize.canonize(nquads, {
    algorithm: 'RDFC-1.0', inputFormat: 'application/n-quads', format: 'application/n-quads',
    maxWorkFactor: 3,
  }));
}
process.stdout.write(JSON.stringify(out));
