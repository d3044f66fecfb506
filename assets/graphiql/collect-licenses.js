// Prints THIRD-PARTY-LICENSES.txt: the licence text of every package under a node_modules folder (where
// the packages that README.md names were installed), packages with the same text sharing one entry.
// Usage: node collect-licenses.js DIR/node_modules > THIRD-PARTY-LICENSES.txt
'use strict';
const fs = require('fs');
const path = require('path');

const LICENCE_FILE = /^(licen[cs]e|copying)([-_.].*)?$/i;

function packages(dir, found) {
  for (const name of fs.readdirSync(dir).sort()) {
    const folder = path.join(dir, name);
    if (name.startsWith('.')) continue;
    if (name.startsWith('@')) {
      packages(folder, found);
      continue;
    }
    const manifest = path.join(folder, 'package.json');
    if (!fs.existsSync(manifest)) continue;
    found.push({ folder, manifest: JSON.parse(fs.readFileSync(manifest, 'utf8')) });
    const nested = path.join(folder, 'node_modules');
    if (fs.existsSync(nested)) packages(nested, found);
  }
  return found;
}

const texts = new Map();
const seen = new Set();
const found = packages(process.argv[2], []);
found.sort((a, b) => `${a.manifest.name}@${a.manifest.version}`.localeCompare(`${b.manifest.name}@${b.manifest.version}`));
for (const { folder, manifest } of found) {
  const id = `${manifest.name}@${manifest.version}`;
  if (seen.has(id)) continue;
  seen.add(id);
  const licence = typeof manifest.license === 'string' ? manifest.license : JSON.stringify(manifest.license || manifest.licenses);
  const file = fs.readdirSync(folder).find((name) => LICENCE_FILE.test(name));
  const text = file
    ? fs.readFileSync(path.join(folder, file), 'utf8').replace(/\r\n/g, '\n').trim()
    : `(no licence file in the package; its package.json says ${licence})`;
  if (!texts.has(text)) texts.set(text, []);
  texts.get(text).push(`${id} (${licence})`);
}
let out = 'Licences of the npm packages in the dependency tree of graphiql@4.1.2 (with react@18.3.1,\n' +
  'react-dom@18.3.1, graphql@16 and graphql-ws@5), from which graphiql.min.js was bundled. Packages\n' +
  'with the same licence text share one entry.\n\n';
for (const [text, ids] of texts) {
  out += `${'='.repeat(78)}\n${ids.join('\n')}\n${'-'.repeat(78)}\n${text}\n\n`;
}
process.stdout.write(`${out.trimEnd()}\n`);
