// Writes package.json's `contributes.configuration` from the settings tables in
// src/protocol/runConfig.ts and src/protocol/settingsSchema.ts (`npm run settings`): `%key%`
// placeholders in package.json, their English texts merged into package.nls.json (the
// translations, package.nls.<locale>.json, are kept by hand). With --check it exits 1 when either
// file differs from the tables.
import * as esbuild from 'esbuild';
import { existsSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';

const bundled = await esbuild.build({
  entryPoints: ['src/protocol/settingsNls.ts'], bundle: true, format: 'esm', platform: 'neutral', write: false, logLevel: 'warning',
});
const schema = await import(`data:text/javascript;base64,${Buffer.from(bundled.outputFiles[0].text).toString('base64')}`);
const { configuration, english } = schema.localizedSettings();
const pkg = JSON.parse(readFileSync('package.json', 'utf8'));
const nls = existsSync('package.nls.json') ? JSON.parse(readFileSync('package.nls.json', 'utf8')) : {};
const merged = schema.mergeSettingsNls(nls, english);
if (process.argv.includes('--check')) {
  const same = JSON.stringify(pkg.contributes.configuration) === JSON.stringify(configuration) && JSON.stringify(nls) === JSON.stringify(merged);
  console.log(same ? 'settings: package.json and package.nls.json match the tables' : 'settings: package.json or package.nls.json differs from the tables; run `npm run settings`');
  process.exit(same ? 0 : 1);
}
// Re-read right before writing: only the configuration is replaced.
const fresh = JSON.parse(readFileSync('package.json', 'utf8'));
fresh.contributes.configuration = configuration;
writeFileSync('package.json', `${JSON.stringify(fresh, null, 2)}\n`);
writeFileSync('package.nls.json', `${JSON.stringify(merged, null, 2)}\n`);
console.log(`settings: wrote ${configuration.reduce((n, g) => n + Object.keys(g.properties).length, 0)} settings in ${configuration.length} groups to package.json and ${Object.keys(english).length} texts to package.nls.json`);
for (const f of readdirSync('.').filter((f) => /^package\.nls\.[\w-]+\.json$/.test(f))) {
  const translated = JSON.parse(readFileSync(f, 'utf8'));
  const missing = Object.keys(english).filter((k) => !(k in translated));
  if (missing.length > 0) console.log(`settings: ${f} has no translation of ${missing.join(', ')}`);
}
