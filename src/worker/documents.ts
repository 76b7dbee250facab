/**
 * The engine's copies of the documents the editor shows (at most MAX_DOCUMENTS, the least recently
 * opened dropped first): opened whole, kept in step by edits, each with its kept recurrent states.
 */
import { DocumentStates } from '../engine/docStates';
import { errorMessage } from '../protocol/messages';
import type { DocEditRequest, DocOpenRequest } from '../protocol/inspectionMessages';

/** Documents mirrored at once (the least recently opened goes first). */
export const MAX_DOCUMENTS = 8;

export class MirroredDocuments {
  private readonly docs = new Map<string, DocumentStates>();

  open(req: DocOpenRequest): { length: number } {
    if (typeof req.key !== 'string' || typeof req.text !== 'string') throw new Error('docOpen needs a key and a text');
    this.docs.delete(req.key);
    if (this.docs.size >= MAX_DOCUMENTS) this.docs.delete(this.docs.keys().next().value!);
    this.docs.set(req.key, new DocumentStates(req.text));
    return { length: req.text.length };
  }

  edit(req: DocEditRequest): { length: number } {
    const doc = this.docs.get(req.key);
    if (!doc) throw new Error(`unknown document ${req.key}`);
    try {
      doc.editMany(req.changes);
      if (doc.text.length !== req.length) throw new Error(`the copy has ${doc.text.length} characters, the document ${req.length}`);
    } catch (e) {
      // Out of step: forget the copy, so that the host sends the whole text again.
      this.docs.delete(req.key);
      throw new Error(`unknown document ${req.key} (${errorMessage(e)})`);
    }
    return { length: doc.text.length };
  }

  close(key: string): { closed: boolean } {
    return { closed: this.docs.delete(key) };
  }

  /** The copy of document `key`; an unknown key makes the host send the whole text. */
  get(key: string): DocumentStates {
    const doc = this.docs.get(key);
    if (!doc) throw new Error(`unknown document ${key}`);
    return doc;
  }

  /** Drops every kept state (the model changed); the texts stay. */
  clearStates(): void {
    for (const doc of this.docs.values()) doc.clear();
  }
}
