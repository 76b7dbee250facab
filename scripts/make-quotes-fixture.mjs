#!/usr/bin/env node
// Writes test/fixtures/quotes.txt: prose-like lines where some words are inside "DOUBLE QUOTES",
// spanning 1–8 words. Quoted words are in capitals, so predicting the letter after a space needs
// to know whether a quote is open: a model that learns the file has a reason to track it.
// Seeded: the file is the same on every run.
import { writeFileSync } from 'node:fs';

let seed = 12345;
const rand = () => ((seed = (seed * 1103515245 + 12345) % 2147483648) / 2147483648);
const words = ['the', 'model', 'reads', 'a', 'line', 'of', 'text', 'and', 'keeps', 'state', 'cell', 'gate', 'opens', 'when', 'it', 'sees', 'quote', 'marks', 'then', 'forgets', 'slowly', 'over', 'time', 'words', 'flow'];
const pick = () => words[Math.floor(rand() * words.length)];
const lines = [];
for (let l = 0; l < 400; l++) {
  const parts = [];
  const n = 6 + Math.floor(rand() * 8);
  for (let i = 0; i < n; i++) {
    if (rand() < 0.25) {
      const k = 1 + Math.floor(rand() * 8);
      parts.push(`"${Array.from({ length: k }, pick).join(' ').toUpperCase()}"`);
    } else {
      parts.push(pick());
    }
  }
  lines.push(`${parts.join(' ')}.`);
}
writeFileSync(new URL('../test/fixtures/quotes.txt', import.meta.url), `${lines.join('\n')}\n`);
