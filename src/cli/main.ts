/**
 * Headless LSTM Lab on the same engine as the extension: train, sample, eval, export, bench.
 */
import { UsageError } from './args';
import { bench, BENCH_USAGE } from './bench';
import { benchHover, BENCH_HOVER_USAGE } from './benchHover';
import { EXPORT_USAGE, exportModel } from './export';
import { evaluateFile, EVAL_USAGE, sample, SAMPLE_USAGE } from './inspect';
import { profile, PROFILE_USAGE } from './profile';
import { seq2seq, SEQ2SEQ_SAMPLE_USAGE, SEQ2SEQ_USAGE, seq2seqSample, translate, TRANSLATE_USAGE } from './seq2seq';
import { train, TRAIN_USAGE } from './train';

const USAGE = ['usage:', TRAIN_USAGE, SAMPLE_USAGE, EVAL_USAGE, EXPORT_USAGE, SEQ2SEQ_USAGE, TRANSLATE_USAGE, SEQ2SEQ_SAMPLE_USAGE, BENCH_USAGE, BENCH_HOVER_USAGE, PROFILE_USAGE].join('\n  ');

async function main(argv: string[]): Promise<void> {
  const [command, ...rest] = argv;
  switch (command) {
    case 'train': return train(rest);
    case 'sample': return sample(rest);
    case 'eval': return evaluateFile(rest);
    case 'export': return exportModel(rest);
    case 'bench': return bench(rest);
    case 'bench-hover': return benchHover(rest);
    case 'profile': return profile(rest);
    case 'seq2seq': return seq2seq(rest);
    case 'translate': return translate(rest);
    case 'seq2seq-sample': return seq2seqSample(rest);
    case undefined:
    case '-h':
    case '--help':
      console.log(USAGE);
      return;
    default:
      throw new UsageError(`unknown command "${command}"`);
  }
}

main(process.argv.slice(2)).catch((e: unknown) => {
  if (e instanceof UsageError) {
    console.error(`lstm-lab: ${e.message}\n${USAGE}`);
    process.exit(2);
  }
  console.error(`lstm-lab: ${e instanceof Error ? e.message : String(e)}`);
  process.exit(1);
});
