// Writes package.json's `contributes.configuration` from the settings tables in
// src/protocol/runConfig.ts and src/protocol/settingsSchema.ts (`npm run settings`), or with
// --check exits 1 when package.json differs from them.
import * as esbuild from 'esbuild';
import { readFileSync, writeFileSync } from 'node:fs';

const bundled = await esbuild.build({
  entryPoints: ['src/protocol/settingsSchema.ts'], bundle: true, format: 'esm', platform: 'neutral', write: false, logLevel: 'warning',
});
const schema = await import(`data:text/javascript;base64,${Buffer.from(bundled.outputFiles[0].text).toString('base64')}`);
const generated = schema.settingsContribution();
const text = readFileSync('package.json', 'utf8');
const pkg = JSON.parse(text);
if (process.argv.includes('--check')) {
  const same = JSON.stringify(pkg.contributes.configuration) === JSON.stringify(generated);
  console.log(same ? 'settings: package.json matches the tables' : 'settings: package.json differs from the tables; run `npm run settings`');
  process.exit(same ? 0 : 1);
}
pkg.contributes.configuration = generated;
writeFileSync('package.json', `${JSON.stringify(pkg, null, 2)}\n`);
console.log(`settings: wrote ${generated.reduce((n, g) => n + Object.keys(g.properties).length, 0)} settings in ${generated.length} groups to package.json`);
