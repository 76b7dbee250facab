/**
 * The run settings as the panel names them, in the display language. src/protocol/runConfig.ts
 * keeps one English table for the host, the CLI and package.json; `npm run l10n` finds a message
 * only in a literal `l10n.t('…')`, so each label, hint and choice is written out here once more.
 * test/unit/settingText.test.ts fails when this map and the table disagree (a setting or a
 * choice added, renamed or reworded on one side only).
 */
import * as l10n from '@vscode/l10n';
import type { TrainConfig } from '../src/protocol/runConfig';

/** A setting's form label and tooltip. */
export interface SettingText {
  label: string;
  hint: string;
}

const text = (label: string, hint: string): SettingText => ({ label, hint });

/** The label and hint of `field`, as TRAIN_SETTINGS[field] has them, translated. */
export function settingText(field: keyof TrainConfig): SettingText {
  switch (field) {
    case 'cell': return text(l10n.t('Cell'), l10n.t('The recurrent cell of every layer'));
    case 'layers': return text(l10n.t('Layers'), l10n.t('Stacked recurrent layers'));
    case 'hiddenSize': return text(l10n.t('Hidden units'), l10n.t('Units per layer'));
    case 'dropout': return text(l10n.t('Dropout'), l10n.t('Dropout between stacked layers while training'));
    case 'seqLength': return text(l10n.t('BPTT length'), l10n.t('Steps the gradient flows back through (truncated BPTT window)'));
    case 'batchSize': return text(l10n.t('Batch'), l10n.t('Parallel streams through the text'));
    case 'learningRate': return text(l10n.t('Learning rate'), l10n.t('Step size of the optimizer'));
    case 'clipNorm': return text(l10n.t('Clip norm'), l10n.t('Gradients are scaled down to this global norm; 0 turns clipping off'));
    case 'optimizer': return text(l10n.t('Optimizer'), l10n.t('How gradients become weight updates'));
    case 'maxSeconds': return text(l10n.t('Seconds'), l10n.t('Training time; 0 = until stopped (or the step limit in the settings)'));
    case 'maxSteps': return text(l10n.t('Steps'), l10n.t('Training steps; 0 = no step limit'));
    case 'valFraction': return text(l10n.t('Validation fraction'), l10n.t('Share of the file held out at its end'));
    case 'valEvery': return text(l10n.t('Validate every'), l10n.t('Steps between validation measurements'));
    case 'sampleEvery': return text(l10n.t('Sample every'), l10n.t('Steps between samples; 0 = never'));
    case 'seed': return text(l10n.t('Seed'), l10n.t('Same seed, same initial weights and data order'));
    case 'tokens': return text(l10n.t('Tokens'), l10n.t('Characters or words'));
    case 'gradEvery': return text(l10n.t('Gradient every'), l10n.t('Steps between gradient-by-lag measurements; 0 = never'));
    case 'workers': return text(l10n.t('Workers'), l10n.t('Training threads, one core each'));
    case 'kernels': return text(l10n.t('Kernels'), l10n.t('Fused WebAssembly kernels or TensorFlow.js'));
  }
}

/**
 * The display label of a choice of any choice setting (a cell type, an optimizer, a token mode, a
 * kernel), as the table's `choiceLabels` has it, translated; product and algorithm names read the
 * same in every language. A value the map does not know is shown as it is.
 */
export function choiceLabel(choice: string): string {
  switch (choice) {
    case 'rnn': return l10n.t('Vanilla RNN');
    case 'lstm': return l10n.t('LSTM');
    case 'noforget': return l10n.t('LSTM without forget gate');
    case 'peephole': return l10n.t('Peephole LSTM');
    case 'cifg': return l10n.t('Coupled input-forget LSTM');
    case 'gru': return l10n.t('GRU');
    case 'adam': return 'Adam';
    case 'rmsprop': return 'RMSProp';
    case 'sgd': return 'SGD';
    case 'char': return l10n.t('characters');
    case 'word': return l10n.t('words');
    case 'fused': return l10n.t('fused');
    case 'tfjs': return 'tfjs';
    default: return choice;
  }
}
