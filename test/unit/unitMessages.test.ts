import assert from 'node:assert/strict';
import { test } from 'node:test';
import { parseWebviewMessage } from '../../src/protocol/webviewProtocol';
import { parseHostMessage } from '../../webview/hostMessages';

test('showUnit from the panel: a layer 0–3, a traced name and a unit index, nothing else', () => {
  assert.deepEqual(parseWebviewMessage({ type: 'showUnit', layer: 1, name: 'c', unit: 17 }), { ok: true, message: { type: 'showUnit', layer: 1, name: 'c', unit: 17 } });
  const bad: [unknown, RegExp][] = [
    [{ type: 'showUnit', layer: 4, name: 'c', unit: 1 }, /layer/],
    [{ type: 'showUnit', layer: 0.5, name: 'c', unit: 1 }, /layer/],
    [{ type: 'showUnit', layer: 0, name: 'C<script>', unit: 1 }, /name/],
    [{ type: 'showUnit', layer: 0, name: 'h', unit: -1 }, /unit/],
    [{ type: 'showUnit', layer: 0, name: 'h', unit: 1e9 }, /unit/],
    [{ type: 'showUnit', layer: 0, name: 'h' }, /unit/],
    [{ type: 'showUnit', layer: 0, name: 'h', unit: 1, extra: true }, /unexpected fields: extra/],
  ];
  for (const [m, reason] of bad) {
    const r = parseWebviewMessage(m);
    assert.equal(r.ok, false, JSON.stringify(m));
    if (!r.ok) assert.match(r.reason, reason);
  }
});

test('units from the host: well-formed rows kept, bad rows dropped, at most 50, long text cut', () => {
  const good = { layer: 0, name: 'h', unit: 3, r: 0.9, inside: 0.5, outside: -0.2 };
  const m = parseHostMessage({
    type: 'units',
    search: { pattern: 'p'.repeat(500), tokens: 100, positives: 40, truncated: true, units: [good, { ...good, r: 'x' }, { ...good, name: 7 }, ...Array(60).fill(good)] },
  });
  assert.ok(m && m.type === 'units' && m.search);
  assert.equal(m.search.pattern.length, 200);
  assert.equal(m.search.units.length, 48, 'of the first 50 rows, the two bad ones are dropped');
  assert.deepEqual(m.search.units[0], good);
  assert.deepEqual(parseHostMessage({ type: 'units', search: null }), { type: 'units', search: null });
  assert.deepEqual(parseHostMessage({ type: 'units', search: { pattern: 1 } }), { type: 'units', search: null });
});
